/**
 * The outbound queue of the account. WhatsApp flags accounts that send like machines, so sends
 * leave at a human pace: a token bucket (rate per minute, with a small burst) plus a random,
 * normally distributed pause between consecutive sends. One FIFO queue keeps the order of
 * messages to every chat.
 */

export interface PacingOptions {
  /** Sustained sends per minute; 0 turns pacing off (benchmarks, tests). */
  ratePerMinute: number;
  /** Sends allowed back to back after a quiet period. */
  burst: number;
  /** Mean and standard deviation of the extra pause between two sends, in ms. */
  jitterMeanMs: number;
  jitterSigmaMs: number;
  /** Sends waiting at most; more are refused. */
  maxQueue: number;
}

export const DEFAULT_PACING: PacingOptions = {
  ratePerMinute: 12,
  burst: 3,
  jitterMeanMs: 1_500,
  jitterSigmaMs: 700,
  maxQueue: 500,
};

export class QueueFullError extends Error {
  constructor(readonly limit: number) {
    super(
      `${limit} messages are already waiting to be sent. Sending is paced to protect the account from a ban; wait until the queue drains, or send fewer messages.`,
    );
  }
}

interface Job {
  run: () => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}

type Sleep = (ms: number) => Promise<void>;

const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Box–Muller: a standard normal draw from two uniform draws. */
export function gaussian(random: () => number): number {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

export class Pacer {
  private readonly queue: Job[] = [];
  private running = false;
  private tokens: number;
  private lastRefill: number;
  private lastSendAt = -Infinity;

  constructor(
    private readonly options: PacingOptions = DEFAULT_PACING,
    private readonly random: () => number = Math.random,
    private readonly now: () => number = Date.now,
    private readonly sleep: Sleep = realSleep,
  ) {
    this.tokens = options.burst;
    this.lastRefill = now();
  }

  get waiting(): number {
    return this.queue.length;
  }

  /** Runs `send` when its turn comes; resolves with its result. Refuses when the queue is full. */
  schedule<T>(send: () => Promise<T>): Promise<T> {
    if (this.queue.length >= this.options.maxQueue) return Promise.reject(new QueueFullError(this.options.maxQueue));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run: send, resolve: resolve as (value: unknown) => void, reject });
      if (!this.running) void this.drain();
    });
  }

  /** The pause before the next send may leave. */
  private delayBeforeNext(): number {
    if (this.options.ratePerMinute <= 0) return 0;
    const now = this.now();
    const perMs = this.options.ratePerMinute / 60_000;
    this.tokens = Math.min(this.options.burst, this.tokens + (now - this.lastRefill) * perMs);
    this.lastRefill = now;
    const tokenWait = this.tokens >= 1 ? 0 : (1 - this.tokens) / perMs;
    const jitter = Math.max(0, this.options.jitterMeanMs + this.options.jitterSigmaMs * gaussian(this.random));
    const jitterWait = Math.max(0, this.lastSendAt + jitter - now);
    return Math.ceil(Math.max(tokenWait, jitterWait));
  }

  private takeToken(): void {
    if (this.options.ratePerMinute <= 0) return;
    const now = this.now();
    const perMs = this.options.ratePerMinute / 60_000;
    this.tokens = Math.min(this.options.burst, this.tokens + (now - this.lastRefill) * perMs) - 1;
    this.lastRefill = now;
    this.lastSendAt = now;
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      // The job stays in the queue while it waits for its turn, so it counts against the limit.
      for (let job = this.queue[0]; job; job = this.queue[0]) {
        const delay = this.delayBeforeNext();
        if (delay > 0) await this.sleep(delay);
        this.queue.shift();
        this.takeToken();
        try {
          job.resolve(await job.run());
        } catch (err) {
          job.reject(err);
        }
      }
    } finally {
      this.running = false;
    }
  }
}
