import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Journal } from '../../src/journal/journal.js';
import type { JournalEvent } from '../../src/journal/types.js';
import { encodeRecord } from '../../src/util/framed-records.js';
import { messageEvent } from '../helpers/messages.js';
import { eventId, statusEvent, withTempDir } from './helpers.js';

async function readAll(journal: Journal, pageSize: number): Promise<JournalEvent[]> {
  const events: JournalEvent[] = [];
  let after = 0;
  for (;;) {
    const page = await journal.read(after, pageSize);
    assert.equal(page.gap, false, `no gap after ${after}`);
    if (page.events.length === 0) return events;
    events.push(...page.events);
    after = page.events.at(-1)!.seq;
  }
}

describe('journal served from disk', () => {
  it('opens a data folder written by the previous version without losing an event', async () => {
    await withTempDir(async (dir) => {
      // The previous version's layout: an id marker and segments of checksummed JSON lines.
      await writeFile(join(dir, 'id-AAAAAAAAAAAAAAAAAAAAAA'), '');
      const at = new Date().toISOString();
      const segment = (first: number, count: number): string =>
        Array.from({ length: count }, (_, i) =>
          encodeRecord(JSON.stringify({ seq: first + i, at, type: 'message_status', data: { id: `old-${first + i}`, chat: '1@g.us', status: 'read' } })),
        ).join('');
      await writeFile(join(dir, 'seg-0000000000000001.log'), segment(1, 700));
      await writeFile(join(dir, 'seg-0000000000000701.log'), segment(701, 300));

      const journal = await Journal.open(dir);
      assert.equal(journal.id, 'AAAAAAAAAAAAAAAAAAAAAA', 'a client keeps its cursor: the journal id is unchanged');
      assert.equal(journal.lastSeq, 1_000);
      const events = await readAll(journal, 250);
      assert.deepEqual(events.map(eventId), Array.from({ length: 1_000 }, (_, i) => `old-${i + 1}`));
      assert.equal((await journal.append(statusEvent('new'))).seq, 1_001);
      await journal.close();
    });
  });

  it('pages a catch-up of thousands of events from disk, identical before and after a restart', async () => {
    await withTempDir(async (dir) => {
      const journal = await Journal.open(dir, { maxEvents: 20_000 });
      const appended = await Promise.all(Array.from({ length: 6_000 }, (_, i) => journal.append(statusEvent(`e${i}`))));
      assert.deepEqual(await readAll(journal, 1_000), appended);
      await journal.close();
      const reopened = await Journal.open(dir, { maxEvents: 20_000 });
      assert.deepEqual(await readAll(reopened, 777), appended);
      await reopened.close();
    });
  });

  it('answers a redelivered message with its first event even when that one is only on disk', async () => {
    await withTempDir(async (dir) => {
      const journal = await Journal.open(dir);
      const first = await journal.append(messageEvent('OLD'));
      // Enough later events that the first one is no longer among those kept parsed in memory.
      await Promise.all(Array.from({ length: 3_000 }, (_, i) => journal.append(statusEvent(`s${i}`))));
      const again = await journal.append(messageEvent('OLD'));
      assert.deepEqual(again, first);
      assert.equal(journal.lastSeq, 3_001, 'nothing new was journalled');
      await journal.close();
    });
  });

  it('reports a record damaged on disk after it was written as a gap, and serves the rest', async () => {
    await withTempDir(async (dir) => {
      const journal = await Journal.open(dir);
      await Promise.all(Array.from({ length: 2_000 }, (_, i) => journal.append(statusEvent(`e${i}`))));
      const [segment] = (await readdir(dir)).filter((name) => name.endsWith('.log'));
      const path = join(dir, segment!);
      const text = await readFile(path, 'latin1');
      // Flip a letter inside event 10's record, the way a bad sector would.
      const at = text.indexOf('"e9"');
      await writeFile(path, `${text.slice(0, at + 1)}E${text.slice(at + 2)}`, 'latin1');
      const page = await journal.read(0, 20);
      assert.deepEqual(
        page.events.map((event) => event.seq),
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20],
      );
      assert.equal(page.gap, true);
      assert.equal((await journal.read(10, 5)).gap, false, 'a reader past the damage sees no gap');
      await journal.close();
    });
  });
});
