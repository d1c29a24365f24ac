/**
 * Lets a simulator request wait until the add-on has journalled the message it delivered, the point
 * from which the add-on promises never to lose it.
 */
import type { JournalEvent } from '../journal/types.js';

export class ArrivalTimeoutError extends Error {}

export interface ArrivalWatch {
  /** The message id to wait for; events seen since the watch began count. */
  expect(id: string): void;
  journalled(timeoutMs: number): Promise<void>;
  dispose(): void;
}

export class MessageArrivals {
  private readonly watches = new Set<{ seen: Set<string>; wanted: string | null; done: (() => void) | null }>();

  journalled(event: JournalEvent): void {
    if (event.type !== 'message' || this.watches.size === 0) return;
    const id = (event.data as { id?: unknown }).id;
    if (typeof id !== 'string') return;
    for (const watch of this.watches) {
      watch.seen.add(id);
      if (watch.wanted === id) watch.done?.();
    }
  }

  /** Start watching before the delivery, so an event journalled before `expect` is not missed. */
  watch(): ArrivalWatch {
    const state = { seen: new Set<string>(), wanted: null as string | null, done: null as (() => void) | null };
    this.watches.add(state);
    return {
      expect: (id) => {
        state.wanted = id;
      },
      journalled: (timeoutMs) =>
        new Promise<void>((resolve, reject) => {
          if (state.wanted !== null && state.seen.has(state.wanted)) {
            resolve();
            return;
          }
          const timer = setTimeout(
            () => reject(new ArrivalTimeoutError('WhatsApp delivered the message, but the add-on did not journal it in time.')),
            timeoutMs,
          );
          state.done = () => {
            clearTimeout(timer);
            resolve();
          };
        }),
      dispose: () => {
        this.watches.delete(state);
      },
    };
  }
}
