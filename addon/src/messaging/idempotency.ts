/**
 * `Idempotency-Key` support: the first request with a key does the work; every later request with
 * that key (also one that arrives while the first is still running) gets the same result and never
 * a second send. Results are kept for 24 hours and survive restarts.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { writeFileAtomic } from '../util/atomic-file.js';

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
const MAX_KEY_LENGTH = 255;

export class IdempotencyConflictError extends Error {
  constructor() {
    super('This Idempotency-Key was already used for a different request. Use a new key for every new message.');
  }
}

export class IdempotencyKeyError extends Error {}

interface Remembered<T> {
  fingerprint: string;
  result: T;
  at: number;
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
  private persisting: Promise<void> = Promise.resolve();
  private dirty = false;

  private constructor(
    private readonly path: string,
    private readonly logger: Logger,
    private readonly now: () => number,
  ) {}

  static open<T>(path: string, logger: Logger, now: () => number = Date.now): IdempotencyStore<T> {
    const store = new IdempotencyStore<T>(path, logger, now);
    if (existsSync(path)) {
      try {
        const entries = JSON.parse(readFileSync(path, 'utf8')) as Array<[string, Remembered<T>]>;
        for (const [key, value] of entries) store.done.set(key, value);
        store.expire();
      } catch (err) {
        logger.warn({ err: (err as Error).message }, 'idempotency records unreadable; starting without them');
      }
    }
    return store;
  }

  /**
   * Run `work` once per key. `fingerprint` identifies the request body, so a key reused for a
   * different message is refused instead of silently answering with another message's result.
   */
  async run(key: string, fingerprint: string, work: () => Promise<T>): Promise<T> {
    this.expire();
    const remembered = this.done.get(key);
    if (remembered) {
      if (remembered.fingerprint !== fingerprint) throw new IdempotencyConflictError();
      return remembered.result;
    }
    const running = this.inFlight.get(key);
    if (running) {
      if (running.fingerprint !== fingerprint) throw new IdempotencyConflictError();
      return running.promise;
    }
    const promise = work();
    this.inFlight.set(key, { fingerprint, promise });
    try {
      const result = await promise;
      this.done.set(key, { fingerprint, result, at: this.now() });
      await this.persist();
      return result;
    } finally {
      this.inFlight.delete(key);
    }
  }

  /** Resolves when every remembered result is on disk. */
  flush(): Promise<void> {
    return this.persisting;
  }

  private expire(): void {
    const oldest = this.now() - IDEMPOTENCY_TTL_MS;
    for (const [key, value] of this.done) {
      if (value.at >= oldest) break; // insertion order is time order
      this.done.delete(key);
      this.dirty = true;
    }
  }

  /** Writes are coalesced: while one is running, later results ride on the next single write. */
  private persist(): Promise<void> {
    this.dirty = true;
    this.persisting = this.persisting.then(async () => {
      if (!this.dirty) return;
      this.dirty = false;
      try {
        await writeFileAtomic(this.path, JSON.stringify([...this.done]));
      } catch (err) {
        this.logger.error({ err: (err as Error).message }, 'could not store idempotency records');
      }
    });
    return this.persisting;
  }
}
