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
    assert.equal(getEventListeners(lifetime.signal, 'abort').length, 0);
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
