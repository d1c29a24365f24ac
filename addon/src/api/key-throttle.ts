/**
 * Slows down guessing the API key, per client address. The first few wrong keys are answered at
 * once (a typo, an old key in a script); after that each further wrong key is answered later, the
 * delay doubling up to a ceiling, so guessing from one address crawls while the answer stays the
 * contract's 401. The right key is never delayed, from any address, and clears the record.
 */
export interface KeyThrottleOptions {
  /** Wrong keys in a row answered at once before the first pause. */
  freeFailures: number;
  firstPauseMs: number;
  maxPauseMs: number;
  /** An address with no wrong key for this long starts afresh. */
  forgetAfterMs: number;
  /** Addresses remembered at most (the oldest go first), so a spray of addresses cannot grow memory. */
  maxClients: number;
}

export const DEFAULT_KEY_THROTTLE: KeyThrottleOptions = {
  freeFailures: 5,
  firstPauseMs: 100,
  // Low enough that a client probing many routes with a wrong key (as a conformance check does)
  // still finishes; high enough, with the per-address connection limit, to make guessing crawl.
  maxPauseMs: 1_000,
  forgetAfterMs: 15 * 60_000,
  maxClients: 10_000,
};

interface FailureRecord {
  failures: number;
  lastFailureAt: number;
}

export class KeyThrottle {
  private readonly clients = new Map<string, FailureRecord>();

  constructor(
    private readonly options: KeyThrottleOptions = DEFAULT_KEY_THROTTLE,
    private readonly now: () => number = Date.now,
  ) {}

  succeeded(client: string): void {
    this.clients.delete(client);
  }

  /** Records a wrong key; returns how long its answer is held back (0 within the free failures). */
  failed(client: string): number {
    const now = this.now();
    const record = this.current(client) ?? { failures: 0, lastFailureAt: now };
    record.failures += 1;
    record.lastFailureAt = now;
    const beyond = record.failures - this.options.freeFailures - 1;
    const pause = beyond < 0 ? 0 : Math.min(this.options.maxPauseMs, this.options.firstPauseMs * 2 ** beyond);
    // Re-inserting keeps the Map in least-recently-failed order, so eviction drops the stalest.
    this.clients.delete(client);
    this.clients.set(client, record);
    while (this.clients.size > this.options.maxClients) {
      const oldest = this.clients.keys().next().value;
      if (oldest === undefined) break;
      this.clients.delete(oldest);
    }
    return pause;
  }

  private current(client: string): FailureRecord | undefined {
    const record = this.clients.get(client);
    if (record && this.now() - record.lastFailureAt > this.options.forgetAfterMs) {
      this.clients.delete(client);
      return undefined;
    }
    return record;
  }
}
