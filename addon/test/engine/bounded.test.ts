import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { describe, it } from 'node:test';

import { bounded } from '../../src/engine/bounded.js';

describe('bounded look-ups', () => {
  it('leave nothing attached to the connection once settled, however many were made', async () => {
    const lifetime = new AbortController();
    for (let i = 0; i < 20_000; i += 1) {
      assert.equal(await bounded(Promise.resolve(i), 1_000, -1, lifetime.signal), i);
    }
    await bounded(Promise.reject(new Error('lookup failed')), 1_000, -1, lifetime.signal);
    assert.ok(getEventListeners(lifetime.signal, 'abort').length <= 1, 'one listener serves every look-up');
  });

  it('many at once (a message mentioning a crowd) raise no listener-leak warning and all end with the connection', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning.name);
    process.on('warning', onWarning);
    try {
      const lifetime = new AbortController();
      const never = new Promise<number>(() => undefined);
      const pending = Array.from({ length: 50 }, (_, n) => bounded(never, 60_000, n, lifetime.signal));
      assert.equal(getEventListeners(lifetime.signal, 'abort').length, 1);
      lifetime.abort();
      assert.deepEqual(await Promise.all(pending), Array.from({ length: 50 }, (_, n) => n));
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(warnings, []);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('give the fallback when the look-up is slow or the connection ends', async () => {
    const lifetime = new AbortController();
    const never = new Promise<number>(() => undefined);
    assert.equal(await bounded(never, 20, -1, lifetime.signal), -1);
    const pending = bounded(never, 60_000, -2, lifetime.signal);
    lifetime.abort();
    assert.equal(await pending, -2);
    assert.equal(await bounded(never, 60_000, -3, lifetime.signal), -3, 'after the end, at once');
  });
});
