/**
 * Baileys no longer waits for a disk sync per message, but WhatsApp still never hears that a
 * message arrived before the Signal keys it changed are on disk: otherwise a crash at that moment
 * would leave the add-on unable to decrypt what that contact sends next.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { SignalDataSet, SignalKeyStore } from 'baileys';
import { pino } from 'pino';

import { DurableWrites } from '../../src/engine/durable-writes.js';
import type { MessageData } from '../../src/journal/types.js';
import { ALICE, NetworkHarness, until } from './network-harness.js';

describe('Signal keys and what is sent to WhatsApp', () => {
  let net: NetworkHarness;

  before(async () => {
    net = await NetworkHarness.start();
    await net.linkAndOpen();
    const first = await net.contacts.deliver({ from: `+${ALICE}`, text: 'a session first' });
    await net.waitForMessage(first);
  });

  after(async () => net.stop());

  it("a message is reported at once, but its receipt waits until the keys it changed are on disk", async () => {
    const keys = net.auth.state.keys;
    const storeKeys = keys.set.bind(keys);
    let diskDone!: () => void;
    const disk = new Promise<void>((resolve) => (diskDone = resolve));
    let writesHeld = 0;
    keys.set = async (data: SignalDataSet) => {
      writesHeld += 1;
      await storeKeys(data);
      await disk;
    };
    try {
      let receipted = false;
      const delivered = net.contacts.deliver({ from: `+${ALICE}`, text: 'held on disk' }).then((id) => {
        receipted = true;
        return id;
      });
      await until(
        () => net.events().find((event) => event.type === 'message' && (event.data as MessageData).text === 'held on disk'),
        'the message to be reported while its keys are still being written',
      );
      assert.ok(writesHeld > 0, 'the message changed Signal keys');
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(receipted, false, 'WhatsApp heard of the message before its keys were durable');

      diskDone();
      await delivered;
      assert.equal(receipted, true);
    } finally {
      keys.set = storeKeys;
      diskDone();
    }
  });
});

describe('DurableWrites', () => {
  it('takes keys without waiting for the disk, and says when the disk has them, even after a failed write', async () => {
    const memory = new Map<string, unknown>();
    let finishWrite!: () => void;
    let failWrite!: (err: Error) => void;
    const writes: Promise<void>[] = [
      new Promise((resolve) => (finishWrite = resolve)),
      new Promise((_, reject) => (failWrite = reject)),
    ];
    const store: SignalKeyStore = {
      get: ((_type: string, ids: string[]) =>
        Object.fromEntries(ids.filter((id) => memory.has(id)).map((id) => [id, memory.get(id)]))) as SignalKeyStore['get'],
      set: (data) => {
        for (const [id, value] of Object.entries(data.session ?? {})) memory.set(id, value);
        return writes.shift();
      },
    };
    const durable = new DurableWrites(pino({ level: 'silent' }));
    const keys = durable.keyStore(store);

    assert.equal(durable.settled(), null, 'nothing to wait for');
    assert.equal(await keys.set({ session: { 'alice.0': new Uint8Array([1]) } }), undefined);
    await keys.set({ session: { 'bob.0': new Uint8Array([2]) } });
    assert.deepEqual(Object.keys(await keys.get('session', ['alice.0', 'bob.0'])), ['alice.0', 'bob.0']);

    let settled = false;
    void durable.settled()!.then(() => (settled = true));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(settled, false);
    finishWrite();
    failWrite(new Error('disk full'));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(settled, true);
    assert.equal(durable.settled(), null);
  });
});
