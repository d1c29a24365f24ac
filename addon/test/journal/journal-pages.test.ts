/**
 * The journal's index has one entry per page of events, not per event: reads, retention and the
 * de-duplication of redelivered messages must not notice where the pages begin and end.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { EVENTS_PER_PAGE } from '../../src/journal/event-index.js';
import { Journal } from '../../src/journal/journal.js';
import { MESSAGE_WINDOW } from '../../src/journal/recent-messages.js';
import { encodeRecord } from '../../src/util/framed-records.js';
import { messageEvent } from '../helpers/messages.js';
import { eventId, statusEvent, withTempDir } from './helpers.js';

const DAY_MS = 24 * 60 * 60 * 1000;

const range = (from: number, to: number): number[] => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);

describe('journal pages', () => {
  it('reads from any seq after retention cut into a page, the same before and after a restart', async () => {
    await withTempDir(async (dir) => {
      const options = { maxEvents: 300 };
      const journal = await Journal.open(dir, options);
      for (let burst = 0; burst < 10; burst += 1) {
        await Promise.all(Array.from({ length: 100 }, (_, i) => journal.append(statusEvent(`e${burst * 100 + i + 1}`))));
      }
      const check = async (reader: Journal): Promise<void> => {
        for (let after = 690; after <= 1_000; after += 7) {
          const page = await reader.read(after, 50);
          const first = Math.max(after + 1, 701);
          assert.deepEqual(page.events.map(eventId), range(first, Math.min(first + 49, 1_000)).map((seq) => `e${seq}`), `after ${after}`);
          assert.equal(page.oldestSeq, 701);
          assert.equal(page.gap, after < 700, `gap after ${after}`);
        }
      };
      await check(journal);
      await journal.close();
      const reopened = await Journal.open(dir, options);
      await check(reopened);
      await reopened.close();
    });
  });

  it('trims by age inside a page: the events past retention go, the newer ones in the same page stay', async () => {
    await withTempDir(async (dir) => {
      const now = Date.now();
      const record = (seq: number, atMs: number): string =>
        encodeRecord(JSON.stringify({ seq, at: new Date(atMs).toISOString(), type: 'message_status', data: { id: `s${seq}`, chat: '1@g.us', status: 'read' } }));
      // One segment, one page: ten events eight days old, then ten from today.
      const lines = [...range(1, 10).map((seq) => record(seq, now - 8 * DAY_MS)), ...range(11, 20).map((seq) => record(seq, now - 1_000))];
      await writeFile(join(dir, 'seg-0000000000000001.log'), lines.join(''));
      assert.ok(20 < EVENTS_PER_PAGE);

      const journal = await Journal.open(dir, { maxAgeMs: 7 * DAY_MS });
      const page = await journal.read(0, 100);
      assert.deepEqual(page.events.map(eventId), range(11, 20).map((seq) => `s${seq}`));
      assert.deepEqual([page.oldestSeq, page.lastSeq, page.gap], [11, 20, true]);
      assert.equal((await journal.append(statusEvent('new'))).seq, 21);
      await journal.close();
    });
  });

  it(`recognises a redelivered message among the newest ${MESSAGE_WINDOW.toLocaleString('en')} messages, read back from its page on disk`, { timeout: 120_000 }, async () => {
    await withTempDir(async (dir) => {
      const journal = await Journal.open(dir);
      const first = await journal.append(messageEvent('FIRST'));
      const burst = async (from: number, count: number): Promise<void> => {
        await Promise.all(range(from, from + count - 1).map((index) => journal.append(messageEvent(`M${index}`))));
      };
      await burst(0, 3 * EVENTS_PER_PAGE + 5);
      const middle = await journal.append(messageEvent('MIDDLE'));
      await burst(1_000, 10_000);
      assert.deepEqual(await journal.append(messageEvent('FIRST')), first);
      assert.deepEqual(await journal.append(messageEvent('MIDDLE')), middle);
      assert.deepEqual(await journal.append(messageEvent('M100')), (await journal.read(101, 1)).events[0]);
      const lastSeq = journal.lastSeq;
      // The window is what WhatsApp's redelivery needs; a message older than that is a new event.
      await burst(20_000, MESSAGE_WINDOW);
      const afterWindow = await journal.append(messageEvent('FIRST'));
      assert.equal(afterWindow.seq, lastSeq + MESSAGE_WINDOW + 1);
      await journal.close();
    });
  });
});
