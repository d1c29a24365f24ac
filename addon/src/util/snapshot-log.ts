/**
 * A small durable store: a snapshot file plus an append-only log of the changes made since.
 *
 * - `<name>.snapshot`: a header line `{"format":1,"generation":G,"crc":C,"bytes":N}` and the
 *   snapshot payload, always replaced with writeFileAtomic, so it is either old or new, never torn.
 * - `<name>-<G>.log`: framed records (see framed-records) appended after snapshot G was taken.
 *
 * Every change costs one small append (group-committed with concurrent ones) instead of a rewrite
 * of everything. Compaction writes generation G+1 and only then drops log G-1; a crash at any point
 * leaves either snapshot G + log G or snapshot G+1 + log G+1, and log tails torn by a crash are
 * ignored, so the store always loads with every acknowledged change in it.
 *
 * The previous generation is kept (`<name>.prev.snapshot` and its log): when the current snapshot
 * is damaged (a flipped bit), previous snapshot + its log + the current log give the same state.
 * When neither snapshot can be read, the damaged files are set aside and the store starts empty,
 * and says so, rather than refusing to start.
 */
import { mkdir, open, readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { Logger } from 'pino';
import {
  fsyncDirectory,
  readFileIfExists,
  removeFileIfExists,
  removeStaleTempFiles,
  truncateDurably,
  writeAll,
  writeFileAtomic,
} from './atomic-file.js';
import { decodeRecords, encodeRecord } from './framed-records.js';
import { GroupCommitQueue } from './group-commit.js';

/** Format 2 also checksums the generation, so a flipped digit cannot point at the wrong log. */
const FORMAT = 2;
const MAX_RECORDS_PER_WRITE = 1_000;

interface SnapshotHeader {
  format: number;
  generation: number;
  crc: number;
  bytes: number;
}

/** How the stored state was found: whole, rebuilt from the previous generation, or unreadable. */
export type SnapshotRecovery = 'intact' | 'previous_generation' | 'lost';

export interface LoadedSnapshotLog {
  log: SnapshotLog;
  /** Payload of the last snapshot, if one was ever taken. */
  snapshot: string | undefined;
  /** Payloads appended since that snapshot, oldest first. */
  records: string[];
  recovery: SnapshotRecovery;
}

export interface SnapshotLogOptions {
  /** Keep the previous generation (snapshot and log), to fall back to when the current one is damaged. */
  keepPrevious?: boolean;
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
    private readonly keepPrevious: boolean,
  ) {
    this.logFileDurable = logSize > 0;
  }

  static async open(dir: string, name: string, logger: Logger, options: SnapshotLogOptions = {}): Promise<LoadedSnapshotLog> {
    await mkdir(dir, { recursive: true });
    await removeStaleTempFiles(dir, `${name}.`);
    const logGenerations = await listLogGenerations(dir, name);
    const current = await readSnapshot(join(dir, `${name}.snapshot`), logger);
    const previous = current.state === 'ok' ? undefined : await readSnapshot(join(dir, `${name}.prev.snapshot`), logger);
    let recovery: SnapshotRecovery = 'intact';
    let base: { generation: number; payload: string | undefined };
    if (current.state === 'ok') {
      base = current;
    } else if (previous?.state === 'ok') {
      recovery = 'previous_generation';
      base = previous;
      logger.warn({ store: name, generation: previous.generation }, 'the current snapshot is damaged; rebuilt the store from the previous one');
    } else if (current.state === 'missing' && previous?.state === 'missing') {
      base = { generation: 0, payload: undefined };
    } else {
      recovery = 'lost';
      logger.error({ store: name }, 'every snapshot of this store is damaged; setting them aside and starting empty');
      await setAside(dir, name, logGenerations);
      const log = new SnapshotLog(dir, name, 0, 0, 0, options.keepPrevious ?? false);
      return { log, snapshot: undefined, records: [], recovery };
    }
    // The previous snapshot's log, then every later one, holds what was appended since it was taken.
    const used = logGenerations.filter((generation) => generation >= base.generation);
    const records: string[] = [];
    let validSize = 0;
    for (const generation of used.length > 0 ? used : [base.generation]) {
      const read = await readLog(join(dir, logName(name, generation)), logger);
      records.push(...read.records);
      validSize = read.validSize;
    }
    const generation = Math.max(base.generation, ...used);
    // Intact: keep the previous generation's log too, for a fallback to the previous snapshot later.
    const keepFrom = recovery === 'intact' && options.keepPrevious ? base.generation - 1 : base.generation;
    await removeLogsBefore(dir, name, logGenerations, keepFrom);
    const log = new SnapshotLog(dir, name, generation, validSize, current.state === 'ok' ? current.bytes : 0, options.keepPrevious ?? false);
    return { log, snapshot: base.payload, records, recovery };
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
      const generation = this.generation + 1;
      const header: SnapshotHeader = { format: FORMAT, generation, crc: snapshotChecksum(generation, body), bytes: body.length };
      const file = Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`, 'utf8'), body]);
      const previous = join(this.dir, `${this.name}.prev.snapshot`);
      await writeFileAtomic(join(this.dir, `${this.name}.snapshot`), file, this.keepPrevious ? { keepPreviousAs: previous } : {});
      const olderLog = join(this.dir, logName(this.name, this.keepPrevious ? this.generation - 1 : this.generation));
      this.generation = generation;
      this.logSize = 0;
      this.logFileDurable = false;
      this.snapshotSize = file.length;
      // With keepPrevious, log G stays with snapshot G (now the previous one) and only the log
      // before it is obsolete; otherwise log G is folded into the new snapshot.
      await removeFileIfExists(olderLog);
    });
  }

  /**
   * Forgets everything: every snapshot and log is deleted. Unlike a compaction to an empty
   * snapshot this needs no free space, so it also works on a full disk.
   */
  reset(): Promise<void> {
    return this.queue.exclusive(async () => {
      const generations = await listLogGenerations(this.dir, this.name);
      await removeFileIfExists(join(this.dir, `${this.name}.snapshot`));
      await removeFileIfExists(join(this.dir, `${this.name}.prev.snapshot`));
      for (const generation of generations) await removeFileIfExists(join(this.dir, logName(this.name, generation)));
      await fsyncDirectory(this.dir);
      this.generation = 0;
      this.logSize = 0;
      this.logFileDurable = false;
      this.snapshotSize = 0;
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

function snapshotChecksum(generation: number, body: Buffer): number {
  return crc32(body, crc32(`${generation}\n`));
}

type SnapshotRead =
  | { state: 'ok'; generation: number; payload: string; bytes: number }
  | { state: 'missing' }
  | { state: 'damaged'; why: string };

async function readSnapshot(path: string, logger: Logger): Promise<SnapshotRead> {
  const file = await readFileIfExists(path);
  if (!file) return { state: 'missing' };
  try {
    return { state: 'ok', ...parseSnapshot(path, file), bytes: file.length };
  } catch (error) {
    if (!(error instanceof SnapshotCorruptError)) throw error;
    logger.warn({ file: path, why: error.message }, 'damaged snapshot');
    return { state: 'damaged', why: error.message };
  }
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
  if ((header.format !== 1 && header.format !== FORMAT) || !Number.isSafeInteger(header.generation) || header.generation < 0) {
    throw new SnapshotCorruptError(path, `unknown format ${String(header.format)}`);
  }
  const body = file.subarray(newline + 1);
  const expected = header.format === 1 ? crc32(body) : snapshotChecksum(header.generation, body);
  if (body.length !== header.bytes || expected !== header.crc) throw new SnapshotCorruptError(path, 'checksum mismatch');
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

async function listLogGenerations(dir: string, name: string): Promise<number[]> {
  const pattern = new RegExp(`^${name.replace(/[^a-z0-9]/gi, '\\$&')}-(\\d+)\\.log$`);
  return (await readdir(dir))
    .flatMap((file) => {
      const match = pattern.exec(file);
      return match ? [Number(match[1])] : [];
    })
    .sort((a, b) => a - b);
}

/** Logs older than the oldest snapshot kept are leftovers of an interrupted compaction (or clear). */
async function removeLogsBefore(dir: string, name: string, generations: number[], keepFrom: number): Promise<void> {
  const stale = generations.filter((generation) => generation < keepFrom);
  await Promise.all(stale.map((generation) => removeFileIfExists(join(dir, logName(name, generation)))));
}

/** Keeps unreadable files for a person to look at, out of the way of a fresh start. */
async function setAside(dir: string, name: string, generations: number[]): Promise<void> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const files = [`${name}.snapshot`, `${name}.prev.snapshot`, ...generations.map((generation) => logName(name, generation))];
  for (const file of files) {
    await rename(join(dir, file), join(dir, `${file}.damaged-${stamp}`)).catch(() => undefined);
  }
  await fsyncDirectory(dir);
}
