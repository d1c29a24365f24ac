/**
 * The session state machine with the real Baileys engine on the fake WhatsApp network: pairing,
 * QR codes running out, pairing by code, restart and logout. What each disconnect reason does is
 * covered in disconnect-reasons.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { realSessionPerTest, type RealSession, type RealSessionOptions } from '../helpers/real-session.js';

const FAST_BACKOFF = { baseMs: 50, capMs: 400, floorMs: 20, stableAfterMs: 60_000 };

describe('session state machine with the real engine on the fake WhatsApp network', () => {
  const startSession = realSessionPerTest();
  const start = (options: RealSessionOptions = {}): Promise<RealSession> => startSession({ backoff: FAST_BACKOFF, ...options });

  it('pairs: starting → pairing (QR) → restartRequired after the scan → connected as the phone’s account', async () => {
    const s = await start();
    const pairing = await s.waitForState('pairing');
    assert.ok(pairing.qr, 'a QR code is shown');
    // The code carries this device's keys, so the phone can start the secure channel to it.
    const noiseKey = Buffer.from(s.auth.state.creds.noiseKey.public).toString('base64');
    assert.equal(pairing.qr.code.split(',')[1], noiseKey);
    assert.ok(Date.parse(pairing.qr.expires_at) > Date.now());

    await s.simulator.scan('+15550000001', 'Kitchen phone');
    const connected = await s.waitForState('connected');
    assert.equal(connected.me?.jid, '15550000001@s.whatsapp.net');
    assert.equal(connected.me?.phone, '+15550000001');
    assert.equal(connected.qr, null);
    assert.equal(connected.last_disconnect?.reason, 'restartRequired', 'WhatsApp asks for a fresh connection after linking');
    assert.deepEqual(s.states, ['starting', 'pairing', 'starting', 'connected']);
    assert.ok(s.auth.isRegistered(), 'the link is stored');
    const journalled = await s.journalledStates('connected');
    assert.deepEqual(journalled.map((entry) => entry.state), ['pairing', 'starting', 'connected']);
  });

  it('restart drops and reopens the socket, keeping the link: connected again without a QR code', async () => {
    const s = await start();
    await s.pair();
    const attempts = s.connectAttempts.length;
    await s.session.restart();
    const view = await s.waitForState('connected');
    assert.equal(view.qr, null);
    assert.equal(view.me?.phone, '+15550000001');
    assert.equal(s.connectAttempts.length, attempts + 1);
    assert.equal(s.states.includes('pairing') && s.states.lastIndexOf('pairing') > 1, false, 'no second pairing');
  });

  it('logout unlinks on WhatsApp, wipes the credentials and shows a fresh QR code', async () => {
    const s = await start();
    await s.pair();
    const firstQr = s.states.indexOf('pairing');
    await s.session.logout();
    const view = await s.waitForState('pairing');
    assert.ok(s.states.lastIndexOf('pairing') > firstQr);
    assert.equal(view.me, null);
    assert.ok(view.qr, 'a new QR code to link again');
    assert.equal(view.last_disconnect?.reason, 'loggedOut');
    assert.equal(s.auth.isRegistered(), false);
    assert.equal(s.simulator.network.accounts.get('15550000001'), undefined, 'WhatsApp no longer lists the device');
  });

  it('logout on a network that went silent does not hang: the device is forgotten after a short wait', async () => {
    const s = await start({ logoutTimeoutMs: 500 });
    await s.pair();
    // WhatsApp stops answering, but the keep-alive has not noticed yet: the session still says connected.
    await s.simulator.network.disconnect('connectionLost');
    const started = Date.now();
    await s.session.logout();
    assert.ok(Date.now() - started < 3_000, `logout took ${Date.now() - started} ms`);
    assert.equal(s.auth.isRegistered(), false, 'credentials wiped anyway');
    const view = await s.waitForState('pairing');
    assert.equal(view.me, null);
  });

  it('QR codes running out: each one differs, then pairing ends in logged_out until a pairing-code request', async () => {
    const s = await start({ qrCodes: 3, qrTimeoutMs: 300 });
    const codes = new Set<string>();
    s.session.on('change', (view) => view.qr && codes.add(view.qr.code));
    const view = await s.waitForState('logged_out', 10_000);
    assert.equal(codes.size, 3, 'three different QR codes were shown');
    assert.equal(view.last_disconnect?.reason, 'qrExpired');
    assert.match(view.last_disconnect?.message ?? '', /QR code/);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(s.session.state, 'logged_out', 'pairing does not restart by itself');

    const code = await s.session.requestPairingCode('15550000001');
    assert.match(code, /^[A-Z0-9]{8}$/);
    assert.equal(s.session.state, 'pairing');
    assert.equal(s.session.snapshot().pairing_code, code);
  });

  it('pairing by code: WhatsApp confirms the code, typing it on the phone links the device', async () => {
    const s = await start();
    await s.waitForState('pairing');
    const code = await s.session.requestPairingCode('15550000001');
    assert.match(code, /^[A-Z0-9]{8}$/);
    assert.deepEqual(
      s.simulator.network.pairingCodeRequests.map((request) => request.accepted),
      [true],
      'the request names a platform WhatsApp accepts',
    );
    await s.simulator.scan('+15550000001', null);
    const connected = await s.waitForState('connected');
    assert.equal(connected.me?.phone, '+15550000001');
    assert.equal(connected.pairing_code, null);
    assert.ok(s.auth.isRegistered());
  });

  it('a pairing code is refused once linked, at once', async () => {
    const s = await start();
    await s.pair();
    await assert.rejects(s.session.requestPairingCode('15550000001'), { code: 'already_linked' });
  });

  it('stop closes the socket and nothing reconnects afterwards', async () => {
    const s = await start();
    await s.pair();
    const attempts = s.connectAttempts.length;
    await s.session.stop();
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(s.connectAttempts.length, attempts);
    assert.equal(s.simulator.network.currentLink(), null, 'the network sees no open connection');
  });
});
