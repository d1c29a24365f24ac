/**
 * Reading indexed events back from the segment files: one read per run of consecutive records in
 * the same segment, so a catch-up page costs a few reads, not one per event.
 *
 * A record that no longer checks out (damaged on disk since it was written) is left out; the
 * reader then sees its seq missing, which the journal reports as a gap, as for damage found at start.
 */
import { open } from 'node:fs/promises';
import type { Logger } from 'pino';
import { decodeRecord } from '../util/framed-records.js';
import type { EventLocation } from './event-index.js';
import { parseEvent } from './recovery.js';
import type { JournalEvent } from './types.js';

/** The events at `locations` (ascending), in order, without those that are damaged. */
export async function readEvents(
  locations: EventLocation[],
  pathOfSegment: (segment: number) => string,
  logger: Logger,
): Promise<JournalEvent[]> {
  const events: JournalEvent[] = [];
  let runStart = 0;
  while (runStart < locations.length) {
    let runEnd = runStart + 1;
    while (runEnd < locations.length && locations[runEnd]!.segment === locations[runStart]!.segment) runEnd += 1;
    const run = locations.slice(runStart, runEnd);
    const bytes = await readRange(pathOfSegment(run[0]!.segment), run[0]!.offset, run.at(-1)!.offset + run.at(-1)!.length);
    for (const location of run) {
      const start = location.offset - run[0]!.offset;
      const payload = decodeRecord(bytes.subarray(start, start + location.length));
      const event = payload === undefined ? undefined : parseEvent(payload);
      if (event?.seq === location.seq) events.push(event);
      else logger.warn({ seq: location.seq }, 'a journal record was damaged on disk after it was written; readers see a gap');
    }
    runStart = runEnd;
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
    // A file cut shorter than the index says: the missing records fail their checksum above.
    return bytes.subarray(0, filled);
  } finally {
    await handle.close();
  }
}
