/**
 * One writer for a durable file: everything submitted while a write is in flight is committed
 * together by the next write, so N concurrent callers cost one write and one fsync instead of N.
 * Batches commit strictly in submission order, and exclusive tasks (compaction, wipes) run between
 * batches with nothing else in flight.
 */

interface PendingItem<T, R> {
  kind: 'item';
  item: T;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

interface PendingTask {
  kind: 'task';
  run: () => Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** Commits a batch durably and returns one result per item, in order. */
export type CommitBatch<T, R> = (items: T[]) => Promise<R[]>;

export class GroupCommitQueue<T, R> {
  private pending: Array<PendingItem<T, R> | PendingTask> = [];
  private draining: Promise<void> | null = null;

  constructor(
    private readonly commitBatch: CommitBatch<T, R>,
    private readonly maxBatchSize: number,
  ) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ kind: 'item', item, resolve, reject });
      this.startDraining();
    });
  }

  /** Runs `run` after everything submitted before it, and before anything submitted after it. */
  exclusive(run: () => Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ kind: 'task', run, resolve, reject });
      this.startDraining();
    });
  }

  /** Resolves once everything submitted so far is committed (or has failed). */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private startDraining(): void {
    // Starting on a microtask lets a synchronous burst of submissions share the first write.
    this.draining ??= Promise.resolve().then(() => this.drain());
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const next = this.pending[0]!;
        if (next.kind === 'task') {
          this.pending.shift();
          await next.run().then(next.resolve, next.reject);
          continue;
        }
        await this.commitItems(this.takeItems());
      }
    } finally {
      this.draining = null;
    }
  }

  private takeItems(): Array<PendingItem<T, R>> {
    let count = 0;
    while (count < this.pending.length && count < this.maxBatchSize && this.pending[count]!.kind === 'item') {
      count += 1;
    }
    return this.pending.splice(0, count) as Array<PendingItem<T, R>>;
  }

  private async commitItems(batch: Array<PendingItem<T, R>>): Promise<void> {
    let results: R[];
    try {
      results = await this.commitBatch(batch.map((entry) => entry.item));
    } catch (error) {
      for (const entry of batch) entry.reject(error);
      return;
    }
    batch.forEach((entry, index) => entry.resolve(results[index]!));
  }
}
