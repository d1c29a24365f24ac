/**
 * An account directory for the page's unit tests: each account has a session whose view the test
 * sets, and a journal in memory the test appends to. Accounts are added and removed as the API
 * would, without telling anyone, so the page has to notice by itself.
 */
import { EventEmitter } from 'node:events';
import {
  AccountLimitError,
  DEFAULT_ACCOUNT_ID,
  DefaultAccountError,
  AccountNotFoundError,
  type AccountDirectory,
  type AccountServices,
  type AccountSummary,
} from '../../src/accounts/directory.js';
import type { Journal } from '../../src/journal/journal.js';
import type { JournalEvent, JournalInput } from '../../src/journal/types.js';
import type { Session, SessionView } from '../../src/session/session.js';

export class FakeSession extends EventEmitter<{ change: [SessionView] }> {
  view: SessionView = { state: 'pairing', me: null, qr: null, pairing_code: null, last_disconnect: null, since: new Date(0).toISOString() };

  snapshot(): SessionView {
    return this.view;
  }

  set(patch: Partial<SessionView>): void {
    this.view = { ...this.view, ...patch };
    this.emit('change', this.view);
  }
}

export class FakeJournal {
  readonly events: JournalEvent[] = [];
  private readonly appended = new EventEmitter<{ append: [] }>().setMaxListeners(0);

  get lastSeq(): number {
    return this.events.length;
  }

  get waiting(): number {
    return this.appended.listenerCount('append');
  }

  append(input: JournalInput): void {
    this.events.push({ ...input, seq: this.events.length + 1, at: new Date().toISOString() } as JournalEvent);
    this.appended.emit('append');
  }

  read(after: number, limit: number): { events: JournalEvent[] } {
    return { events: this.events.slice(after, after + limit) };
  }

  waitForEvents(after: number, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (this.lastSeq > after) return Promise.resolve(true);
    return new Promise((resolve) => {
      const finish = (woken: boolean): void => {
        clearTimeout(timer);
        this.appended.off('append', onAppend);
        signal?.removeEventListener('abort', onAbort);
        resolve(woken);
      };
      const onAppend = (): void => finish(true);
      const onAbort = (): void => finish(false);
      const timer = setTimeout(() => finish(false), timeoutMs);
      this.appended.on('append', onAppend);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

export interface FakeAccount {
  services: AccountServices;
  session: FakeSession;
  journal: FakeJournal;
}

function fakeAccount(id: string): FakeAccount {
  const session = new FakeSession();
  const journal = new FakeJournal();
  // The page reads only the session and the journal; the rest must not be touched.
  const untouched = null as never;
  const services: AccountServices = {
    id,
    session: session as unknown as Session,
    journal: journal as unknown as Journal,
    sender: untouched,
    media: untouched,
    simulator: null,
  };
  return { services, session, journal };
}

export class FakeDirectory implements AccountDirectory {
  readonly accounts = new Map<string, FakeAccount>();
  private generated = 0;

  constructor(readonly maxAccounts = 5) {
    this.add(DEFAULT_ACCOUNT_ID);
  }

  /** What `POST /v1/accounts` would do, behind the page's back. */
  add(id: string): FakeAccount {
    const account = fakeAccount(id);
    this.accounts.set(id, account);
    return account;
  }

  account(id: string): FakeAccount {
    const account = this.accounts.get(id);
    if (!account) throw new Error(`no fake account ${id}`);
    return account;
  }

  get(id: string): AccountServices | undefined {
    return this.accounts.get(id)?.services;
  }

  list(): AccountSummary[] {
    const ids = [...this.accounts.keys()].sort((a, b) => (a === DEFAULT_ACCOUNT_ID ? -1 : b === DEFAULT_ACCOUNT_ID ? 1 : a.localeCompare(b)));
    return ids.map((id) => {
      const view = this.account(id).session.view;
      return { id, state: view.state, me: view.me };
    });
  }

  create(id?: string): Promise<AccountServices> {
    if (this.accounts.size >= this.maxAccounts) return Promise.reject(new AccountLimitError(this.maxAccounts));
    return Promise.resolve(this.add(id ?? `account-${++this.generated}`).services);
  }

  remove(id: string): Promise<void> {
    if (id === DEFAULT_ACCOUNT_ID) return Promise.reject(new DefaultAccountError());
    if (!this.accounts.delete(id)) return Promise.reject(new AccountNotFoundError(id));
    return Promise.resolve();
  }
}
