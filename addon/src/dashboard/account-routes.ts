/**
 * What an administrator does on the page, account by account: add one, delete one, link it by
 * phone number, reconnect it, log it out. Every route here is for administrators only and takes
 * JSON, so only the page's own scripts can trigger it, never a form on another site.
 */
import express, { type Request, type RequestHandler, type Router } from 'express';
import type { Logger } from 'pino';
import {
  AccountExistsError,
  AccountLimitError,
  AccountNotFoundError,
  DefaultAccountError,
  InvalidAccountIdError,
  type AccountDirectory,
  type AccountServices,
} from '../accounts/directory.js';
import { ApiError } from '../api/errors.js';
import { CreateAccountRequest } from '../api/schema/accounts.js';
import { PairingCodeRequest } from '../api/schema/session.js';
import { parseInput } from '../api/validation.js';
import { SessionError } from '../session/session.js';
import { PhoneNumberError, toE164 } from '../util/phone.js';
import { viewerOf, type Viewer } from './access.js';
import type { AccountWatch } from './account-watch.js';
import type { DashboardView } from './view.js';

export interface AccountRouteDependencies {
  accounts: AccountDirectory;
  changes: AccountWatch;
  adminOnly: RequestHandler;
  render: (viewer: Viewer) => Promise<DashboardView>;
  logger: Logger;
}

/** Refuses anything but JSON: a form on another site cannot send it without the browser asking first. */
export const requireJson: RequestHandler = (req, _res, next) => {
  if (!req.is('application/json')) {
    next(new ApiError(415, 'unsupported_media_type', 'Send actions as JSON (Content-Type: application/json).'));
    return;
  }
  next();
};

/** The messages of these errors already tell the person what to do. */
export function asApiError(err: unknown): unknown {
  if (err instanceof SessionError) return new ApiError(err.status, err.code, err.message);
  if (err instanceof PhoneNumberError) return new ApiError(400, 'invalid_phone_number', err.message);
  if (err instanceof AccountLimitError) return new ApiError(409, 'too_many_accounts', err.message);
  if (err instanceof AccountExistsError) return new ApiError(409, 'account_exists', err.message);
  if (err instanceof DefaultAccountError) return new ApiError(409, 'default_account', 'The account "default" always exists and cannot be deleted. Log it out instead.');
  if (err instanceof InvalidAccountIdError) return new ApiError(400, 'invalid_account_id', err.message);
  if (err instanceof AccountNotFoundError) return notFound(err.accountId);
  return err;
}

function notFound(accountId: string): ApiError {
  return new ApiError(404, 'account_not_found', `There is no account "${accountId}" any more; the page shows the accounts there are.`);
}

/** Who did it, for the log: a Home Assistant user id (not personal data) or "the API key". */
export function actor(viewer: Viewer): Record<string, string> {
  return viewer.userId !== null ? { user: viewer.userId } : { user: 'api key' };
}

export function accountRoutes(deps: AccountRouteDependencies): Router {
  const router = express.Router();
  const json = express.json({ limit: '4kb' });
  const guarded = [deps.adminOnly, json, requireJson];

  const accountOf = (req: Request): AccountServices => {
    const id = String(req.params.id);
    const account = deps.accounts.get(id);
    if (!account) throw notFound(id);
    return account;
  };
  /** Does the work, then answers with the page's new view (and what the work adds to it). */
  const answer = async (res: express.Response, work: () => Promise<Record<string, string> | void>): Promise<void> => {
    let extra: Record<string, string> | void;
    try {
      extra = await work();
    } catch (err) {
      throw asApiError(err);
    }
    deps.changes.refresh();
    res.set('Cache-Control', 'no-store').json({ ...(await deps.render(viewerOf(res))), ...extra });
  };

  router.post('/', ...guarded, async (req, res) => {
    // The same schemas as POST /v1/accounts and POST /v1/session/pairing-code.
    const wanted = parseInput(CreateAccountRequest, req.body, 'body').id;
    await answer(res.status(201), async () => {
      const created = (await deps.accounts.create(wanted)).id;
      deps.logger.info({ ...actor(viewerOf(res)), account: created }, 'account added from the dashboard');
      return { created };
    });
  });

  router.delete('/:id', ...guarded, async (req, res) => {
    const id = String(req.params.id);
    await answer(res, async () => {
      deps.logger.info({ ...actor(viewerOf(res)), account: id }, 'account deletion requested from the dashboard');
      await deps.accounts.remove(id);
    });
  });

  router.post('/:id/pairing-code', ...guarded, async (req, res) => {
    try {
      const account = accountOf(req);
      const phone = toE164(parseInput(PairingCodeRequest, req.body, 'body').phone_number);
      deps.logger.info({ ...actor(viewerOf(res)), account: account.id }, 'pairing code requested from the dashboard');
      res.json({ code: await account.session.requestPairingCode(phone.slice(1)) });
    } catch (err) {
      throw asApiError(err);
    }
  });

  router.post('/:id/logout', ...guarded, async (req, res) => {
    const account = accountOf(req);
    await answer(res, async () => {
      deps.logger.info({ ...actor(viewerOf(res)), account: account.id }, 'logout requested from the dashboard');
      await account.session.logout();
    });
  });

  router.post('/:id/restart', ...guarded, async (req, res) => {
    const account = accountOf(req);
    await answer(res, async () => {
      deps.logger.info({ ...actor(viewerOf(res)), account: account.id }, 'reconnect requested from the dashboard');
      await account.session.restart();
    });
  });

  return router;
}
