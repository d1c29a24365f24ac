/**
 * The journal's view of failing writes: since when, why, who to tell (StorageHealth and the log,
 * once per outage), and the pause before the next attempt, which closing cuts short.
 */
import type { Logger } from 'pino';
import { storageProblemReason, type StorageHealth, type StorageProblemReason } from '../util/storage-health.js';

export class WriteFailures {
  private failingSince: number | null = null;
  private lastFailure: unknown = null;
  private wake: (() => void) | null = null;

  constructor(
    private readonly logger: Logger,
    private readonly retryIntervalMs: number,
    private readonly health: StorageHealth | undefined,
  ) {}

  get failing(): boolean {
    return this.failingSince !== null;
  }

  get reason(): StorageProblemReason {
    return storageProblemReason(this.lastFailure);
  }

  failed(error: unknown): void {
    this.lastFailure = error;
    this.health?.failed('journal', error);
    if (this.failingSince !== null) return;
    this.failingSince = Date.now();
    this.logger.error(
      { err: error, reason: this.reason },
      'the event journal cannot be written; events wait in memory and are written when it can be again',
    );
  }

  succeeded(): void {
    if (this.failingSince === null) return;
    this.logger.warn({ failedForMs: Date.now() - this.failingSince }, 'the event journal can be written again; waiting events were written');
    this.failingSince = null;
    this.lastFailure = null;
    this.health?.recovered('journal');
  }

  /** Waits retryIntervalMs, or until interrupt(). */
  pause(): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null;
        resolve();
      }, this.retryIntervalMs);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
    });
  }

  interrupt(): void {
    this.wake?.();
  }
}
