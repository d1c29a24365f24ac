import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import { IDEMPOTENCY_TTL_MS, IdempotencyConflictError, IdempotencyStore } from '../../src/messaging/idempotency.js';

const logger = pino({ level: 'silent' });

describe('idempotency store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wa-idem-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('runs the work once for concurrent requests with the same key', async () => {
    const store = IdempotencyStore.open<string>(join(dir, 'a.json'), logger);
    let runs = 0;
    const work = async (): Promise<string> => {
      runs += 1;
      await new Promise((r) => setTimeout(r, 20));
      return `sent-${runs}`;
    };
    const results = await Promise.all(Array.from({ length: 10 }, () => store.run('k1', 'body', work)));
    assert.equal(runs, 1);
    assert.ok(results.every((r) => r === 'sent-1'));
    assert.equal(await store.run('k1', 'body', work), 'sent-1', 'a later retry gets the first result');
    assert.equal(runs, 1);
  });

  it('remembers results across a restart', async () => {
    const path = join(dir, 'b.json');
    const first = IdempotencyStore.open<string>(path, logger);
    await first.run('k', 'body', async () => 'original');
    await first.flush();
    const second = IdempotencyStore.open<string>(path, logger);
    let ran = false;
    assert.equal(await second.run('k', 'body', async () => ((ran = true), 'again')), 'original');
    assert.equal(ran, false);
  });

  it('refuses a key reused for a different request', async () => {
    const store = IdempotencyStore.open<string>(join(dir, 'c.json'), logger);
    await store.run('k', 'body-1', async () => 'x');
    await assert.rejects(store.run('k', 'body-2', async () => 'y'), IdempotencyConflictError);
  });

  it('does not remember failures, so a retry can succeed', async () => {
    const store = IdempotencyStore.open<string>(join(dir, 'd.json'), logger);
    await assert.rejects(store.run('k', 'body', async () => Promise.reject(new Error('offline'))));
    assert.equal(await store.run('k', 'body', async () => 'sent'), 'sent');
  });

  it('forgets results after 24 hours', async () => {
    let now = 1_000_000;
    const store = IdempotencyStore.open<string>(join(dir, 'e.json'), logger, () => now);
    await store.run('k', 'body', async () => 'first');
    now += IDEMPOTENCY_TTL_MS + 1;
    assert.equal(await store.run('k', 'body', async () => 'second'), 'second');
  });
});
