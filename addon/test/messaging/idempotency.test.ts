import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import type { ApiError } from '../../src/api/errors.js';
import { IDEMPOTENCY_TTL_MS, IdempotencyConflictError, IdempotencyStore } from '../../src/messaging/idempotency.js';
import { StorageHealth } from '../../src/util/storage-health.js';
import { canMountTmpfs, TMPFS_SKIP, withTmpfs } from '../storage/tmpfs.js';

const logger = pino({ level: 'silent' });

describe('idempotency store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wa-idem-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('runs the work once for concurrent requests with the same key', async () => {
    const store = await IdempotencyStore.open<string>(join(dir, 'a'), logger);
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
    const path = join(dir, 'b');
    const first = await IdempotencyStore.open<string>(path, logger);
    await first.run('k', 'body', async () => 'original');
    await first.flush();
    const second = await IdempotencyStore.open<string>(path, logger);
    let ran = false;
    assert.equal(await second.run('k', 'body', async () => ((ran = true), 'again')), 'original');
    assert.equal(ran, false);
  });

  it('refuses a key reused for a different request', async () => {
    const store = await IdempotencyStore.open<string>(join(dir, 'c'), logger);
    await store.run('k', 'body-1', async () => 'x');
    await assert.rejects(store.run('k', 'body-2', async () => 'y'), IdempotencyConflictError);
  });

  it('does not remember failures, so a retry can succeed', async () => {
    const store = await IdempotencyStore.open<string>(join(dir, 'd'), logger);
    await assert.rejects(store.run('k', 'body', async () => Promise.reject(new Error('offline'))));
    assert.equal(await store.run('k', 'body', async () => 'sent'), 'sent');
  });

  it('forgets results after 24 hours', async () => {
    let now = 1_000_000;
    const store = await IdempotencyStore.open<string>(join(dir, 'e'), logger, { now: () => now });
    await store.run('k', 'body', async () => 'first');
    now += IDEMPOTENCY_TTL_MS + 1;
    assert.equal(await store.run('k', 'body', async () => 'second'), 'second');
  });
});

describe('idempotency store on a full disk', { skip: canMountTmpfs() ? false : TMPFS_SKIP }, () => {
  it('refuses to send when the key cannot be recorded, and sends nothing', async () => {
    await withTmpfs(512, async (fs) => {
      const health = new StorageHealth();
      const store = await IdempotencyStore.open<string>(join(fs.dir, 'idempotency'), logger, { storageHealth: health });
      await store.run('warm-up', 'body', async () => 'ok');
      await fs.fill();
      let sends = 0;
      // Enough keys that the records outgrow the slack of the log's last allocated page.
      const outcomes = await Promise.allSettled(
        Array.from({ length: 40 }, (_, index) => store.run(`k${index}-${'x'.repeat(200)}`, 'body', async () => ((sends += 1), 'sent'))),
      );
      const refused = outcomes.filter((outcome) => outcome.status === 'rejected');
      assert.ok(refused.length > 0, 'some sends must meet the full disk');
      for (const outcome of refused) {
        const error = (outcome as PromiseRejectedResult).reason as ApiError;
        assert.deepEqual([error.status, error.code], [507, 'storage_full']);
      }
      assert.equal(sends, outcomes.length - refused.length, 'every answered send has its record; no refused one was sent');
      assert.equal(health.problem()?.reason, 'storage_full');
      await fs.free();
    });
  });
});

describe('idempotency store across a crash', () => {
  it('never sends again for a key whose send was under way when the service died', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wa-idem-crash-'));
    try {
      const first = await IdempotencyStore.open<string>(dir, logger);
      let release!: () => void;
      const sending = first.run('k', 'body', () => new Promise<string>((resolve) => (release = () => resolve('sent-1'))));
      await new Promise((resolve) => setTimeout(resolve, 50));
      // The process dies here: the message may have reached WhatsApp, the result was never stored.
      const afterRestart = await IdempotencyStore.open<string>(dir, logger);
      let resent = false;
      await assert.rejects(
        afterRestart.run('k', 'body', async () => ((resent = true), 'sent-2')),
        (error: ApiError) => error.status === 409 && error.code === 'idempotency_outcome_unknown',
      );
      assert.equal(resent, false);
      release();
      await sending;
      // Both stores finish writing before their directory goes away.
      await first.flush();
      await afterRestart.flush();
    } finally {
      rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
    }
  });
});
