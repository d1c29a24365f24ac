/** Long-poll readers waiting for an event after their seq: woken together, each with its own deadline. */

interface Waiter {
  after: number;
  finish(woken: boolean): void;
}

export class Waiters {
  private readonly waiting = new Set<Waiter>();

  /** Resolves true when wake() reports an event after `after`; false on timeout, abort or release. */
  wait(after: number, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const onAbort = (): void => waiter.finish(false);
      const timer = setTimeout(() => waiter.finish(false), timeoutMs);
      const waiter: Waiter = {
        after,
        finish: (woken) => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          this.waiting.delete(waiter);
          resolve(woken);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.add(waiter);
    });
  }

  /** Wakes every waiter that is behind `lastSeq`. */
  wake(lastSeq: number): void {
    for (const waiter of this.waiting) {
      if (lastSeq > waiter.after) waiter.finish(true);
    }
  }

  /** Tells every waiter that nothing more will come. */
  releaseAll(): void {
    for (const waiter of this.waiting) waiter.finish(false);
  }
}
