/**
 * The accounts this add-on serves, found under `WA_DATA_DIR/accounts/` at start and created or
 * deleted through the API. `default` always exists. Received-media cache space (media_cache_max_mb)
 * is shared equally among the accounts there are at any moment.
 */
import type { Logger } from 'pino';

import { Account, type AccountContext } from './account.js';
import { createAccountFolder, discoverAccountFolders, isAccountId, removeAccountFolder } from './account-folders.js';
import {
  AccountExistsError,
  AccountLimitError,
  AccountNotFoundError,
  DEFAULT_ACCOUNT_ID,
  DefaultAccountError,
  InvalidAccountIdError,
  type AccountDirectory,
  type AccountServices,
  type AccountSummary,
} from './directory.js';
import { migrateLegacyLayout, type MigrationHooks } from './legacy-layout.js';

export interface RegistryOptions extends AccountContext {
  migrationHooks?: MigrationHooks;
}

/** Generated ids read as a count of numbers: the first added one is `account-2`. */
const GENERATED_ID_PREFIX = 'account-';

export class AccountRegistry implements AccountDirectory {
  private readonly accounts = new Map<string, Account>();
  /** Ids whose deletion is under way: already gone for requests, not yet free to be reused. */
  private readonly leaving = new Set<string>();
  /** Creations run one after another, so two cannot both take the last free place or the same id. */
  private creating: Promise<unknown> = Promise.resolve();
  private readonly logger: Logger;

  private constructor(private readonly context: AccountContext) {
    this.logger = context.logger.child({ module: 'accounts' });
  }

  /** Migrates a single-account data folder, then opens every account found (and `default`). */
  static async open(options: RegistryOptions): Promise<AccountRegistry> {
    const { migrationHooks, ...context } = options;
    const registry = new AccountRegistry(context);
    const dataDir = context.settings.dataDir;
    await migrateLegacyLayout(dataDir, registry.logger, migrationHooks);
    const ids = await discoverAccountFolders(dataDir, registry.logger);
    if (!ids.includes(DEFAULT_ACCOUNT_ID)) {
      await createAccountFolder(dataDir, DEFAULT_ACCOUNT_ID);
      ids.unshift(DEFAULT_ACCOUNT_ID);
    }
    if (ids.length > registry.maxAccounts) {
      registry.logger.warn(
        { accounts: ids.length, max: registry.maxAccounts },
        'more accounts exist than max_accounts allows; all are served, but no new one can be added until some are deleted',
      );
    }
    const quota = registry.cacheShareBytes(ids.length);
    const opened = await Promise.allSettled(ids.map((id) => Account.open(id, quota, context)));
    opened.forEach((result, index) => {
      const id = ids[index]!;
      if (result.status === 'fulfilled') {
        registry.accounts.set(id, result.value);
        return;
      }
      // `default` is what the unscoped API serves: without it the add-on cannot work at all.
      if (id === DEFAULT_ACCOUNT_ID) throw result.reason;
      registry.logger.error({ accountId: id, err: (result.reason as Error).message }, 'could not open this account; it is not served');
    });
    await registry.shareMediaCache();
    return registry;
  }

  get maxAccounts(): number {
    return this.context.settings.maxAccounts;
  }

  /** The account the unscoped routes and /health serve. */
  get defaultAccount(): AccountServices {
    return this.accounts.get(DEFAULT_ACCOUNT_ID)!.services;
  }

  /** Connects every account: logs in with stored credentials, or starts pairing. */
  start(): void {
    for (const account of this.accounts.values()) account.start();
  }

  /** Closes every socket and flushes every store, all accounts at once. */
  async stop(): Promise<void> {
    await Promise.allSettled([...this.accounts.values()].map((account) => account.stop()));
  }

  get(id: string): AccountServices | undefined {
    return this.accounts.get(id)?.services;
  }

  list(): AccountSummary[] {
    return this.orderedIds().map((id) => {
      const view = this.accounts.get(id)!.services.session.snapshot();
      return { id, state: view.state, me: view.me };
    });
  }

  create(id?: string): Promise<AccountServices> {
    const created = this.creating.then(() => this.createNow(id));
    this.creating = created.catch(() => undefined);
    return created;
  }

  async remove(id: string): Promise<void> {
    if (id === DEFAULT_ACCOUNT_ID) throw new DefaultAccountError();
    const account = this.accounts.get(id);
    if (!account) throw new AccountNotFoundError(id);
    // Gone for every new request at once; the unlink and the deletion follow.
    this.accounts.delete(id);
    this.leaving.add(id);
    try {
      await account.destroy();
      this.logger.info({ accountId: id }, 'account removed');
    } finally {
      this.leaving.delete(id);
      await this.shareMediaCache();
    }
  }

  private async createNow(requested: string | undefined): Promise<AccountServices> {
    if (requested !== undefined && !isAccountId(requested)) throw new InvalidAccountIdError(requested);
    if (requested !== undefined && (this.accounts.has(requested) || this.leaving.has(requested))) throw new AccountExistsError(requested);
    if (this.accounts.size >= this.maxAccounts) throw new AccountLimitError(this.maxAccounts);
    const id = requested ?? this.nextGeneratedId();
    const dataDir = this.context.settings.dataDir;
    await createAccountFolder(dataDir, id);
    let account: Account;
    try {
      account = await Account.open(id, this.cacheShareBytes(this.accounts.size + 1), this.context);
    } catch (error) {
      await removeAccountFolder(dataDir, id).catch(() => undefined);
      throw error;
    }
    this.accounts.set(id, account);
    await this.shareMediaCache();
    account.start();
    this.logger.info({ accountId: id }, 'account added; it is pairing');
    return account.services;
  }

  private nextGeneratedId(): string {
    for (let number = 2; ; number += 1) {
      const id = `${GENERATED_ID_PREFIX}${number}`;
      if (!this.accounts.has(id) && !this.leaving.has(id)) return id;
    }
  }

  private orderedIds(): string[] {
    const others = [...this.accounts.keys()].filter((id) => id !== DEFAULT_ACCOUNT_ID).sort();
    return this.accounts.has(DEFAULT_ACCOUNT_ID) ? [DEFAULT_ACCOUNT_ID, ...others] : others;
  }

  private cacheShareBytes(accountCount: number): number {
    const totalBytes = this.context.settings.mediaCacheMaxMb * 1024 * 1024;
    return Math.floor(totalBytes / Math.max(1, accountCount));
  }

  private async shareMediaCache(): Promise<void> {
    const share = this.cacheShareBytes(this.accounts.size);
    await Promise.allSettled([...this.accounts.values()].map((account) => account.services.media.setCacheQuota(share)));
  }
}
