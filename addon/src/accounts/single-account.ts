/**
 * A directory of exactly the `default` account, until the add-on serves several (issue: accounts).
 * Creating and deleting are refused as over the limit.
 */
import { AccountLimitError, AccountNotFoundError, DEFAULT_ACCOUNT_ID, type AccountDirectory, type AccountServices, type AccountSummary } from './directory.js';

export function singleAccount(services: Omit<AccountServices, 'id'>): AccountDirectory {
  const account: AccountServices = { id: DEFAULT_ACCOUNT_ID, ...services };
  return {
    maxAccounts: 1,
    get: (id) => (id === DEFAULT_ACCOUNT_ID ? account : undefined),
    list: (): AccountSummary[] => {
      const view = account.session.snapshot();
      return [{ id: DEFAULT_ACCOUNT_ID, state: view.state, me: view.me }];
    },
    create: () => Promise.reject(new AccountLimitError(1)),
    remove: (id) => Promise.reject(new AccountNotFoundError(id)),
  };
}
