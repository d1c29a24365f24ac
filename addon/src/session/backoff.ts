/**
 * Reconnect delays: exponential growth with "full jitter" (a uniform draw below the exponential
 * ceiling), so many add-ons that lost WhatsApp at the same moment do not come back in lock-step.
 * A floor keeps a run of tiny draws from turning into a reconnect storm.
 */
export interface BackoffOptions {
  baseMs: number;
  capMs: number;
  floorMs: number;
  /** A connection that stayed up this long resets the attempt count. */
  stableAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = {
  baseMs: 2_000,
  capMs: 5 * 60_000,
  floorMs: 500,
  stableAfterMs: 60_000,
};

export class Backoff {
  private attempt = 0;

  constructor(
    private readonly options: BackoffOptions = DEFAULT_BACKOFF,
    private readonly random: () => number = Math.random,
  ) {}

  get attempts(): number {
    return this.attempt;
  }

  nextDelayMs(): number {
    const ceiling = Math.min(this.options.capMs, this.options.baseMs * 2 ** this.attempt);
    this.attempt += 1;
    const floor = Math.min(this.options.floorMs, ceiling);
    return Math.round(floor + this.random() * (ceiling - floor));
  }

  /** Called when a connection closes: only a connection that proved stable earns a fresh start. */
  connectionEnded(upForMs: number): void {
    if (upForMs >= this.options.stableAfterMs) this.attempt = 0;
  }

  reset(): void {
    this.attempt = 0;
  }
}
