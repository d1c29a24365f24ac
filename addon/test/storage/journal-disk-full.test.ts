import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Journal } from '../../src/journal/journal.js';
import { StorageHealth, StorageUnavailableError } from '../../src/util/storage-health.js';
import { statusEvent } from '../journal/helpers.js';
import { canMountTmpfs, TMPFS_SKIP, withTmpfs } from './tmpfs.js';

const skip = canMountTmpfs() ? false : TMPFS_SKIP;

/** Larger than a page, so it cannot slip into the slack of the segment's last allocated page. */
function bulky(id: string): ReturnType<typeof statusEvent> {
  return statusEvent(`${id}:${'x'.repeat(6_000)}`);
}

function idOf(event: { data: object }): string {
  return 'id' in event.data ? String(event.data.id).split(':')[0]! : '';
}

function settledState<T>(promise: Promise<T>): Promise<'pending' | 'resolved' | 'rejected'> {
  return Promise.race([
    promise.then(
      () => 'resolved' as const,
      () => 'rejected' as const,
    ),
    new Promise<'pending'>((resolve) => setTimeout(() => resolve('pending'), 150)),
  ]);
}

describe('journal on a full disk', { skip }, () => {
  it('keeps events it could not write in memory, reports storage_full, and writes them when space returns', async () => {
    await withTmpfs(512, async (fs) => {
      const health = new StorageHealth();
      const journal = await Journal.open(fs.dir, { retryIntervalMs: 50, storageHealth: health });
      await journal.append(statusEvent('before'));
      await fs.fill();

      const waiting = [journal.append(bulky('full-1')), journal.append(bulky('full-2'))];
      assert.equal(await settledState(waiting[0]!), 'pending', 'an event the disk refused must wait, not be dropped');
      assert.equal(journal.writable, false);
      assert.deepEqual(health.problem()?.reason, 'storage_full');
      assert.deepEqual(health.problem()?.components, ['journal']);
      assert.equal((await journal.read(0, 10)).events.length, 1, 'readers see only what is on disk');

      await fs.free();
      const written = await Promise.all(waiting);
      assert.deepEqual(written.map((event) => event.seq), [2, 3]);
      assert.equal(journal.writable, true);
      assert.equal(health.problem(), null);
      await journal.close();

      const reopened = await Journal.open(fs.dir);
      assert.deepEqual(
        (await reopened.read(0, 10)).events.map(idOf),
        ['before', 'full-1', 'full-2'],
      );
      await reopened.close();
    });
  });

  it('bounds the backlog: past maxBacklog an append is refused with a storage error', async () => {
    await withTmpfs(512, async (fs) => {
      const journal = await Journal.open(fs.dir, { retryIntervalMs: 50, maxBacklog: 5 });
      await journal.append(statusEvent('before'));
      await fs.fill();
      const waiting = Array.from({ length: 5 }, (_, index) => journal.append(bulky(`w${index}`)));
      await new Promise((resolve) => setTimeout(resolve, 100));
      await assert.rejects(journal.append(bulky('one-too-many')), StorageUnavailableError);
      await fs.free();
      assert.equal((await Promise.all(waiting)).length, 5);
      await journal.close();
    });
  });

  it('closes promptly while the disk stays full, refusing what it still could not write', async () => {
    await withTmpfs(512, async (fs) => {
      const journal = await Journal.open(fs.dir, { retryIntervalMs: 60_000 });
      await journal.append(statusEvent('before'));
      await fs.fill();
      const waiting = journal.append(bulky('never'));
      await new Promise((resolve) => setTimeout(resolve, 50));
      const started = Date.now();
      await journal.close();
      assert.ok(Date.now() - started < 2_000);
      await assert.rejects(waiting);
    });
  });
});
