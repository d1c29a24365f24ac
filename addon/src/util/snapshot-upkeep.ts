/**
 * Keeping a SnapshotLog-backed store's disk copy in step with its memory, for stores whose
 * memory is the truth and the disk its durable copy (credentials, idempotency records):
 * - after a refused write, memory is ahead of the disk, and a single append could not bring the
 *   lost change back, so a snapshot of all of memory is retried until the disk takes it;
 * - once the log has outgrown the snapshot, it is folded into a fresh snapshot, one at a time.
 */
import type { SnapshotLog } from './snapshot-log.js';

export interface SnapshotUpkeepOptions {
  /** All of memory, as the store's snapshot payload. */
  serialise: () => string;
  /** The log is folded in only once it is at least this large (and larger than the snapshot). */
  minCompactionBytes: number;
  /** How long to wait before each retry of a snapshot the disk refused. */
  resyncIntervalMs: number;
  /** A retried snapshot landed: the disk holds everything in memory again. */
  onResynced: () => void;
  onCompactionFailed: (error: unknown) => void;
}

export class SnapshotUpkeep {
  private resyncTimer: NodeJS.Timeout | null = null;
  private resyncing: Promise<void> = Promise.resolve();
  private compacting = false;

  constructor(
    private readonly storage: SnapshotLog,
    private readonly options: SnapshotUpkeepOptions,
  ) {}

  /** Whether memory holds changes the disk refused and a retry is still pending. */
  get behind(): boolean {
    return this.resyncTimer !== null;
  }

  /** Resolves when the retry under way, if any, has finished (landed or failed). */
  settled(): Promise<void> {
    return this.resyncing;
  }

  /** Memory is ahead of the disk: write all of it as a new snapshot until that succeeds. */
  scheduleResync(): void {
    if (this.resyncTimer !== null) return;
    this.resyncTimer = setTimeout(() => {
      this.resyncing = this.storage.compact(this.options.serialise).then(
        () => {
          this.resyncTimer = null;
          this.options.onResynced();
        },
        () => {
          this.resyncTimer = null;
          this.scheduleResync();
        },
      );
    }, this.options.resyncIntervalMs);
    this.resyncTimer.unref();
  }

  /** Memory and disk were just made equal some other way (both emptied): no retry is needed. */
  cancelResync(): void {
    if (this.resyncTimer !== null) clearTimeout(this.resyncTimer);
    this.resyncTimer = null;
  }

  compactIfLogOutgrewSnapshot(): void {
    if (this.compacting || !this.storage.needsCompaction(this.options.minCompactionBytes)) return;
    this.compacting = true;
    this.storage
      .compact(this.options.serialise)
      .catch(this.options.onCompactionFailed)
      .finally(() => {
        this.compacting = false;
      });
  }
}
