import {
  AccountExistsError,
  AccountLimitError,
  AccountNotFoundError,
  DEFAULT_ACCOUNT_ID,
  DefaultAccountError,
  InvalidAccountIdError,
} from '../../accounts/directory.js';
import { ApiError } from '../errors.js';
import { jsonBody, route, type Route } from '../registry.js';
import { AccountIdParams, AccountList, CreateAccountRequest, CreatedAccount, DeletedAccount } from '../schema/accounts.js';

/** The directory's refusals as the caller sees them. */
function asApiError(err: unknown): unknown {
  if (err instanceof AccountLimitError) return new ApiError(409, 'too_many_accounts', err.message);
  if (err instanceof AccountExistsError) return new ApiError(409, 'account_exists', err.message);
  if (err instanceof DefaultAccountError) return new ApiError(409, 'default_account', err.message);
  if (err instanceof InvalidAccountIdError) return new ApiError(400, 'invalid_request', err.message);
  if (err instanceof AccountNotFoundError) return new ApiError(404, 'account_not_found', err.message);
  return err;
}

export const accountRoutes: readonly Route[] = [
  route({
    method: 'get',
    path: '/v1/accounts',
    summary: 'The WhatsApp accounts this add-on serves, with their connection state.',
    perAccount: false,
    responses: { 200: { description: 'OK', schema: AccountList } },
    handler: ({ services, res }) => {
      res.json({ accounts: services.accounts.list() });
    },
  }),
  route({
    method: 'post',
    path: '/v1/accounts',
    summary: 'Add an account: it starts pairing at once (link it with its QR code or a pairing code on its scoped session routes).',
    perAccount: false,
    body: jsonBody(CreateAccountRequest, false),
    responses: {
      201: { description: 'Created; pairing has started.', schema: CreatedAccount },
      409: { description: '`too_many_accounts`: the add-on already serves its maximum (`max_accounts`); `account_exists`: that id is taken.' },
    },
    handler: async ({ services, body, res }) => {
      try {
        const account = await services.accounts.create(body.id);
        res.status(201).json({ id: account.id });
      } catch (err) {
        throw asApiError(err);
      }
    },
  }),
  route({
    method: 'delete',
    path: '/v1/accounts/{id}',
    summary: 'Remove an account: unlink it from WhatsApp and delete its data (credentials, journal, media).',
    perAccount: false,
    params: AccountIdParams,
    responses: {
      200: { description: 'Removed.', schema: DeletedAccount },
      404: { description: '`account_not_found`: no such account.' },
      409: { description: '`default_account`: the account `default` always exists; log it out instead.' },
    },
    handler: async ({ services, params: { id }, res }) => {
      try {
        if (id === DEFAULT_ACCOUNT_ID) throw new DefaultAccountError();
        await services.accounts.remove(id);
      } catch (err) {
        throw asApiError(err);
      }
      res.json({ id, deleted: true });
    },
  }),
];
