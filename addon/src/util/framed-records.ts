/**
 * Line framing for append-only logs: `<crc32 as 8 hex digits> <json>\n`. JSON never contains a raw
 * newline, so a record is one line, and the checksum tells a complete record from one torn by a
 * crash or damaged on disk.
 */
import { crc32 } from 'node:zlib';

const CHECKSUM_LENGTH = 8;
const NEWLINE = 0x0a;
const SPACE = 0x20;

export function encodeRecord(json: string): string {
  return `${crc32(json).toString(16).padStart(CHECKSUM_LENGTH, '0')} ${json}\n`;
}

export interface DecodedRecord {
  payload: string;
  /** Byte offset of the record's first byte. */
  start: number;
  /** Byte offset just past this record's newline. */
  end: number;
}

export interface DecodedLog {
  records: DecodedRecord[];
  /** Byte offset just past the last intact record: everything after it is a torn or damaged tail. */
  validEnd: number;
  /** Damaged records followed by intact ones (not counting the tail). */
  corruptRecords: number;
}

export function decodeRecords(buffer: Buffer): DecodedLog {
  const records: DecodedRecord[] = [];
  let validEnd = 0;
  let corruptRecords = 0;
  let corruptSinceLastValid = 0;
  let start = 0;
  while (start < buffer.length) {
    const newline = buffer.indexOf(NEWLINE, start);
    if (newline === -1) break;
    const payload = intactPayload(buffer, start, newline);
    if (payload === undefined) {
      corruptSinceLastValid += 1;
    } else {
      records.push({ payload, start, end: newline + 1 });
      validEnd = newline + 1;
      corruptRecords += corruptSinceLastValid;
      corruptSinceLastValid = 0;
    }
    start = newline + 1;
  }
  return { records, validEnd, corruptRecords };
}

export interface DecodedTail {
  /** Complete lines after the last intact record: records damaged on disk, never torn by a crash. */
  damagedLines: Buffer[];
  /**
   * The last intact record whose newline was damaged (so it reads as an unfinished line), or
   * undefined. A crash cannot produce one: a torn write never ends with a complete checksummed record.
   */
  recordMissingNewline: string | undefined;
  /** Byte offset just past the last complete line: anything after it is an unfinished (torn) line. */
  completeEnd: number;
}

/** What follows `validEnd`: damaged complete lines, and whether the unfinished last line is torn. */
export function decodeTail(buffer: Buffer, validEnd: number): DecodedTail {
  const damagedLines: Buffer[] = [];
  let start = validEnd;
  for (;;) {
    const newline = buffer.indexOf(NEWLINE, start);
    if (newline === -1) break;
    damagedLines.push(buffer.subarray(start, newline));
    start = newline + 1;
  }
  const unfinished = buffer.length - start;
  const recordMissingNewline = unfinished > 1 ? intactPayload(buffer, start, buffer.length - 1) : undefined;
  return { damagedLines, recordMissingNewline, completeEnd: start };
}

/**
 * The payload of the one record stored in `bytes` (its newline last), or undefined when the
 * checksum fails. The last byte is not looked at, so a record whose newline was damaged still reads.
 */
export function decodeRecord(bytes: Buffer): string | undefined {
  return bytes.length < 2 ? undefined : intactPayload(bytes, 0, bytes.length - 1);
}

function intactPayload(buffer: Buffer, start: number, newline: number): string | undefined {
  const payloadStart = start + CHECKSUM_LENGTH + 1;
  if (payloadStart > newline || buffer[start + CHECKSUM_LENGTH] !== SPACE) return undefined;
  const expected = Number.parseInt(buffer.toString('latin1', start, start + CHECKSUM_LENGTH), 16);
  const body = buffer.subarray(payloadStart, newline);
  if (!Number.isFinite(expected) || crc32(body) !== expected) return undefined;
  return body.toString('utf8');
}
