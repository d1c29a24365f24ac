import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import type { FakeWhatsAppNetwork } from '../../src/fakewa/network.js';
import { FakeNetworkRun, openCompanion, type Companion } from './companion.js';

const PHONE = '15550000001';

/** Pairs a fresh companion by QR and returns it reconnected and open. */
async function pairByQr(network: FakeWhatsAppNetwork, authDir: string, phone = PHONE): Promise<Companion> {
  const first = await openCompanion(network.url, authDir);
  const { qr } = await first.waitFor((update) => !!update.qr, 'a QR code');
  await network.scan(qr!, phone, 'Test Phone');
  assert.equal(await first.closed(), 515, 'after pairing WhatsApp asks for a restart (515)');
  const second = await openCompanion(network.url, authDir);
  await second.waitFor((update) => update.connection === 'open', 'connection open after pairing');
  return second;
}

describe('fake WhatsApp network: QR pairing and login with the real Baileys socket', () => {
  let dir: string;
  let network: FakeWhatsAppNetwork;
  let run: FakeNetworkRun;
  let open: Companion[];

  before(async () => {
    run = await FakeNetworkRun.start('fakewa-pairing-');
    ({ dir, network, open } = run);
  });

  after(() => run.stop());

  it('scanning the QR links the device, WhatsApp restarts the stream and the companion logs in', async () => {
    const companion = await pairByQr(network, join(dir, 'auth-qr'));
    open.push(companion);
    const me = companion.sock.authState.creds.me;
    assert.match(me?.id ?? '', new RegExp(`^${PHONE}:\\d+@s\\.whatsapp\\.net$`));
    const account = network.accounts.get(PHONE);
    assert.ok(account, 'the network remembers the account');
    assert.equal(me?.lid, `${account.lid}:${account.device}@lid`);
    assert.equal(network.currentLink()?.deviceJid, me?.id);
    const bundle = network.accounts.bundle(PHONE);
    assert.ok(bundle && bundle.preKeys.length > 0, 'the companion uploaded its pre-keys at first login');
    assert.deepEqual(Buffer.from(bundle.identityKey), Buffer.from(companion.sock.authState.creds.signedIdentityKey.public));
  });

  it('a companion whose credentials WhatsApp does not know is refused with 401', async () => {
    const stranger = join(dir, 'auth-stranger');
    const paired = await pairByQr(network, stranger, '15550000009');
    await paired.end();
    await network.accounts.unlink('15550000009');
    const again = await openCompanion(network.url, stranger);
    open.push(again);
    assert.equal(await again.closed(), 401);
  });

  it('a QR code no companion shows is rejected', async () => {
    await assert.rejects(network.scan('2@notcurrent,AAAA,BBBB,CCCC,1', PHONE), /not current/);
  });
});
