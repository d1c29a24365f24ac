/**
 * Slows down guessing the API key, per client address. The first few wrong keys are answered at
 * once (a typo, an old key in a script); after that the address is refused without its key being
 * checked for a pause that doubles with every further wrong key. Only the guessing address waits: a
 * correct key from any other address is never delayed, and a correct key from this one clears its
 * record once its pause is over.
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
  firstPauseMs: 1_000,
  maxPauseMs: 60_000,
  forgetAfterMs: 15 * 60_000,
  maxClients: 10_000,
};

interface FailureRecord {
  failures: number;
  lastFailureAt: number;
  pausedUntil: number;
}

export class KeyThrottle {
  private readonly clients = new Map<string, FailureRecord>();

  constructor(
    private readonly options: KeyThrottleOptions = DEFAULT_KEY_THROTTLE,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds this address must still wait before its key is checked; 0: check it now. */
  pauseLeft(client: string): number {
    const record = this.current(client);
    return record ? Math.max(0, record.pausedUntil - this.now()) : 0;
  }

  succeeded(client: string): void {
    this.clients.delete(client);
  }

  /** Records a wrong key; returns the pause it starts (0 while still within the free failures). */
  failed(client: string): number {
    const now = this.now();
    const record = this.current(client) ?? { failures: 0, lastFailureAt: now, pausedUntil: 0 };
    record.failures += 1;
    record.lastFailureAt = now;
    const beyond = record.failures - this.options.freeFailures;
    const pause = beyond < 0 ? 0 : Math.min(this.options.maxPauseMs, this.options.firstPauseMs * 2 ** beyond);
    record.pausedUntil = now + pause;
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
