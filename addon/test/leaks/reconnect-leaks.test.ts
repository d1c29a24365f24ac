/**
 * A linked add-on reconnects many times over its life (every network hiccup, every restart WhatsApp
 * asks for). Nothing a connection made may outlive it: after 20 reconnects the process must hold no
 * more caches, timers or listeners than after the first, and Node must never warn that listeners
 * pile up on an emitter.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { queryObjects } from 'node:v8';

import NodeCache from '@cacheable/node-cache';

import { ALICE, NetworkHarness } from '../engine/network-harness.js';

const RECONNECTS = 20;

/** Slack for caches a connection fills lazily (the first send, a group's first message). */
const LAZY_CACHES = 3;

/** queryObjects collects garbage first: only caches something still holds are counted. */
/** Listeners on the process itself: a connection adding one and never removing it would grow these. */
function processListeners(): Record<string, number> {
  return Object.fromEntries(process.eventNames().map((name) => [String(name), process.listenerCount(name)]));
}

function liveCaches(): number {
  return queryObjects(NodeCache, { format: 'count' });
}

describe('reconnecting again and again leaves nothing behind', () => {
  let net: NetworkHarness;
  const warnings: string[] = [];
  const onWarning = (warning: Error): void => void warnings.push(`${warning.name}: ${warning.message}`);

  before(async () => {
    process.on('warning', onWarning);
    net = await NetworkHarness.start();
    await net.linkAndOpen();
  });

  after(async () => {
    process.off('warning', onWarning);
    await net.stop();
  });

  it('caches with timers do not accumulate and no emitter collects listeners over 20 reconnects', async () => {
    const first = await net.contacts.deliver({ from: `+${ALICE}`, text: 'before' });
    await net.waitForMessage(first);
    const cachesAfterFirst = liveCaches();
    const listenersAfterFirst = processListeners();

    for (let n = 0; n < RECONNECTS; n += 1) {
      await net.connection!.close();
      await net.linkAndOpen();
      const id = await net.contacts.deliver({ from: `+${ALICE}`, text: `after reconnect ${n}` });
      await net.waitForMessage(id);
    }

    const grown = liveCaches() - cachesAfterFirst;
    // A cache left behind keeps its ten-minute timer, and the keys it holds, alive for good.
    assert.ok(grown <= LAZY_CACHES, `${grown} more caches alive after ${RECONNECTS} reconnects`);
    assert.deepEqual(processListeners(), listenersAfterFirst);
    assert.deepEqual(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning')), []);
  });
});
