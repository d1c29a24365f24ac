/**
 * `Idempotency-Key` support: the first request with a key does the work; every later request with
 * that key (also one that arrives while the first is still running) gets the same result and never
 * a second send. Results are kept for 24 hours and survive restarts.
 *
 * Before the work starts, the key is written down durably as "started"; only then is the message
 * sent. If that write fails (a full disk), the request is refused with `storage_full` and nothing is
 * sent, rather than sent without a record that would stop a retry from sending it again. A key
 * found "started" after a restart may or may not have been delivered, so it is never sent again:
 * the retry is told the outcome is unknown.
 *
 * On disk it is a snapshot-log (see util/snapshot-log): one small append per change.
 */
import { readFile } from 'node:fs/promises';
import { pino, type Logger } from 'pino';
import { ApiError } from '../api/errors.js';
import { removeFileIfExists } from '../util/atomic-file.js';
import { SnapshotLog } from '../util/snapshot-log.js';
import { SnapshotUpkeep } from '../util/snapshot-upkeep.js';
import { storageProblemReason, type StorageHealth } from '../util/storage-health.js';

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
const MAX_KEY_LENGTH = 255;
const STORE_NAME = 'idempotency';
/** Below this the log is cheaper to keep than to fold into a new snapshot. */
const MIN_COMPACTION_BYTES = 256 * 1024;
const RESYNC_INTERVAL_MS = 5_000;

export class IdempotencyConflictError extends Error {
  constructor() {
    super('This Idempotency-Key was already used for a different request. Use a new key for every new message.');
  }
}

export class IdempotencyKeyError extends Error {}

export interface IdempotencyOptions {
  now?: () => number;
  storageHealth?: StorageHealth;
  /** The single JSON file older versions kept; its records are taken over and it is removed. */
  legacyFile?: string;
  resyncIntervalMs?: number;
}

interface Remembered<T> {
  fingerprint: string;
  /** Absent while the work runs (or ran when the service stopped): the outcome is not known. */
  result?: T;
  at: number;
}

/** One change, as appended to the log: `r` remembers a key, `f` forgets it. */
interface Change<T> {
  k: string;
  r?: Remembered<T>;
  f?: true;
}

interface InFlight<T> {
  fingerprint: string;
  promise: Promise<T>;
}

export function validateIdempotencyKey(key: string): void {
  if (key.length === 0 || key.length > MAX_KEY_LENGTH || !/^[\x21-\x7e]+$/.test(key)) {
    throw new IdempotencyKeyError(`Idempotency-Key must be 1 to ${MAX_KEY_LENGTH} visible ASCII characters.`);
  }
}

export class IdempotencyStore<T> {
  private readonly done = new Map<string, Remembered<T>>();
  private readonly inFlight = new Map<string, InFlight<T>>();
  private readonly now: () => number;
  private readonly upkeep: SnapshotUpkeep;

  private constructor(
    private readonly storage: SnapshotLog,
    private readonly logger: Logger,
    private readonly options: IdempotencyOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.upkeep = new SnapshotUpkeep(storage, {
      serialise: () => this.serialise(),
      minCompactionBytes: MIN_COMPACTION_BYTES,
      resyncIntervalMs: options.resyncIntervalMs ?? RESYNC_INTERVAL_MS,
      onResynced: () => {
        this.options.storageHealth?.recovered('idempotency');
        this.logger.warn('idempotency records are stored again');
      },
      onCompactionFailed: (error) => this.logger.warn({ err: error }, 'could not compact the idempotency records'),
    });
  }

  static async open<T>(dir: string, logger?: Logger, options: IdempotencyOptions = {}): Promise<IdempotencyStore<T>> {
    const log = logger ?? pino({ level: 'silent' });
    const { log: storage, snapshot, records } = await SnapshotLog.open(dir, STORE_NAME, log);
    const store = new IdempotencyStore<T>(storage, log, options);
    if (snapshot !== undefined) store.load(snapshot, (payload) => JSON.parse(payload) as Array<Change<T>>);
    for (const record of records) store.load(record, (payload) => [JSON.parse(payload) as Change<T>]);
    const adopted = options.legacyFile ? await store.adoptLegacyFile(options.legacyFile) : false;
    store.expire();
    if (adopted) {
      await store.storage.compact(() => store.serialise());
      await removeFileIfExists(options.legacyFile!);
    }
    return store;
  }

  /**
   * Run `work` once per key. `fingerprint` identifies the request body, so a key reused for a
   * different message is refused instead of silently answering with another message's result.
   */
  async run(key: string, fingerprint: string, work: () => Promise<T>): Promise<T> {
    this.expire();
    const running = this.inFlight.get(key);
    if (running) {
      if (running.fingerprint !== fingerprint) throw new IdempotencyConflictError();
      return running.promise;
    }
    const remembered = this.done.get(key);
    if (remembered) {
      if (remembered.fingerprint !== fingerprint) throw new IdempotencyConflictError();
      if (remembered.result === undefined) throw outcomeUnknown();
      return remembered.result;
    }
    const promise = this.runOnce(key, fingerprint, work);
    this.inFlight.set(key, { fingerprint, promise });
    try {
      return await promise;
    } finally {
      this.inFlight.delete(key);
    }
  }

  /** Resolves when every remembered result is on disk (or writing it failed). */
  async flush(): Promise<void> {
    await this.storage.idle();
    await this.upkeep.settled();
  }

  private async runOnce(key: string, fingerprint: string, work: () => Promise<T>): Promise<T> {
    const started: Remembered<T> = { fingerprint, at: this.now() };
    try {
      await this.storage.append(JSON.stringify({ k: key, r: started } satisfies Change<T>));
    } catch (error) {
      this.logger.error({ err: error }, 'could not record an Idempotency-Key; the message was not sent');
      this.options.storageHealth?.failed('idempotency', error);
      // Nothing in memory is missing on disk; the retried snapshot just finds out when writes work again.
      this.upkeep.scheduleResync();
      const full = storageProblemReason(error) === 'storage_full';
      throw new ApiError(
        507,
        full ? 'storage_full' : 'storage_error',
        `The add-on's storage is ${full ? 'full' : 'failing'}, so it cannot remember this Idempotency-Key. The message was NOT sent; free space on the add-on's disk and send it again.`,
      );
    }
    this.noteWritten();
    this.done.set(key, started);
    let result: T;
    try {
      result = await work();
    } catch (error) {
      this.done.delete(key);
      this.write({ k: key, f: true });
      throw error;
    }
    this.done.delete(key);
    this.done.set(key, { fingerprint, result, at: started.at });
    // The "started" record already stops a second send, so the answer need not wait for this one.
    this.write({ k: key, r: { fingerprint, result, at: started.at } });
    return result;
  }

  private write(change: Change<T>): void {
    this.storage.append(JSON.stringify(change)).then(
      () => {
        this.noteWritten();
        this.upkeep.compactIfLogOutgrewSnapshot();
      },
      (error: unknown) => {
        this.logger.error({ err: error }, 'could not store an idempotency record; retrying');
        this.options.storageHealth?.failed('idempotency', error);
        this.upkeep.scheduleResync();
      },
    );
  }

  /** A write landed: unless memory is still ahead of the disk, the store is healthy again. */
  private noteWritten(): void {
    if (!this.upkeep.behind) this.options.storageHealth?.recovered('idempotency');
  }

  private serialise(): string {
    this.expire();
    return JSON.stringify([...this.done].map(([k, r]) => ({ k, r })));
  }

  private load(payload: string, parse: (payload: string) => Array<Change<T>>): void {
    let changes: Array<Change<T>>;
    try {
      changes = parse(payload);
    } catch {
      this.logger.warn('skipped an unreadable idempotency record');
      return;
    }
    for (const change of changes) {
      if (typeof change?.k !== 'string') continue;
      this.done.delete(change.k);
      if (change.r && typeof change.r.fingerprint === 'string' && typeof change.r.at === 'number') this.done.set(change.k, change.r);
    }
  }

  private async adoptLegacyFile(path: string): Promise<boolean> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch {
      return false;
    }
    try {
      for (const [key, value] of JSON.parse(text) as Array<[string, Remembered<T>]>) this.done.set(key, value);
    } catch {
      this.logger.warn('the old idempotency file is unreadable; starting without it');
    }
    return true;
  }

  private expire(): void {
    const oldest = this.now() - IDEMPOTENCY_TTL_MS;
    for (const [key, value] of this.done) {
      if (value.at >= oldest) break; // insertion order is (nearly) time order
      if (!this.inFlight.has(key)) this.done.delete(key);
    }
  }
}

function outcomeUnknown(): ApiError {
  return new ApiError(
    409,
    'idempotency_outcome_unknown',
    'A send with this Idempotency-Key was under way when the add-on stopped; it may have been delivered, so it is not sent again. Check the chat, and use a new key to send it anyway.',
  );
}
