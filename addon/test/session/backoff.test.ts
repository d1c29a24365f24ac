import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Backoff } from '../../src/session/backoff.js';

const OPTIONS = { baseMs: 1_000, capMs: 60_000, floorMs: 500, stableAfterMs: 60_000 };

describe('reconnect backoff', () => {
  it('grows exponentially up to the cap when every draw is at the top', () => {
    const backoff = new Backoff(OPTIONS, () => 1);
    const delays = Array.from({ length: 9 }, () => backoff.nextDelayMs());
    assert.deepEqual(delays, [1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000]);
  });

  it('never waits less than the floor, even with the smallest draw', () => {
    const backoff = new Backoff(OPTIONS, () => 0);
    const delays = Array.from({ length: 8 }, () => backoff.nextDelayMs());
    assert.ok(delays.every((d) => d === 500));
  });

  it('spreads delays across the whole window (full jitter)', () => {
    const backoff = new Backoff(OPTIONS);
    const samples: number[] = [];
    for (let i = 0; i < 2_000; i++) {
      backoff.reset();
      for (let k = 0; k < 5; k++) backoff.nextDelayMs();
      samples.push(backoff.nextDelayMs()); // sixth attempt: window 500..32,000 ms
    }
    const min = Math.min(...samples);
    const max = Math.max(...samples);
    assert.ok(min >= 500 && min < 3_000, `min ${min}`);
    assert.ok(max <= 32_000 && max > 29_000, `max ${max}`);
    assert.ok(new Set(samples).size > 1_000, 'delays are not in lock-step');
  });

  it('resets only after a connection that stayed up long enough', () => {
    const backoff = new Backoff(OPTIONS, () => 1);
    backoff.nextDelayMs();
    backoff.nextDelayMs();
    backoff.connectionEnded(5_000);
    assert.equal(backoff.nextDelayMs(), 4_000, 'a short-lived connection does not reset the growth');
    backoff.connectionEnded(60_000);
    assert.equal(backoff.nextDelayMs(), 1_000, 'a stable connection starts over');
  });
});
