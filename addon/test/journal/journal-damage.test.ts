import assert from 'node:assert/strict';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Journal } from '../../src/journal/journal.js';
import { eventId, statusEvent, withTempDir } from './helpers.js';

async function journalWith(dir: string, count: number): Promise<string> {
  const journal = await Journal.open(dir);
  for (let index = 1; index <= count; index += 1) await journal.append(statusEvent(`m${index}`));
  await journal.close();
  const segment = (await readdir(dir)).find((name) => name.startsWith('seg-'))!;
  return join(dir, segment);
}

/** Flips one bit of the byte at `offset` from the end of record `line` (1-based). */
async function flipInRecord(path: string, line: number, fromEnd = 5): Promise<void> {
  const bytes = await readFile(path);
  let start = 0;
  for (let index = 1; index < line; index += 1) start = bytes.indexOf(0x0a, start) + 1;
  const end = bytes.indexOf(0x0a, start);
  bytes[end - fromEnd] ^= 0x01;
  await writeFile(path, bytes);
}

describe('journal damage', () => {
  it('never reuses the seq of a damaged last record: a client that read it sees the next event', async () => {
    await withTempDir(async (dir) => {
      const path = await journalWith(dir, 10);
      await flipInRecord(path, 10);

      const journal = await Journal.open(dir);
      assert.equal(journal.lastSeq, 10, 'the damaged record still used seq 10');
      const next = await journal.append(statusEvent('after-damage'));
      assert.equal(next.seq, 11);
      assert.deepEqual((await journal.read(10, 10)).events.map(eventId), ['after-damage'], 'a client at after=10 gets the new event');
      assert.equal((await journal.read(10, 10)).gap, false);
      assert.equal((await journal.read(9, 10)).gap, true, 'a client at after=9 lost event 10');
      await journal.close();

      const again = await Journal.open(dir);
      assert.equal(again.lastSeq, 11);
      assert.equal((await again.append(statusEvent('later'))).seq, 12);
      assert.equal((await again.read(9, 10)).gap, true);
      await again.close();
    });
  });

  it('reports a damaged middle record as a gap to readers whose range it falls in', async () => {
    await withTempDir(async (dir) => {
      const path = await journalWith(dir, 10);
      await flipInRecord(path, 5);
      const journal = await Journal.open(dir);
      assert.equal((await journal.read(0, 100)).gap, true);
      assert.equal((await journal.read(3, 100)).gap, true);
      assert.equal((await journal.read(4, 100)).gap, true);
      assert.equal((await journal.read(5, 100)).gap, false);
      assert.equal((await journal.read(0, 3)).gap, false, 'the hole is after this page; the next page reports it');
      await journal.close();
    });
  });

  it('keeps a record whose newline was damaged and does not reuse its seq', async () => {
    await withTempDir(async (dir) => {
      const path = await journalWith(dir, 4);
      await flipInRecord(path, 4, 0);
      const journal = await Journal.open(dir);
      assert.deepEqual((await journal.read(0, 10)).events.map((event) => event.seq), [1, 2, 3, 4]);
      assert.equal((await journal.append(statusEvent('next'))).seq, 5);
      await journal.close();
      const again = await Journal.open(dir);
      assert.deepEqual((await again.read(0, 10)).events.map((event) => event.seq), [1, 2, 3, 4, 5]);
      assert.equal((await again.read(0, 10)).gap, false);
      await again.close();
    });
  });

  it('waits rather than answering at once when only lost seqs follow the reader', async () => {
    await withTempDir(async (dir) => {
      const path = await journalWith(dir, 3);
      await flipInRecord(path, 3);
      const journal = await Journal.open(dir);
      assert.equal(await journal.waitForEvents(2, 50), false, 'nothing to read after 2: a long-poll must not spin');
      const page = (await journal.read(2, 10));
      assert.deepEqual(page.events, []);
      assert.equal(page.gap, true);
      await journal.close();
    });
  });

  it('has a random id, kept across restarts and new when the journal is wiped', async () => {
    await withTempDir(async (dir) => {
      const first = await Journal.open(dir);
      const id = first.id;
      assert.match(id, /^[A-Za-z0-9_-]{22}$/);
      await first.append(statusEvent('a'));
      await first.close();
      const reopened = await Journal.open(dir);
      assert.equal(reopened.id, id);
      await reopened.close();
      await rm(dir, { recursive: true, force: true });
      const wiped = await Journal.open(dir);
      assert.notEqual(wiped.id, id);
      await wiped.close();
    });
  });
});
