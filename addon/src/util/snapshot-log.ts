/**
 * A small durable store: a snapshot file plus an append-only log of the changes made since.
 *
 * - `<name>.snapshot`: a header line `{"format":1,"generation":G,"crc":C,"bytes":N}` and the
 *   snapshot payload, always replaced with writeFileAtomic, so it is either old or new, never torn.
 * - `<name>-<G>.log`: framed records (see framed-records) appended after snapshot G was taken.
 *
 * Every change costs one small append (group-committed with concurrent ones) instead of a rewrite
 * of everything. Compaction writes generation G+1 and only then drops log G; a crash at any point
 * leaves either snapshot G + log G or snapshot G+1 + log G+1, and log tails torn by a crash are
 * ignored, so the store always loads with every acknowledged change in it.
 */
import { mkdir, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { Logger } from 'pino';
import {
  fsyncDirectory,
  readFileIfExists,
  removeFileIfExists,
  removeStaleTempFiles,
  writeAll,
  writeFileAtomic,
} from './atomic-file.js';
import { decodeRecords, encodeRecord } from './framed-records.js';
import { GroupCommitQueue } from './group-commit.js';

const FORMAT = 1;
const MAX_RECORDS_PER_WRITE = 1_000;

interface SnapshotHeader {
  format: number;
  generation: number;
  crc: number;
  bytes: number;
}

export interface LoadedSnapshotLog {
  log: SnapshotLog;
  /** Payload of the last snapshot, if one was ever taken. */
  snapshot: string | undefined;
  /** Payloads appended since that snapshot, oldest first. */
  records: string[];
}

export class SnapshotCorruptError extends Error {
  constructor(path: string, why: string) {
    super(`${path} is damaged (${why})`);
    this.name = 'SnapshotCorruptError';
  }
}

export class SnapshotLog {
  private readonly queue = new GroupCommitQueue<string, void>((batch) => this.writeRecords(batch), MAX_RECORDS_PER_WRITE);
  /** Whether the current log file's directory entry is known to be durable. */
  private logFileDurable: boolean;

  private constructor(
    private readonly dir: string,
    private readonly name: string,
    private generation: number,
    private logSize: number,
    private snapshotSize: number,
  ) {
    this.logFileDurable = logSize > 0;
  }

  static async open(dir: string, name: string, logger: Logger): Promise<LoadedSnapshotLog> {
    await mkdir(dir, { recursive: true });
    await removeStaleTempFiles(dir, `${name}.`);
    const snapshotPath = join(dir, `${name}.snapshot`);
    const snapshotBytes = await readFileIfExists(snapshotPath);
    const { generation, payload } = snapshotBytes ? parseSnapshot(snapshotPath, snapshotBytes) : { generation: 0, payload: undefined };

    const logPath = join(dir, logName(name, generation));
    const { records, validSize } = await readLog(logPath, logger);
    await removeOtherGenerations(dir, name, generation);
    const log = new SnapshotLog(dir, name, generation, validSize, snapshotBytes?.length ?? 0);
    return { log, snapshot: payload, records };
  }

  /**
   * Whether the log has outgrown the snapshot (and `minBytes`): folding it in then costs no more
   * than what was appended, so total writes stay within twice the appended bytes.
   */
  needsCompaction(minBytes: number): boolean {
    return this.logSize >= Math.max(minBytes, this.snapshotSize);
  }

  /** Resolves once the record is durable; concurrent appends share one write and one fsync. */
  append(payload: string): Promise<void> {
    return this.queue.submit(payload).then(() => undefined);
  }

  /**
   * Replaces snapshot and log with a snapshot of what `makeSnapshot` returns, run after every
   * append made before this call has been written.
   */
  compact(makeSnapshot: () => string): Promise<void> {
    return this.queue.exclusive(async () => {
      const payload = makeSnapshot();
      const body = Buffer.from(payload, 'utf8');
      const header: SnapshotHeader = { format: FORMAT, generation: this.generation + 1, crc: crc32(body), bytes: body.length };
      const file = Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`, 'utf8'), body]);
      await writeFileAtomic(join(this.dir, `${this.name}.snapshot`), file);
      const oldLog = this.logPath;
      this.generation += 1;
      this.logSize = 0;
      this.logFileDurable = false;
      this.snapshotSize = file.length;
      await removeFileIfExists(oldLog);
    });
  }

  /** Resolves when everything appended or compacted so far is durable (or has failed). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  private get logPath(): string {
    return join(this.dir, logName(this.name, this.generation));
  }

  private async writeRecords(payloads: string[]): Promise<void[]> {
    const bytes = Buffer.from(payloads.map(encodeRecord).join(''), 'utf8');
    const handle = await open(this.logPath, 'a', 0o600);
    try {
      if (!this.logFileDurable) {
        await fsyncDirectory(this.dir);
        this.logFileDurable = true;
      }
      await writeAll(handle, bytes);
      await handle.datasync();
      this.logSize += bytes.length;
    } catch (error) {
      // Cut back whatever part of the batch made it, so a failed append cannot resurface later.
      await handle.truncate(this.logSize).catch(() => undefined);
      throw error;
    } finally {
      await handle.close();
    }
    return payloads.map(() => undefined);
  }
}

function logName(name: string, generation: number): string {
  return `${name}-${generation}.log`;
}

function parseSnapshot(path: string, file: Buffer): { generation: number; payload: string } {
  const newline = file.indexOf(0x0a);
  if (newline === -1) throw new SnapshotCorruptError(path, 'no header');
  let header: SnapshotHeader;
  try {
    header = JSON.parse(file.toString('utf8', 0, newline)) as SnapshotHeader;
  } catch {
    throw new SnapshotCorruptError(path, 'unreadable header');
  }
  if (header.format !== FORMAT || !Number.isSafeInteger(header.generation)) {
    throw new SnapshotCorruptError(path, `unknown format ${String(header.format)}`);
  }
  const body = file.subarray(newline + 1);
  if (body.length !== header.bytes || crc32(body) !== header.crc) throw new SnapshotCorruptError(path, 'checksum mismatch');
  return { generation: header.generation, payload: body.toString('utf8') };
}

async function readLog(path: string, logger: Logger): Promise<{ records: string[]; validSize: number }> {
  const bytes = await readFileIfExists(path);
  if (!bytes) return { records: [], validSize: 0 };
  const decoded = decodeRecords(bytes);
  if (decoded.corruptRecords > 0) {
    logger.warn({ file: path, skipped: decoded.corruptRecords }, 'skipped damaged records');
  }
  if (decoded.validEnd < bytes.length) {
    // A crash tore the last append, which therefore was never acknowledged.
    logger.warn({ file: path, bytes: bytes.length - decoded.validEnd }, 'cut off a torn record');
    await truncateDurably(path, decoded.validEnd);
  }
  return { records: decoded.records.map((record) => record.payload), validSize: decoded.validEnd };
}

async function truncateDurably(path: string, size: number): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.truncate(size);
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

/** Logs of other generations are leftovers of an interrupted compaction (or clear). */
async function removeOtherGenerations(dir: string, name: string, generation: number): Promise<void> {
  const pattern = new RegExp(`^${name.replace(/[^a-z0-9]/gi, '\\$&')}-(\\d+)\\.log$`);
  const names = await readdir(dir);
  const stale = names.filter((file) => {
    const match = pattern.exec(file);
    return match !== null && Number(match[1]) !== generation;
  });
  await Promise.all(stale.map((file) => removeFileIfExists(join(dir, file))));
}
