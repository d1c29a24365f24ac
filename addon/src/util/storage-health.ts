/**
 * Which durable stores cannot write right now, and why, so `/health` can say so.
 *
 * Stores report a failed write and, once a later write succeeds, that they recovered. A full disk
 * is told apart from other write errors because the user's remedy differs (free space vs. check
 * the storage), and the integration turns `storage_full` into a repair issue.
 */

export type StorageProblemReason = 'storage_full' | 'storage_error';

/** The stores that report here; also the names `/health` shows. */
export type StorageComponent = 'journal' | 'credentials' | 'idempotency' | 'media';

export interface StorageProblem {
  reason: StorageProblemReason;
  /** The stores that cannot write, in a stable order. */
  components: StorageComponent[];
  /** When the oldest of these problems began (ISO 8601). */
  since: string;
}

const FULL_CODES = new Set(['ENOSPC', 'EDQUOT']);

/** True for the errors a full disk (or an exhausted quota) produces. */
export function isStorageFull(error: unknown): boolean {
  return typeof error === 'object' && error !== null && FULL_CODES.has(String((error as NodeJS.ErrnoException).code));
}

export function storageProblemReason(error: unknown): StorageProblemReason {
  return isStorageFull(error) ? 'storage_full' : 'storage_error';
}

/** A write refused because the add-on's storage is full or failing; the API answers it with 507. */
export class StorageUnavailableError extends Error {
  constructor(
    readonly reason: StorageProblemReason,
    message: string,
  ) {
    super(message);
    this.name = 'StorageUnavailableError';
  }
}

interface Failure {
  reason: StorageProblemReason;
  since: number;
}

export class StorageHealth {
  private readonly failures = new Map<StorageComponent, Failure>();

  failed(component: StorageComponent, error: unknown): void {
    const reason = storageProblemReason(error);
    const previous = this.failures.get(component);
    this.failures.set(component, { reason, since: previous?.since ?? Date.now() });
  }

  recovered(component: StorageComponent): void {
    this.failures.delete(component);
  }

  isFailing(component: StorageComponent): boolean {
    return this.failures.has(component);
  }

  /** The current problem, or null when every store can write. A full disk wins over other errors. */
  problem(): StorageProblem | null {
    if (this.failures.size === 0) return null;
    const entries = [...this.failures.entries()].sort(([a], [b]) => a.localeCompare(b));
    const reason: StorageProblemReason = entries.some(([, failure]) => failure.reason === 'storage_full') ? 'storage_full' : 'storage_error';
    const since = Math.min(...entries.map(([, failure]) => failure.since));
    return { reason, components: entries.map(([component]) => component), since: new Date(since).toISOString() };
  }
}
