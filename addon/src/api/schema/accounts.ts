/** Schemas of `/v1/accounts`: the WhatsApp numbers one add-on serves. */
import { Type } from '@sinclair/typebox';
import { ACCOUNT_ID_PATTERN } from '../../accounts/directory.js';
import { CONNECTION_STATES, Enum, INVALID_MESSAGE, Nullable, Ref, Strict } from './common.js';
import { LinkedNumber } from './session.js';

const ACCOUNT_ID_RULE = 'lower-case letters, digits and single dashes, 1 to 32 characters, starting and ending with a letter or digit';

export const AccountId = Type.String({
  pattern: ACCOUNT_ID_PATTERN,
  description: `The account id: ${ACCOUNT_ID_RULE}.`,
  [INVALID_MESSAGE]: `"id" must be ${ACCOUNT_ID_RULE}, e.g. "office".`,
});

export const AccountSummary = Strict({
  id: Type.String(),
  state: Enum(CONNECTION_STATES),
  me: Nullable(Ref('Account', LinkedNumber)),
});
export const AccountList = Strict({ accounts: Type.Array(Ref('AccountSummary', AccountSummary), { description: '`default` first, then by id.' }) });

export const CreateAccountRequest = Strict({ id: Type.Optional(AccountId) });
export const CreatedAccount = Strict({ id: Type.String() });
export const AccountIdParams = Strict({ id: Type.String({ description: 'The account id.' }) });
export const DeletedAccount = Strict({ id: Type.String(), deleted: Type.Literal(true) });

/** The path parameter of every per-account route: `/v1/accounts/{account}/…`. */
export const AccountScope = Type.String({ description: 'The account id (`default` is the account of the unscoped routes).', examples: ['default'] });
