/**
 * One signal for "something on the page changed": any account's session or journal, or the set of
 * accounts itself (accounts come and go through the REST API too, while the page is open). It holds
 * one listener per account however many pages are open, and none while no page is open.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { AccountDirectory, AccountServices } from '../accounts/directory.js';

/** How often the set of accounts is compared while a page is open: the directory has no events of its own. */
export const MEMBERSHIP_CHECK_MS = 1_000;
/** A journal wait ends now and then so a deleted account's journal is let go of promptly. */
const JOURNAL_WAIT_MS = 30_000;

interface Followed {
  services: AccountServices;
  stop: AbortController;
  onSessionChange: () => void;
}

export class AccountWatch {
  private readonly changes = new EventEmitter<{ change: [] }>().setMaxListeners(0);
  private readonly followed = new Map<string, Followed>();
  private membershipTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly accounts: AccountDirectory,
    private readonly logger: Logger,
  ) {}

  /** Calls `listener` after every change until the returned function is called. */
  subscribe(listener: () => void): () => void {
    this.changes.on('change', listener);
    if (this.changes.listenerCount('change') === 1) this.start();
    return () => {
      this.changes.off('change', listener);
      if (this.changes.listenerCount('change') === 0) this.stop();
    };
  }

  /** Compares the accounts with those followed now, rather than at the next check (after the page added or deleted one). */
  refresh(): void {
    if (this.membershipTimer === null) return;
    const present = new Set(this.accounts.list().map((account) => account.id));
    let changed = false;
    for (const [id, followed] of this.followed) {
      if (present.has(id) && this.accounts.get(id) === followed.services) continue;
      this.unfollow(id);
      changed = true;
    }
    for (const id of present) {
      if (this.followed.has(id)) continue;
      const services = this.accounts.get(id);
      if (!services) continue;
      this.follow(services);
      changed = true;
    }
    if (changed) this.changes.emit('change');
  }

  private start(): void {
    this.membershipTimer = setInterval(() => this.refresh(), MEMBERSHIP_CHECK_MS);
    this.membershipTimer.unref();
    this.refresh();
  }

  private stop(): void {
    if (this.membershipTimer) clearInterval(this.membershipTimer);
    this.membershipTimer = null;
    for (const id of [...this.followed.keys()]) this.unfollow(id);
  }

  private follow(services: AccountServices): void {
    const followed: Followed = { services, stop: new AbortController(), onSessionChange: () => this.changes.emit('change') };
    this.followed.set(services.id, followed);
    services.session.on('change', followed.onSessionChange);
    this.followJournal(followed).catch((err: unknown) =>
      this.logger.warn({ account: services.id, err: (err as Error).message }, 'stopped following an account journal for the web page'),
    );
  }

  private unfollow(id: string): void {
    const followed = this.followed.get(id);
    if (!followed) return;
    this.followed.delete(id);
    followed.services.session.off('change', followed.onSessionChange);
    followed.stop.abort();
  }

  private async followJournal({ services: { journal }, stop }: Followed): Promise<void> {
    let seen = journal.lastSeq;
    while (!stop.signal.aborted) {
      const asked = Date.now();
      const woken = await journal.waitForEvents(seen, JOURNAL_WAIT_MS, stop.signal);
      if (!woken) {
        // A closed journal answers at once: wait for the membership check to let the account go.
        if (Date.now() - asked < MEMBERSHIP_CHECK_MS) await pause(MEMBERSHIP_CHECK_MS, stop.signal);
        continue;
      }
      seen = journal.lastSeq;
      this.changes.emit('change');
    }
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
