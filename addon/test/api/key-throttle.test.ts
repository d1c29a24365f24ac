import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { DEFAULT_KEY_THROTTLE, KeyThrottle } from '../../src/api/key-throttle.js';

describe('wrong-key pauses per address', () => {
  it('holds back answers after the free failures, doubling up to the ceiling, and forgets after a quiet while', () => {
    let now = 0;
    const throttle = new KeyThrottle(DEFAULT_KEY_THROTTLE, () => now);
    const pauses = Array.from({ length: 14 }, () => {
      const pause = throttle.failed('10.0.0.9');
      now += pause;
      return pause;
    });
    assert.deepEqual(pauses, [0, 0, 0, 0, 0, 100, 200, 400, 800, 1_000, 1_000, 1_000, 1_000, 1_000]);
    assert.equal(throttle.failed('10.0.0.1'), 0, 'other addresses are not held back');
    now += DEFAULT_KEY_THROTTLE.forgetAfterMs + 1;
    assert.equal(throttle.failed('10.0.0.9'), 0, 'a quarter of an hour later it starts afresh');
  });

  it('remembers a bounded number of addresses, dropping the stalest', () => {
    const throttle = new KeyThrottle({ ...DEFAULT_KEY_THROTTLE, freeFailures: 1, maxClients: 3 }, () => 0);
    for (const client of ['a', 'b', 'c', 'd']) throttle.failed(client);
    assert.equal(throttle.failed('a'), 0, 'the oldest address was forgotten: its next wrong key is free again');
    assert.ok(throttle.failed('d') > 0);
  });
});
