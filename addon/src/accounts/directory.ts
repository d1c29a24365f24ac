/**
 * The accounts one add-on serves: each a linked WhatsApp number with its own socket, credentials,
 * journal, message store, media cache share and send pacing under `WA_DATA_DIR/accounts/<id>/`.
 * The API and the web page see accounts only through this interface.
 */
import type { Journal } from '../journal/journal.js';
import type { MediaStore } from '../media/media-store.js';
import type { Sender } from '../messaging/sender.js';
import type { Session } from '../session/session.js';
import type { SimulatedWhatsApp } from '../simulator/simulated-whatsapp.js';
import type { Account as LinkedNumber } from '../engine/types.js';
import type { ConnectionState } from '../journal/types.js';

/** The account every unscoped route (`/v1/<route>`) means; it always exists. */
export const DEFAULT_ACCOUNT_ID = 'default';

/** Lower-case slug: letters, digits and single dashes, 1–32 characters, starting with a letter or digit. */
export const ACCOUNT_ID_PATTERN = '^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$';

/** What serves one account; everything in it belongs to that account alone. */
export interface AccountServices {
  readonly id: string;
  readonly session: Session;
  readonly journal: Journal;
  readonly sender: Sender;
  readonly media: MediaStore;
  /** The fake WhatsApp network this account is linked through; only with WA_ENGINE=simulator. */
  readonly simulator: SimulatedWhatsApp | null;
}

export interface AccountSummary {
  id: string;
  state: ConnectionState;
  me: LinkedNumber | null;
}

export class AccountNotFoundError extends Error {
  constructor(readonly accountId: string) {
    super(`There is no account "${accountId}" in this add-on. GET /v1/accounts lists the accounts.`);
  }
}

/** Creating one more account would pass WA_MAX_ACCOUNTS. */
export class AccountLimitError extends Error {
  constructor(readonly max: number) {
    super(`This add-on already serves ${max} accounts, its limit. Delete one or raise max_accounts in the add-on options.`);
  }
}

export class AccountExistsError extends Error {
  constructor(readonly accountId: string) {
    super(`An account "${accountId}" already exists. Choose another id or leave it out to get a new one.`);
  }
}

/** An account id that is not a lower-case slug (ACCOUNT_ID_PATTERN). */
export class InvalidAccountIdError extends Error {
  constructor(readonly accountId: string) {
    super(`"${accountId}" is not a valid account id: use 1–32 lower-case letters, digits and dashes, starting and ending with a letter or digit.`);
  }
}

/** `default` cannot be deleted; log it out instead. */
export class DefaultAccountError extends Error {
  constructor() {
    super('The account "default" always exists and cannot be deleted. Log it out with POST /v1/session/logout instead.');
  }
}

export interface AccountDirectory {
  /** The account's services; undefined when no such account exists (or it is being deleted). */
  get(id: string): AccountServices | undefined;
  /** Every account, `default` first, then by id. */
  list(): AccountSummary[];
  /** Creates the account and starts its pairing; the id is generated when absent. */
  create(id?: string): Promise<AccountServices>;
  /** Unlinks the account from WhatsApp (best effort), stops it and deletes its data. */
  remove(id: string): Promise<void>;
  readonly maxAccounts: number;
}
