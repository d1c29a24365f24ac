/**
 * Waiting on WhatsApp with a limit. Look-ups made while normalising events must neither hold up
 * the event queue for long nor outlive the connection that started them.
 */

/** How long one look-up made while normalising (a LID's phone number, a group's subject) may take. */
export const LOOKUP_TIMEOUT_MS = 5_000;

/**
 * What waits on each connection's end. A connection's signal gets one listener, however many
 * look-ups run at once: a message mentioning a dozen people starts a dozen, and one listener per
 * look-up made Node warn of a listener leak (and kept each look-up reachable until it settled).
 */
const waitingOnEnd = new WeakMap<AbortSignal, Set<() => void>>();

function whenAbandoned(abandon: AbortSignal, giveUp: () => void): () => void {
  let waiting = waitingOnEnd.get(abandon);
  if (!waiting) {
    const all = new Set<() => void>();
    waitingOnEnd.set(abandon, all);
    abandon.addEventListener('abort', () => [...all].forEach((each) => each()), { once: true });
    waiting = all;
  }
  const registered = waiting;
  registered.add(giveUp);
  return () => registered.delete(giveUp);
}

/**
 * Resolves with `fallback` when `promise` rejects, takes longer than `ms`, or `abandon` fires first.
 * Nothing of the look-up stays attached to `abandon` once the race is settled: a connection makes
 * one look-up per event for as long as it lives.
 */
export function bounded<T>(promise: Promise<T>, ms: number, fallback: T, abandon: AbortSignal): Promise<T> {
  if (abandon.aborted) {
    promise.catch(() => undefined);
    return Promise.resolve(fallback);
  }
  return new Promise<T>((resolve) => {
    const settle = (value: T): void => {
      clearTimeout(timer);
      forget();
      resolve(value);
    };
    const onAbandon = (): void => settle(fallback);
    const timer = setTimeout(onAbandon, ms);
    const forget = whenAbandoned(abandon, onAbandon);
    promise.then(settle, onAbandon);
  });
}

/** Rejects with `timeoutError()` when `promise` takes longer than `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, timeoutError: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timeoutError()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
