/**
 * WhatsApp's events of one connection, handled one after another so the journal sees them in
 * WhatsApp's order, and the journal appends they started, so a close can wait until what was
 * received (and acknowledged to WhatsApp) is durable.
 */
import type { Logger } from 'pino';

import { bounded } from './bounded.js';

export class OrderedEventQueue {
  private tail: Promise<void> = Promise.resolve();
  /** Journal appends not yet durable. */
  private readonly appending = new Set<Promise<unknown>>();

  constructor(private readonly log: Logger) {}

  /** Runs `task` after every task enqueued before it; a failure is logged and the queue goes on. */
  enqueue(task: () => Promise<void>): void {
    this.tail = this.tail.then(task).catch((err: unknown) => {
      this.log.error({ err: (err as Error).message }, 'could not process a WhatsApp event');
    });
  }

  /** Remembers a journal append until it settles; the session's handler may return nothing. */
  track(append: Promise<unknown> | void): void {
    if (!append) return;
    this.appending.add(append);
    void append.finally(() => this.appending.delete(append));
  }

  /** Resolves once every append started so far has settled. */
  async appended(): Promise<void> {
    await Promise.allSettled([...this.appending]);
  }

  /** Resolves once the queue is through and what it appended is durable, or after `ms`. */
  async drain(ms: number): Promise<void> {
    const done = this.tail.then(() => this.appended());
    await bounded(done, ms, undefined, new AbortController().signal);
  }
}
