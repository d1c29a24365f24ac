import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { DisconnectReason } from 'baileys';

import type { SimulatedDisconnect } from '../../src/fakewa/disconnects.js';
import type { FakeWhatsAppNetwork } from '../../src/fakewa/network.js';
import { FakeNetworkRun, openCompanion, type Companion } from './companion.js';

const PHONE = '15550000001';

/** What Baileys reports (`lastDisconnect.error.output.statusCode`) for each way the network ends a stream. */
const EXPECTED: ReadonlyArray<[SimulatedDisconnect, number]> = [
  ['restartRequired', DisconnectReason.restartRequired],
  ['connectionReplaced', DisconnectReason.connectionReplaced],
  ['badSession', DisconnectReason.badSession],
  ['unavailableService', DisconnectReason.unavailableService],
  ['forbidden', DisconnectReason.forbidden],
  ['multideviceMismatch', DisconnectReason.multideviceMismatch],
  ['clientOutdated', 405],
  ['connectionClosed', DisconnectReason.connectionClosed],
];

describe('fake WhatsApp network: every disconnect, as the real Baileys socket reports it', () => {
  let dir: string;
  let authDir: string;
  let network: FakeWhatsAppNetwork;
  let run: FakeNetworkRun;
  let open: Companion[];

  const connect = async (keepAliveIntervalMs?: number): Promise<Companion> => {
    const companion = await openCompanion(network.url, authDir, { keepAliveIntervalMs });
    open.push(companion);
    await companion.waitFor((update) => update.connection === 'open', 'connection open');
    return companion;
  };

  before(async () => {
    run = await FakeNetworkRun.start('fakewa-disconnect-');
    ({ dir, network, open } = run);
    authDir = join(dir, 'auth');
    const pairing = await openCompanion(network.url, authDir);
    open.push(pairing);
    const { qr } = await pairing.waitFor((update) => !!update.qr, 'a QR code');
    await network.scan(qr!, PHONE);
    await pairing.closed();
  });

  after(() => run.stop());

  for (const [reason, statusCode] of EXPECTED) {
    it(`${reason} → Baileys reports ${statusCode}`, async () => {
      const companion = await connect();
      await network.disconnect(reason);
      assert.equal(await companion.closed(), statusCode);
    });
  }

  it('restarting the network on the same data directory logs straight back in, without a QR code', async () => {
    network = await run.restartNetwork();
    const companion = await connect();
    assert.equal(companion.updates.some((update) => update.qr), false, 'no QR code after a restart');
    assert.ok((network.accounts.bundle(PHONE)?.preKeys.length ?? 0) > 0, 'the uploaded bundle survived the restart');
  });

  it('connectionLost: a network that goes quiet makes Baileys give up after its keep-alive (408)', async () => {
    const companion = await connect(500);
    await network.disconnect('connectionLost');
    assert.equal(await companion.closed(10_000), DisconnectReason.connectionLost);
    assert.match(companion.updates.at(-1)?.lastDisconnect?.error?.message ?? '', /Connection was lost/);
  });

  it('an HTTP error to the WebSocket upgrade never opens the connection', async () => {
    network.failUpgrades(503, 1);
    const companion = await openCompanion(network.url, authDir);
    open.push(companion);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.equal(network.refusedUpgrades, 1);
    assert.equal(companion.updates.some((update) => update.connection === 'open'), false);
    // The next attempt is served normally again.
    await connect();
  });

  it('loggedOut: the device is removed (401) and WhatsApp forgets it, so it cannot log in again', async () => {
    const companion = await connect();
    await network.disconnect('loggedOut');
    assert.equal(await companion.closed(), DisconnectReason.loggedOut);
    assert.equal(network.accounts.get(PHONE), undefined);
    const again = await openCompanion(network.url, authDir);
    open.push(again);
    assert.equal(await again.closed(), DisconnectReason.loggedOut);
  });
});
