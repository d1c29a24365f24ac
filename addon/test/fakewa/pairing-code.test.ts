import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { Browsers, type BinaryNode } from 'baileys';

import type { FakeWhatsAppNetwork } from '../../src/fakewa/network.js';
import { FakeNetworkRun, openCompanion, type Companion } from './companion.js';

describe('fake WhatsApp network: pairing by code with the real Baileys socket', () => {
  let dir: string;
  let network: FakeWhatsAppNetwork;
  let run: FakeNetworkRun;
  let open: Companion[];

  before(async () => {
    run = await FakeNetworkRun.start('fakewa-code-');
    ({ dir, network, open } = run);
  });

  after(() => run.stop());

  it('a canonical platform gets a code; typing it on the phone links the device and it logs in', async () => {
    const authDir = join(dir, 'auth-ok');
    const first = await openCompanion(network.url, authDir, { browser: Browsers.ubuntu('Chrome') });
    open.push(first);
    await first.waitFor((update) => !!update.qr, 'the companion ready to pair');
    const code = await first.sock.requestPairingCode('15550000002');
    const account = await network.confirmPairingCode(code, '15550000002');
    assert.equal(account.phone, '15550000002');
    assert.equal(await first.closed(), 515);
    const second = await openCompanion(network.url, authDir, { browser: Browsers.ubuntu('Chrome') });
    open.push(second);
    await second.waitFor((update) => update.connection === 'open', 'connection open after pairing by code');
    assert.equal(second.sock.authState.creds.me?.id, `15550000002:${account.device}@s.whatsapp.net`);
    assert.deepEqual(network.pairingCodeRequests.at(-1), { phone: '15550000002', platformDisplay: 'Chrome (Ubuntu)', accepted: true });
  });

  it('a wrong code does not link the device', async () => {
    const companion = await openCompanion(network.url, join(dir, 'auth-wrong'), { browser: Browsers.macOS('Chrome') });
    open.push(companion);
    await companion.waitFor((update) => !!update.qr, 'the companion ready to pair');
    const code = await companion.sock.requestPairingCode('15550000003');
    const wrong = code.startsWith('A') ? `B${code.slice(1)}` : `A${code.slice(1)}`;
    await assert.rejects(network.confirmPairingCode(wrong, '15550000003'), /does not match/);
    assert.equal(network.accounts.get('15550000003'), undefined);
  });

  it('"Chrome (Home Assistant)" is refused with 400 bad-request, as production refuses it', async () => {
    const companion = await openCompanion(network.url, join(dir, 'auth-refused'), { browser: ['Home Assistant', 'Chrome', '1.0'] });
    open.push(companion);
    await companion.waitFor((update) => !!update.qr, 'the companion ready to pair');
    const errorReply = new Promise<BinaryNode>((resolve) => companion.sock.ws.on('CB:iq,type:error', resolve));
    await companion.sock.requestPairingCode('15550000004');
    const reply = await errorReply;
    const error = Array.isArray(reply.content) ? reply.content.find((node) => node.tag === 'error') : undefined;
    assert.equal(error?.attrs.code, '400');
    assert.equal(error?.attrs.text, 'bad-request');
    assert.deepEqual(network.pairingCodeRequests.at(-1), { phone: '15550000004', platformDisplay: 'Chrome (Home Assistant)', accepted: false });
    await assert.rejects(network.confirmPairingCode('ABCDEFGH', '15550000004'), /no companion asked/);
  });
});
