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
 * On disk the records are a rolling log; memory holds a compact index of them and the newest few
 * hundred in full (see idempotency-records), so a day of keys costs tens of bytes each, not the
 * records themselves.
 */
import { pino, type Logger } from 'pino';
import { ApiError } from '../api/errors.js';
import { storageProblemReason, type StorageHealth } from '../util/storage-health.js';
import { IdempotencyRecords } from './idempotency-records.js';

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
const MAX_KEY_LENGTH = 255;
const RETRY_INTERVAL_MS = 5_000;

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
  /** Pause before writing again a record the disk refused. */
  resyncIntervalMs?: number;
}

interface InFlight<T> {
  fingerprint: string;
  promise: Promise<T>;
  /** The key's index entry, once its "started" record is on disk. */
  handle?: number;
}

export function validateIdempotencyKey(key: string): void {
  if (key.length === 0 || key.length > MAX_KEY_LENGTH || !/^[\x21-\x7e]+$/.test(key)) {
    throw new IdempotencyKeyError(`Idempotency-Key must be 1 to ${MAX_KEY_LENGTH} visible ASCII characters.`);
  }
}

export class IdempotencyStore<T> {
  private readonly inFlight = new Map<string, InFlight<T>>();
  /** Index entries of keys whose work is running: they must not expire under it. */
  private readonly handlesInFlight = new Set<number>();
  private readonly now: () => number;

  private constructor(
    private readonly records: IdempotencyRecords<T>,
    private readonly logger: Logger,
    private readonly options: IdempotencyOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  static async open<T>(dir: string, logger?: Logger, options: IdempotencyOptions = {}): Promise<IdempotencyStore<T>> {
    const log = logger ?? pino({ level: 'silent' });
    const now = options.now ?? Date.now;
    const health = options.storageHealth;
    const records = await IdempotencyRecords.open<T>(dir, now() - IDEMPOTENCY_TTL_MS, log, {
      ...(options.legacyFile === undefined ? {} : { legacyFile: options.legacyFile }),
      retryIntervalMs: options.resyncIntervalMs ?? RETRY_INTERVAL_MS,
      onWriteFailed: (error) => health?.failed('idempotency', error),
      onCaughtUp: () => {
        if (health?.isFailing('idempotency')) log.warn('idempotency records are stored again');
        health?.recovered('idempotency');
      },
    });
    return new IdempotencyStore<T>(records, log, options);
  }

  /**
   * Run `work` once per key. `fingerprint` identifies the request body, so a key reused for a
   * different message is refused instead of silently answering with another message's result.
   */
  async run(key: string, fingerprint: string, work: () => Promise<T>): Promise<T> {
    const oldest = this.expire();
    const running = this.inFlight.get(key);
    if (running) {
      if (running.fingerprint !== fingerprint) throw new IdempotencyConflictError();
      return running.promise;
    }
    const remembered = this.records.find(key, oldest);
    if (remembered) {
      if (remembered.fingerprint !== fingerprint) throw new IdempotencyConflictError();
      if (remembered.result === undefined) throw outcomeUnknown();
      return remembered.result;
    }
    const started: InFlight<T> = {
      fingerprint,
      promise: this.runOnce(key, fingerprint, work, (handle) => {
        started.handle = handle;
        this.handlesInFlight.add(handle);
      }),
    };
    this.inFlight.set(key, started);
    try {
      return await started.promise;
    } finally {
      this.inFlight.delete(key);
      if (started.handle !== undefined) this.handlesInFlight.delete(started.handle);
    }
  }

  /** Resolves when every remembered result is on disk (or writing it failed). */
  flush(): Promise<void> {
    return this.records.flush();
  }

  private async runOnce(key: string, fingerprint: string, work: () => Promise<T>, recorded: (handle: number) => void): Promise<T> {
    const at = this.now();
    let handle: number;
    try {
      handle = await this.records.start(key, { fingerprint, at });
    } catch (error) {
      this.logger.error({ err: error }, 'could not record an Idempotency-Key; the message was not sent');
      this.options.storageHealth?.failed('idempotency', error);
      const full = storageProblemReason(error) === 'storage_full';
      throw new ApiError(
        507,
        full ? 'storage_full' : 'storage_error',
        `The add-on's storage is ${full ? 'full' : 'failing'}, so it cannot remember this Idempotency-Key. The message was NOT sent; free space on the add-on's disk and send it again.`,
      );
    }
    recorded(handle);
    let result: T;
    try {
      result = await work();
    } catch (error) {
      this.records.forget(handle, key, at);
      throw error;
    }
    // The "started" record already stops a second send, so the answer need not wait for this one.
    this.records.finish(handle, key, { fingerprint, result, at });
    return result;
  }

  /** Forgets keys past their 24 hours; returns the oldest time a key still counts from. */
  private expire(): number {
    const oldest = this.now() - IDEMPOTENCY_TTL_MS;
    this.records.expire(oldest, (handle) => !this.handlesInFlight.has(handle));
    return oldest;
  }
}

function outcomeUnknown(): ApiError {
  return new ApiError(
    409,
    'idempotency_outcome_unknown',
    'A send with this Idempotency-Key was under way when the add-on stopped; it may have been delivered, so it is not sent again. Check the chat, and use a new key to send it anyway.',
  );
}
