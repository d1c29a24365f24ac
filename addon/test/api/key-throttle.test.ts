import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { DEFAULT_KEY_THROTTLE, KeyThrottle } from '../../src/api/key-throttle.js';

describe('wrong-key pauses per address', () => {
  it('pauses after the free failures, doubling up to the maximum, and forgets after a quiet while', () => {
    let now = 0;
    const throttle = new KeyThrottle(DEFAULT_KEY_THROTTLE, () => now);
    const pauses = Array.from({ length: 14 }, () => {
      const pause = throttle.failed('10.0.0.9');
      now += pause;
      return pause;
    });
    assert.deepEqual(pauses, [0, 0, 0, 0, 1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000, 60_000]);
    assert.equal(throttle.pauseLeft('10.0.0.1'), 0, 'other addresses never wait');
    now += DEFAULT_KEY_THROTTLE.forgetAfterMs + 1;
    assert.equal(throttle.failed('10.0.0.9'), 0, 'a quarter of an hour later it starts afresh');
  });

  it('remembers a bounded number of addresses, dropping the stalest', () => {
    const throttle = new KeyThrottle({ ...DEFAULT_KEY_THROTTLE, freeFailures: 1, maxClients: 3 }, () => 0);
    for (const client of ['a', 'b', 'c', 'd']) throttle.failed(client);
    assert.equal(throttle.pauseLeft('a'), 0, 'the oldest address was forgotten');
    assert.ok(throttle.pauseLeft('d') > 0);
  });
});
