import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gaussian, Pacer, QueueFullError, type PacingOptions } from '../../src/messaging/pacer.js';

/** A clock that only moves when the pacer sleeps, so timings are exact and the test is instant. */
function virtualClock(): { now: () => number; sleep: (ms: number) => Promise<void>; sleeps: number[] } {
  let time = 0;
  const sleeps: number[] = [];
  return {
    now: () => time,
    sleep: async (ms) => {
      sleeps.push(ms);
      time += ms;
    },
    sleeps,
  };
}

const NO_JITTER: PacingOptions = { ratePerMinute: 12, burst: 3, jitterMeanMs: 0, jitterSigmaMs: 0, maxQueue: 500 };

describe('pacer', () => {
  it('lets a burst out at once, then one send every 60/rate seconds', async () => {
    const clock = virtualClock();
    const pacer = new Pacer(NO_JITTER, Math.random, clock.now, clock.sleep);
    const sentAt: number[] = [];
    await Promise.all(Array.from({ length: 8 }, () => pacer.schedule(async () => sentAt.push(clock.now()))));
    assert.deepEqual(sentAt, [0, 0, 0, 5_000, 10_000, 15_000, 20_000, 25_000]);
  });

  it('adds a gaussian pause between sends that is never negative', async () => {
    const clock = virtualClock();
    const pacer = new Pacer({ ratePerMinute: 6_000, burst: 1_000, jitterMeanMs: 100, jitterSigmaMs: 400, maxQueue: 5_000 }, Math.random, clock.now, clock.sleep);
    const sentAt: number[] = [];
    await Promise.all(Array.from({ length: 2_000 }, () => pacer.schedule(async () => sentAt.push(clock.now()))));
    const gaps = sentAt.slice(1).map((t, i) => t - sentAt[i]!);
    assert.ok(gaps.every((g) => g >= 0), 'no negative pause');
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    // A normal(100, 400) clamped at 0 has a mean of about 216 ms.
    assert.ok(mean > 170 && mean < 270, `mean gap ${mean}`);
    assert.ok(gaps.filter((g) => g === 0).length > 400, 'the clamp at zero is hit often with this σ');
  });

  it('keeps the order of sends', async () => {
    const clock = virtualClock();
    const pacer = new Pacer({ ...NO_JITTER, ratePerMinute: 600 }, Math.random, clock.now, clock.sleep);
    const order: number[] = [];
    await Promise.all(Array.from({ length: 50 }, (_, i) => pacer.schedule(async () => order.push(i))));
    assert.deepEqual(order, Array.from({ length: 50 }, (_, i) => i));
  });

  it('refuses sends beyond the queue limit and keeps working after a failed send', async () => {
    const clock = virtualClock();
    const pacer = new Pacer({ ...NO_JITTER, maxQueue: 3 }, Math.random, clock.now, clock.sleep);
    const results = await Promise.allSettled([
      pacer.schedule(async () => 1),
      pacer.schedule(async () => {
        throw new Error('boom');
      }),
      pacer.schedule(async () => 3),
      pacer.schedule(async () => 4),
      pacer.schedule(async () => 5),
    ]);
    const statuses = results.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 'fulfilled').length, 3);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected' && r.reason instanceof QueueFullError);
    assert.equal(refused.length, 1);
    assert.match(String(refused[0]!.reason.message), /already waiting/);
  });

  it('with rate 0, pacing is off', async () => {
    const clock = virtualClock();
    const pacer = new Pacer({ ...NO_JITTER, ratePerMinute: 0, jitterMeanMs: 1_000 }, Math.random, clock.now, clock.sleep);
    await Promise.all(Array.from({ length: 20 }, () => pacer.schedule(async () => undefined)));
    assert.deepEqual(clock.sleeps, []);
  });

  it('draws standard normal values', () => {
    const draws = Array.from({ length: 20_000 }, () => gaussian(Math.random));
    const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
    const variance = draws.reduce((a, b) => a + (b - mean) ** 2, 0) / draws.length;
    assert.ok(Math.abs(mean) < 0.05, `mean ${mean}`);
    assert.ok(Math.abs(variance - 1) < 0.05, `variance ${variance}`);
  });
});
