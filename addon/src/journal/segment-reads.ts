/**
 * Reading indexed events back from the segment files: one read per run of adjacent pages in the
 * same segment, so a catch-up page costs a few reads, not one per event. A page is read from its
 * first record; the records before the wanted seqs are skipped.
 *
 * A record that no longer checks out (damaged on disk since it was written) is left out; the
 * reader then sees its seq missing, which the journal reports as a gap, as for damage found at start.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Logger } from 'pino';
import { decodeRecords } from '../util/framed-records.js';
import type { PageSpan } from './event-index.js';
import { parseEvent } from './recovery.js';
import type { JournalEvent } from './types.js';

/** The events with the seqs the spans ask for (spans ascending), in order, without those that are damaged. */
export async function readEvents(reads: PageSpan[], pathOfSegment: (segment: number) => string, logger: Logger): Promise<JournalEvent[]> {
  const events: JournalEvent[] = [];
  let runStart = 0;
  while (runStart < reads.length) {
    let runEnd = runStart + 1;
    while (runEnd < reads.length && reads[runEnd]!.segment === reads[runStart]!.segment && reads[runEnd]!.offset === reads[runEnd - 1]!.end) {
      runEnd += 1;
    }
    const first = reads[runStart]!;
    const last = reads[runEnd - 1]!;
    const bytes = await readRange(pathOfSegment(first.segment), first.offset, last.end);
    const wanted = { from: first.firstSeq, to: last.lastSeq };
    let expected = wanted.from;
    for (const event of eventsIn(bytes, wanted.from, wanted.to)) {
      if (event.seq < expected) continue;
      if (event.seq > expected) logger.warn({ from: expected, to: event.seq - 1 }, 'journal records were damaged on disk after they were written; readers see a gap');
      events.push(event);
      expected = event.seq + 1;
    }
    if (expected <= wanted.to) logger.warn({ from: expected, to: wanted.to }, 'journal records were damaged on disk after they were written; readers see a gap');
    runStart = runEnd;
  }
  return events;
}

/** When each event of the page was journalled, by position; undefined where a record cannot be read. */
export function readPageTimesSync(path: string, page: PageSpan): Array<number | undefined> {
  const times: Array<number | undefined> = new Array<number | undefined>(page.lastSeq - page.firstSeq + 1).fill(undefined);
  let bytes: Buffer;
  try {
    bytes = readRangeSync(path, page.offset, page.end);
  } catch {
    return times;
  }
  for (const event of eventsIn(bytes, page.firstSeq, page.lastSeq)) {
    const position = event.seq - page.firstSeq;
    if (position >= 0 && position < times.length) times[position] = Date.parse(event.at);
  }
  return times;
}

/** Every event is written as `{"seq":N,…`, so the records outside the range need not be parsed. */
const SEQ_FIRST = /^\{"seq":(\d{1,16})[,}]/;

/** The intact events in `bytes` with seqs from..to, in file order. */
function eventsIn(bytes: Buffer, from: number, to: number): JournalEvent[] {
  const events: JournalEvent[] = [];
  for (const record of decodeRecords(bytes).records) {
    const peeked = SEQ_FIRST.exec(record.payload);
    if (peeked && (Number(peeked[1]) < from || Number(peeked[1]) > to)) continue;
    const event = parseEvent(record.payload);
    if (event && event.seq >= from && event.seq <= to) events.push(event);
  }
  return events;
}

async function readRange(path: string, start: number, end: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const bytes = Buffer.allocUnsafe(end - start);
    let filled = 0;
    while (filled < bytes.length) {
      const { bytesRead } = await handle.read(bytes, filled, bytes.length - filled, start + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    // A file cut shorter than the index says: the missing records are reported as a gap.
    return bytes.subarray(0, filled);
  } finally {
    await handle.close();
  }
}

function readRangeSync(path: string, start: number, end: number): Buffer {
  const descriptor = openSync(path, 'r');
  try {
    const bytes = Buffer.allocUnsafe(end - start);
    let filled = 0;
    while (filled < bytes.length) {
      const read = readSync(descriptor, bytes, filled, bytes.length - filled, start + filled);
      if (read === 0) break;
      filled += read;
    }
    return bytes.subarray(0, filled);
  } finally {
    closeSync(descriptor);
  }
}
