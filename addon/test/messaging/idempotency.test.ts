import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import type { ApiError } from '../../src/api/errors.js';
import { IDEMPOTENCY_TTL_MS, IdempotencyConflictError, IdempotencyStore } from '../../src/messaging/idempotency.js';
import { SnapshotLog } from '../../src/util/snapshot-log.js';
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

describe('idempotency records on disk', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wa-idem-disk-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('answers old keys from disk, before and after a restart, and never sends them again', async () => {
    const path = join(dir, 'many');
    const first = await IdempotencyStore.open<string>(path, logger);
    let sends = 0;
    const send = (index: number) => async (): Promise<string> => ((sends += 1), `sent-${index}`);
    // Far more keys than are kept in full in memory; one of them was under way at the end.
    await Promise.all(Array.from({ length: 3_000 }, (_, i) => first.run(`key-${i}`, `body-${i}`, send(i))));
    void first.run('cut-off', 'body', () => new Promise<string>(() => undefined));
    await first.flush();
    assert.equal(await first.run('key-0', 'body-0', send(-1)), 'sent-0');
    await assert.rejects(first.run('key-1', 'other body', send(-1)), IdempotencyConflictError);

    const reopened = await IdempotencyStore.open<string>(path, logger);
    for (const index of [0, 1, 1_500, 2_999]) assert.equal(await reopened.run(`key-${index}`, `body-${index}`, send(-1)), `sent-${index}`);
    await assert.rejects(reopened.run('key-7', 'other body', send(-1)), IdempotencyConflictError);
    await assert.rejects(reopened.run('cut-off', 'body', send(-1)), (error: ApiError) => error.code === 'idempotency_outcome_unknown');
    assert.equal(sends, 3_000, 'nothing was sent twice');
    assert.equal(await reopened.run('new-key', 'body', send(3_000)), 'sent-3000', 'a new key is sent');
    await reopened.flush();
  });

  it('takes over the records of the previous version without losing one, and removes its files', async () => {
    const path = join(dir, 'previous');
    const now = Date.now();
    // The previous version's layout: a snapshot-log "idempotency" (snapshot, then a change log)…
    const { log } = await SnapshotLog.open(path, 'idempotency', logger);
    await log.append(JSON.stringify({ k: 'forgotten', r: { fingerprint: 'body', at: now - 3_000 } }));
    await log.compact(() =>
      JSON.stringify([
        { k: 'in-snapshot', r: { fingerprint: 'body', result: 'from-snapshot', at: now - 2_000 } },
        { k: 'forgotten', r: { fingerprint: 'body', at: now - 3_000 } },
        { k: 'expired', r: { fingerprint: 'body', result: 'too-old', at: now - IDEMPOTENCY_TTL_MS - 1 } },
      ]),
    );
    await log.append(JSON.stringify({ k: 'in-log', r: { fingerprint: 'body', at: now - 1_000 } }));
    await log.append(JSON.stringify({ k: 'in-log', r: { fingerprint: 'body', result: 'from-log', at: now - 1_000 } }));
    await log.append(JSON.stringify({ k: 'under-way', r: { fingerprint: 'body', at: now - 500 } }));
    await log.append(JSON.stringify({ k: 'forgotten', f: true }));
    // …and the single JSON file of the version before it.
    const legacyFile = join(dir, 'idempotency.json');
    writeFileSync(legacyFile, JSON.stringify([['in-json', { fingerprint: 'body', result: 'from-json', at: now - 4_000 }]]));

    const store = await IdempotencyStore.open<string>(path, logger, { legacyFile });
    const again = async (): Promise<string> => 'sent again';
    assert.equal(await store.run('in-snapshot', 'body', again), 'from-snapshot');
    assert.equal(await store.run('in-log', 'body', again), 'from-log');
    assert.equal(await store.run('in-json', 'body', again), 'from-json');
    await assert.rejects(store.run('under-way', 'body', again), (error: ApiError) => error.code === 'idempotency_outcome_unknown');
    assert.equal(await store.run('forgotten', 'body', again), 'sent again', 'a key whose send failed may be sent');
    assert.equal(await store.run('expired', 'body', again), 'sent again', 'a key past its 24 hours may be sent');
    await store.flush();
    assert.deepEqual(
      readdirSync(path).filter((name) => name.startsWith('idempotency')),
      [],
      'the previous version\'s files are gone',
    );
    assert.deepEqual(readdirSync(dir).filter((name) => name === 'idempotency.json'), []);

    const reopened = await IdempotencyStore.open<string>(path, logger, { legacyFile });
    assert.equal(await reopened.run('in-log', 'body', again), 'from-log', 'still there after the next restart');
    assert.equal(await reopened.run('in-json', 'body', again), 'from-json');
    await reopened.flush();
  });

  it('deletes the files of expired keys, so the disk holds about a day of keys', async () => {
    let now = 1_000_000;
    const path = join(dir, 'expiring');
    const store = await IdempotencyStore.open<string>(path, logger, { now: () => now });
    const day = async (label: string): Promise<void> => {
      for (let burst = 0; burst < 5; burst += 1) {
        await Promise.all(Array.from({ length: 1_000 }, (_, i) => store.run(`${label}-${burst}-${i}`, 'body', async () => 'sent')));
        now += IDEMPOTENCY_TTL_MS / 10;
      }
      await store.flush();
    };
    await day('monday');
    const filesAfterOneDay = readdirSync(path).length;
    await day('tuesday');
    await day('wednesday');
    now += IDEMPOTENCY_TTL_MS;
    await store.run('thursday', 'body', async () => 'sent');
    await store.flush();
    assert.ok(readdirSync(path).length <= filesAfterOneDay, `${readdirSync(path).length} files, ${filesAfterOneDay} after one day`);
    assert.equal(await store.run('monday-0-0', 'body', async () => 'sent again'), 'sent again');
  });
});
