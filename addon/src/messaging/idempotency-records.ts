/**
 * The remembered Idempotency-Keys: their records on disk in a rolling log (see
 * util/rolling-record-log), and in memory only a compact index of where each one is (see
 * idempotency-index) plus the newest few hundred records in full. A retry of a recent send, the
 * usual case, is answered from memory; an older one costs one small read.
 *
 * A change the disk has not taken yet (its write is under way, or failed) stays in memory and is
 * what lookups see; failed ones are written again, in order, until the disk takes them.
 */
import type { Logger } from 'pino';
import { RollingRecordLog, type RecordLocation } from '../util/rolling-record-log.js';
import { IdempotencyIndex, keyDigest } from './idempotency-index.js';
import { hasLegacyStores, isRemembered, parseChange, readLegacyStores, type Change, type Remembered } from './idempotency-legacy.js';

const LOG_PREFIX = 'keys';
const RECORDS_PER_FILE = 2_000;
/** Retries of a recent send are answered without reading the disk. */
const RECENT_RECORDS = 256;

export interface IdempotencyRecordsOptions {
  /** An earlier version's single JSON file, taken over and removed. */
  legacyFile?: string;
  retryIntervalMs: number;
  /** A write failed; it is retried. */
  onWriteFailed: (error: unknown) => void;
  /** Every change in memory is on disk again. */
  onCaughtUp: () => void;
}

/** A change not yet on disk, and the index entry it updates when it lands. */
interface Unwritten<T> {
  change: Change<T>;
  handle: number;
  at: number;
  failed: boolean;
}

export class IdempotencyRecords<T> {
  private readonly unwritten = new Map<string, Unwritten<T>>();
  private retryTimer: NodeJS.Timeout | null = null;
  private retrying: Promise<void> = Promise.resolve();

  private constructor(
    private readonly log: RollingRecordLog,
    private readonly index: IdempotencyIndex,
    /** The newest records in full, newest last. */
    private readonly recent: Map<string, Remembered<T>>,
    private readonly logger: Logger,
    private readonly options: IdempotencyRecordsOptions,
  ) {}

  /** Opens the records in `dir`, forgetting those used before `sinceMs`, and takes over an earlier version's store. */
  static async open<T>(dir: string, sinceMs: number, logger: Logger, options: IdempotencyRecordsOptions): Promise<IdempotencyRecords<T>> {
    const index = new IdempotencyIndex();
    const handles = new Map<string, { handle: number; at: number }>();
    const recent = new Map<string, Remembered<T>>();
    const log = await RollingRecordLog.open(dir, LOG_PREFIX, RECORDS_PER_FILE, logger, (payload, location) => {
      const change = parseChange<T>(payload);
      if (!change) return logger.warn('skipped an unreadable idempotency record');
      applyChange(index, handles, change, location, sinceMs);
      rememberRecent(recent, change.k, isRemembered(change.r) ? change.r : undefined);
    });
    const records = new IdempotencyRecords<T>(log, index, recent, logger, options);
    if (await hasLegacyStores(dir, options.legacyFile)) await records.adoptLegacyStores(dir, handles, sinceMs);
    return records;
  }

  /** The record of `key` if it was used at or after `sinceMs`. */
  find(key: string, sinceMs: number): Remembered<T> | undefined {
    const unwritten = this.unwritten.get(key);
    const known = unwritten ? unwritten.change.r : this.recent.get(key);
    if (unwritten || known) return known && known.at >= sinceMs ? known : undefined;
    for (const handle of this.index.candidates(keyDigest(key), sinceMs)) {
      const location = this.index.locationOf(handle);
      const change = location && this.readChange(location);
      if (change?.k === key && isRemembered(change.r)) return change.r;
    }
    return undefined;
  }

  /**
   * Records durably that `key` is being used; rejects when the disk refuses, and then nothing is
   * remembered. Returns the handle for `finish` or `forget`.
   */
  async start(key: string, remembered: Remembered<T>): Promise<number> {
    this.unwritten.delete(key);
    const location = await this.log.append(JSON.stringify({ k: key, r: remembered } satisfies Change<T>));
    this.noteRecent(key, remembered);
    this.noteWritten();
    return this.index.add(keyDigest(key), remembered.at, location);
  }

  /** Remembers the outcome; written in the background, since the "started" record already stops a second send. */
  finish(handle: number, key: string, remembered: Remembered<T>): void {
    this.noteRecent(key, remembered);
    this.write(key, { change: { k: key, r: remembered }, handle, at: remembered.at, failed: false });
  }

  /** Forgets the key (its work failed), so a retry may run it again. */
  forget(handle: number, key: string, at: number): void {
    this.recent.delete(key);
    this.index.forget(handle);
    this.write(key, { change: { k: key, f: true }, handle, at, failed: false });
  }

  /** Forgets records used before `beforeMs` (not those `mayDrop` holds back) and deletes the files only they were in. */
  expire(beforeMs: number, mayDrop: (handle: number) => boolean): void {
    if (this.index.dropExpired(beforeMs, mayDrop) === 0) return;
    this.log.dropFilesBefore(this.index.oldestFileInUse() ?? Number.POSITIVE_INFINITY).catch((error: unknown) => {
      this.logger.warn({ err: error }, 'could not delete an expired idempotency file');
    });
  }

  /** Resolves when every change so far is on disk, or its write failed. */
  async flush(): Promise<void> {
    await this.log.idle();
    await this.retrying;
  }

  private noteRecent(key: string, remembered: Remembered<T> | undefined): void {
    rememberRecent(this.recent, key, remembered);
  }

  private readChange(location: RecordLocation): Change<T> | undefined {
    const payload = this.log.readSync(location);
    return payload === undefined ? undefined : parseChange<T>(payload);
  }

  private write(key: string, entry: Unwritten<T>): void {
    this.unwritten.set(key, entry);
    this.log.append(JSON.stringify(entry.change)).then(
      (location) => this.landed(key, entry, location),
      (error: unknown) => {
        this.logger.error({ err: error }, 'could not store an idempotency record; retrying');
        entry.failed = true;
        this.options.onWriteFailed(error);
        this.scheduleRetry();
      },
    );
  }

  private landed(key: string, entry: Unwritten<T>, location: RecordLocation): void {
    if (entry.change.r) this.index.moveTo(entry.handle, location);
    if (this.unwritten.get(key) === entry) this.unwritten.delete(key);
    this.noteWritten();
  }

  /** A write landed: unless a refused change still waits for its retry, the disk holds everything again. */
  private noteWritten(): void {
    if (this.retryTimer === null && !this.anyFailed()) this.options.onCaughtUp();
  }

  private anyFailed(): boolean {
    for (const entry of this.unwritten.values()) if (entry.failed) return true;
    return false;
  }

  /** Writes the failed changes again, oldest first, until the disk takes them. */
  private scheduleRetry(): void {
    if (this.retryTimer !== null) return;
    this.retryTimer = setTimeout(() => {
      this.retrying = this.retryFailed().finally(() => {
        this.retryTimer = null;
        if (this.anyFailed()) this.scheduleRetry();
        else this.options.onCaughtUp();
      });
    }, this.options.retryIntervalMs);
    this.retryTimer.unref();
  }

  private async retryFailed(): Promise<void> {
    const failed = [...this.unwritten].filter(([, entry]) => entry.failed);
    const writes = failed.map(async ([key, entry]) => {
      // Its key expired meanwhile: the change no longer matters, and its older records are gone.
      if (this.index.locationOf(entry.handle) === undefined && entry.change.r) return this.unwritten.delete(key);
      try {
        this.landed(key, entry, await this.log.append(JSON.stringify(entry.change)));
      } catch {
        // Still failing; the next retry tries again.
      }
      return undefined;
    });
    await Promise.all(writes);
  }

  /** Copies the keys an earlier version remembered (those not already here) into the log, then deletes its files. */
  private async adoptLegacyStores(dir: string, handles: Map<string, { handle: number; at: number }>, sinceMs: number): Promise<void> {
    const legacy = await readLegacyStores<T>(dir, this.options.legacyFile, this.logger);
    const adopted = [...legacy.remembered].filter(([key, remembered]) => !handles.has(key) && remembered.at >= sinceMs);
    const locations = await Promise.all(adopted.map(([k, r]) => this.log.append(JSON.stringify({ k, r } satisfies Change<T>))));
    adopted.forEach(([key, remembered], position) => {
      applyChange(this.index, handles, { k: key, r: remembered }, locations[position]!, sinceMs);
      this.noteRecent(key, remembered);
    });
    await legacy.remove();
    this.logger.info({ keys: adopted.length }, 'took over the idempotency records of the previous version');
  }
}

/** A key whose record changed moves to the newest end; the oldest beyond RECENT_RECORDS is let go. */
function rememberRecent<T>(recent: Map<string, Remembered<T>>, key: string, remembered: Remembered<T> | undefined): void {
  recent.delete(key);
  if (!remembered) return;
  recent.set(key, remembered);
  if (recent.size > RECENT_RECORDS) recent.delete(recent.keys().next().value!);
}

/** Replays one stored change into the index while the log is read. */
function applyChange<T>(
  index: IdempotencyIndex,
  handles: Map<string, { handle: number; at: number }>,
  change: Change<T>,
  location: RecordLocation,
  sinceMs: number,
): void {
  const known = handles.get(change.k);
  if (change.r && isRemembered(change.r)) {
    // The outcome of the same use of the key: its entry now points at the newer record.
    if (known && known.at === change.r.at) return index.moveTo(known.handle, location);
    if (known) index.forget(known.handle);
    if (change.r.at < sinceMs) return void handles.delete(change.k);
    handles.set(change.k, { handle: index.add(keyDigest(change.k), change.r.at, location), at: change.r.at });
    return;
  }
  if (known) index.forget(known.handle);
  handles.delete(change.k);
}
