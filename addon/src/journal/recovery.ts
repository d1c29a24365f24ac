/**
 * Reading the journal's segments back at start.
 *
 * Two kinds of damage look alike on disk and must be told apart:
 * - a torn tail: the unfinished last line of the newest segment, left by a crash mid-append. It was
 *   never acknowledged, so it is cut off and its seq is free again;
 * - a damaged record: a complete line whose checksum fails (a flipped bit, a bad sector), or an
 *   intact record whose newline was hit. It was acknowledged and possibly read, so its seq is
 *   never handed out again, and readers are told of the hole as a gap.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { truncateDurably } from '../util/atomic-file.js';
import { decodeRecords, decodeTail, type DecodedTail } from '../util/framed-records.js';
import type { JournalEvent } from './types.js';

export interface Segment {
  firstSeq: number;
  path: string;
}

export interface RecoveredSegment extends Segment {
  /** Intact bytes; appends go after them. */
  size: number;
  eventCount: number;
  /** Damage at its end: new events must go to a new segment, so they are not glued to it. */
  damagedTail: boolean;
}

export interface Recovered {
  segments: Segment[];
  /** The newest segment, when there is one. */
  newest: RecoveredSegment | null;
  nextSeq: number;
}

/** Where a recovered event's record lies: the segment's position in `segments`, then bytes. */
export interface RecoveredLocation {
  segmentIndex: number;
  offset: number;
  length: number;
}

export const SEGMENT_NAME = /^seg-(\d{16})\.log$/;

export function segmentName(firstSeq: number): string {
  return `seg-${String(firstSeq).padStart(16, '0')}.log`;
}

/** A seq can still be read from a record whose checksum failed while its start is intact. */
const SEQ_IN_RECORD = /"seq":(\d{1,16})[,}]/g;

/**
 * Reads the segments one at a time and hands each intact event, oldest first, to `accept`, so
 * only one segment is ever in memory.
 */
export async function recoverSegments(
  dir: string,
  logger: Logger,
  accept: (event: JournalEvent, location: RecoveredLocation) => void,
): Promise<Recovered> {
  const segments = (await readdir(dir))
    .flatMap((name) => {
      const match = SEGMENT_NAME.exec(name);
      return match ? [{ firstSeq: Number(match[1]), path: join(dir, name) }] : [];
    })
    .sort((a, b) => a.firstSeq - b.firstSeq);
  let nextSeq = 1;
  let newest: RecoveredSegment | null = null;
  for (const [index, segment] of segments.entries()) {
    const isNewest = index === segments.length - 1;
    const bytes = await readFile(segment.path);
    const decoded = decodeRecords(bytes);
    let eventCount = 0;
    let skipped = decoded.corruptRecords;
    const acceptRecord = (payload: string, start: number, end: number): void => {
      const event = parseEvent(payload);
      if (!event || event.seq < Math.max(nextSeq, segment.firstSeq)) {
        skipped += 1;
        return;
      }
      accept(event, { segmentIndex: index, offset: start, length: end - start });
      nextSeq = event.seq + 1;
      eventCount += 1;
    };
    for (const record of decoded.records) acceptRecord(record.payload, record.start, record.end);
    nextSeq = Math.max(nextSeq, segment.firstSeq);
    const tail = decodeTail(bytes, decoded.validEnd);
    nextSeq = reserveDamagedSeqs(nextSeq, tail);
    if (tail.recordMissingNewline !== undefined) acceptRecord(tail.recordMissingNewline, tail.completeEnd, bytes.length);
    const damagedTail = tail.damagedLines.length > 0 || tail.recordMissingNewline !== undefined;
    if (skipped > 0 || damagedTail) {
      logger.warn({ segment: segment.path, skipped, damagedAtEnd: tail.damagedLines.length }, 'skipped damaged journal records');
    }
    const tornBytes = tail.recordMissingNewline === undefined ? bytes.length - tail.completeEnd : 0;
    if (!isNewest) {
      if (tornBytes > 0) logger.warn({ segment: segment.path, bytes: tornBytes }, 'ignored a damaged journal segment tail');
      continue;
    }
    if (tornBytes > 0) {
      logger.warn({ segment: segment.path, bytes: tornBytes }, 'cut off a torn journal record');
      await truncateDurably(segment.path, tail.completeEnd);
    }
    const size = tail.recordMissingNewline === undefined ? tail.completeEnd : bytes.length;
    newest = { ...segment, size, eventCount: eventCount + skipped, damagedTail };
  }
  return { segments, newest, nextSeq };
}

/**
 * Each damaged complete line held one event, whose seq follows the last intact one. One flipped
 * newline can merge two records into a line; the seqs still legible in it cover that case, but
 * only within the range the lines can hold, so a flipped digit cannot make seqs jump ahead.
 */
function reserveDamagedSeqs(nextSeq: number, tail: DecodedTail): number {
  const count = tail.damagedLines.length;
  if (count === 0) return nextSeq;
  let reserved = nextSeq + count;
  const plausibleMax = nextSeq + count;
  for (const line of tail.damagedLines) {
    for (const match of line.toString('latin1').matchAll(SEQ_IN_RECORD)) {
      const seq = Number(match[1]);
      if (seq >= nextSeq && seq <= plausibleMax) reserved = Math.max(reserved, seq + 1);
    }
  }
  return reserved;
}

export function parseEvent(payload: string): JournalEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const candidate = value as Record<string, unknown>;
  const valid =
    Number.isSafeInteger(candidate.seq) &&
    (candidate.seq as number) > 0 &&
    typeof candidate.at === 'string' &&
    typeof candidate.type === 'string' &&
    typeof candidate.data === 'object' &&
    candidate.data !== null;
  return valid ? (candidate as unknown as JournalEvent) : undefined;
}
