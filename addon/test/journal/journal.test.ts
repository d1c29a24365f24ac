import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { appendFile, readdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { Journal } from '../../src/journal/journal.js';
import { eventId, statusEvent, withTempDir } from './helpers.js';

async function appendMany(journal: Journal, count: number, prefix = 'm'): Promise<void> {
  await Promise.all(Array.from({ length: count }, (_, i) => journal.append(statusEvent(`${prefix}${i}`))));
}

async function segmentFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.endsWith('.log')).sort();
}

describe('journal basics', () => {
  it('numbers events from 1 and keeps numbering across restarts', async () => {
    await withTempDir(async (dir) => {
      const journal = await Journal.open(dir);
      assert.equal(journal.lastSeq, 0);
      const first = await journal.append(statusEvent('a'));
      const second = await journal.append({ type: 'connection', data: { state: 'connected', reason: null } });
      assert.equal(first.seq, 1);
      assert.equal(second.seq, 2);
      assert.ok(!Number.isNaN(Date.parse(first.at)));
      assert.deepEqual(first.data, statusEvent('a').data);
      await journal.close();

      const reopened = await Journal.open(dir);
      assert.equal(reopened.lastSeq, 2);
      assert.deepEqual((await reopened.read(0, 10)).events, [first, second]);
      assert.equal((await reopened.append(statusEvent('c'))).seq, 3);
      await reopened.close();
    });
  });

  it('resolves concurrent appends in order, with consecutive seqs', async () => {
    await withTempDir(async (dir) => {
      const journal = await Journal.open(dir);
      const events = await Promise.all(Array.from({ length: 20_000 }, (_, i) => journal.append(statusEvent(`m${i}`))));
      events.forEach((event, i) => {
        assert.equal(event.seq, i + 1);
        assert.equal(eventId(event), `m${i}`);
      });
      await journal.close();
      const reopened = await Journal.open(dir);
      assert.equal(reopened.lastSeq, 20_000);
      assert.equal((await reopened.read(0, 100_000)).events.length, 20_000);
      await reopened.close();
    });
  });

  it('pages through events oldest first', async () => {
    await withTempDir(async (dir) => {
      const journal = await Journal.open(dir);
      await appendMany(journal, 1_200);
      const seen: number[] = [];
      let after = 0;
      for (;;) {
        const page = (await journal.read(after, 500));
        assert.equal(page.lastSeq, 1_200);
        assert.equal(page.oldestSeq, 1);
        assert.equal(page.gap, false);
        if (page.events.length === 0) break;
        assert.ok(page.events.length <= 500);
        seen.push(...page.events.map((event) => event.seq));
        after = page.events.at(-1)!.seq;
      }
      assert.deepEqual(seen, Array.from({ length: 1_200 }, (_, i) => i + 1));
      assert.deepEqual((await journal.read(1_199, 500)).events.map((e) => e.seq), [1_200]);
      assert.equal((await journal.read(0, 0)).events.length, 0);
      await journal.close();
    });
  });

  it('reports no gap, and no events, to a client that is ahead of the journal', async () => {
    await withTempDir(async (dir) => {
      const journal = await Journal.open(dir, { maxEvents: 100 });
      await appendMany(journal, 10);
      const page = (await journal.read(5_000, 100));
      assert.deepEqual(page, { events: [], lastSeq: 10, oldestSeq: 1, gap: false });
      await journal.close();
    });
  });

  it('rejects appends after close', async () => {
    await withTempDir(async (dir) => {
      const journal = await Journal.open(dir);
      await journal.close();
      await assert.rejects(journal.append(statusEvent('late')), /closed/);
    });
  });
});

describe('journal retention', () => {
  it('keeps only the newest maxEvents, flags the gap and deletes old segments', async () => {
    await withTempDir(async (dir) => {
      const journal = await Journal.open(dir, { maxEvents: 100 });
      for (let i = 0; i < 10; i += 1) await appendMany(journal, 100, `b${i}-`);
      const page = (await journal.read(0, 10_000));
      assert.equal(page.events.length, 100);
      assert.equal(page.events[0]!.seq, 901);
      assert.equal(page.oldestSeq, 901);
      assert.equal(page.lastSeq, 1_000);
      assert.equal(page.gap, true);
      assert.equal((await journal.read(899, 10)).gap, true);
      assert.equal((await journal.read(900, 10)).gap, false);
      assert.equal((await journal.read(950, 10)).gap, false);
      // Segments of 64 events: only those still holding retained events may remain.
      assert.ok((await segmentFiles(dir)).length <= 3, `segments: ${(await segmentFiles(dir)).join(',')}`);
      await journal.close();

      const reopened = await Journal.open(dir, { maxEvents: 100 });
      assert.equal((await reopened.read(0, 10_000)).events[0]!.seq, 901);
      assert.equal((await reopened.append(statusEvent('next'))).seq, 1_001);
      await reopened.close();
    });
  });

  it('trims by age, and never reuses a seq even when everything was trimmed', async () => {
    await withTempDir(async (dir) => {
      const journal = await Journal.open(dir, { maxAgeMs: 150 });
      await appendMany(journal, 5);
      assert.equal((await journal.read(0, 10)).events.length, 5);
      await sleep(250);
      const page = (await journal.read(0, 10));
      assert.deepEqual(page, { events: [], lastSeq: 5, oldestSeq: 6, gap: true });
      assert.equal((await journal.read(5, 10)).gap, false);
      await journal.close();

      const reopened = await Journal.open(dir, { maxAgeMs: 150 });
      assert.equal(reopened.lastSeq, 5);
      assert.equal((await reopened.read(0, 10)).events.length, 0);
      assert.equal((await reopened.append(statusEvent('x'))).seq, 6);
      await reopened.close();
    });
  });

  it('continues numbering after every old segment was deleted', async () => {
    await withTempDir(async (dir) => {
      const journal = await Journal.open(dir, { maxEvents: 10 });
      await appendMany(journal, 500);
      await journal.close();
      const files = await segmentFiles(dir);
      assert.ok(files.length <= 2, files.join(','));
      const reopened = await Journal.open(dir, { maxEvents: 10 });
      assert.equal(reopened.lastSeq, 500);
      assert.equal((await reopened.append(statusEvent('y'))).seq, 501);
      await reopened.close();
    });
  });
});

describe('journal recovery', () => {
  it('skips and cuts off a torn last record', async () => {
    await withTempDir(async (dir) => {
      const journal = await Journal.open(dir);
      await appendMany(journal, 10);
      await journal.close();
      const [segment] = await segmentFiles(dir);
      const path = join(dir, segment!);
      const size = (await stat(path)).size;
      await truncate(path, size - 7);

      const reopened = await Journal.open(dir);
      assert.equal(reopened.lastSeq, 9);
      assert.deepEqual((await reopened.read(0, 100)).events.map((e) => e.seq), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
      assert.equal((await reopened.append(statusEvent('after-crash'))).seq, 10);
      await reopened.close();

      const again = await Journal.open(dir);
      const events = (await again.read(0, 100)).events;
      assert.deepEqual(events.map((e) => e.seq), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      assert.equal(eventId(events.at(-1)!), 'after-crash');
      await again.close();
    });
  });

  it('ignores garbage after the last record', async () => {
    await withTempDir(async (dir) => {
      const journal = await Journal.open(dir);
      await appendMany(journal, 3);
      await journal.close();
      const [segment] = await segmentFiles(dir);
      await appendFile(join(dir, segment!), '0badc0de {"seq":4,"at":"x"');
      const reopened = await Journal.open(dir);
      assert.equal(reopened.lastSeq, 3);
      assert.equal((await reopened.append(statusEvent('d'))).seq, 4);
      await reopened.close();
    });
  });

  it('skips a damaged record in the middle with a warning and keeps the rest', async () => {
    await withTempDir(async (dir) => {
      const journal = await Journal.open(dir);
      await appendMany(journal, 10);
      await journal.close();
      const [segment] = await segmentFiles(dir);
      const path = join(dir, segment!);
      const lines = (await readFile(path, 'utf8')).split('\n');
      lines[4] = lines[4]!.replace('"m4"', '"M4"');
      await writeFile(path, lines.join('\n'));

      const warnings: string[] = [];
      const logger = pino({ level: 'warn' }, { write: (line: string) => warnings.push(line) });
      const reopened = await Journal.open(dir, {}, logger);
      assert.ok(warnings.some((line) => line.includes('skipped damaged journal records')), warnings.join('\n'));
      assert.deepEqual((await reopened.read(0, 100)).events.map((e) => e.seq), [1, 2, 3, 4, 6, 7, 8, 9, 10]);
      assert.deepEqual((await reopened.read(4, 1)).events.map((e) => e.seq), [6]);
      assert.equal((await reopened.append(statusEvent('k'))).seq, 11);
      await reopened.close();
    });
  });
});

describe('journal long-poll', () => {
  it('returns true at once when newer events exist', async () => {
    await withTempDir(async (dir) => {
      const journal = await Journal.open(dir);
      await appendMany(journal, 3);
      const started = performance.now();
      assert.equal(await journal.waitForEvents(2, 10_000), true);
      assert.ok(performance.now() - started < 50);
      await journal.close();
    });
  });

  it('wakes all of 50 concurrent waiters within 20 ms of an append', async () => {
    await withTempDir(async (dir) => {
      const journal = await Journal.open(dir);
      await appendMany(journal, 2);
      const wokenAt: number[] = [];
      const waits = Array.from({ length: 50 }, () =>
        journal.waitForEvents(2, 10_000).then((woken) => {
          wokenAt.push(performance.now());
          return woken;
        }),
      );
      await sleep(50);
      assert.equal(wokenAt.length, 0, 'nobody wakes before there is something new');
      const appendedAt = performance.now();
      await journal.append(statusEvent('wake'));
      assert.deepEqual(await Promise.all(waits), Array(50).fill(true));
      const slowest = Math.max(...wokenAt) - appendedAt;
      assert.ok(slowest < 20, `slowest waiter woke ${slowest.toFixed(1)} ms after the append`);
      await journal.close();
    });
  });

  it('returns false after the timeout and cleans up', async () => {
    await withTempDir(async (dir) => {
      const journal = await Journal.open(dir);
      const controller = new AbortController();
      const started = performance.now();
      assert.equal(await journal.waitForEvents(0, 100, controller.signal), false);
      const waited = performance.now() - started;
      assert.ok(waited >= 95 && waited < 1_000, `waited ${waited} ms`);
      assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
      await journal.close();
    });
  });

  it('returns false promptly on abort and removes its timer and listener', async () => {
    await withTempDir(async (dir) => {
      const journal = await Journal.open(dir);
      const timersBefore = process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
      const controller = new AbortController();
      const wait = journal.waitForEvents(0, 60_000, controller.signal);
      assert.equal(getEventListeners(controller.signal, 'abort').length, 1);
      const started = performance.now();
      setTimeout(() => controller.abort(), 20);
      assert.equal(await wait, false);
      assert.ok(performance.now() - started < 500);
      assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
      const timersAfter = process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
      assert.ok(timersAfter <= timersBefore, `timers: ${timersBefore} before, ${timersAfter} after`);
      assert.equal(await journal.waitForEvents(0, 60_000, controller.signal), false, 'already aborted');
      await journal.close();
    });
  });

  it('removes the abort listener when woken by an append, and releases waiters on close', async () => {
    await withTempDir(async (dir) => {
      const journal = await Journal.open(dir);
      const controller = new AbortController();
      const woken = journal.waitForEvents(0, 60_000, controller.signal);
      await journal.append(statusEvent('w'));
      assert.equal(await woken, true);
      assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
      const pending = journal.waitForEvents(1, 60_000);
      await journal.close();
      assert.equal(await pending, false);
    });
  });
});
