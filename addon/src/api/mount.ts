/** Serves declared routes on an Express app: account lookup, body parsing, validation, handler. */
import express, { type Express, type RequestHandler } from 'express';
import { DEFAULT_ACCOUNT_ID, type AccountServices } from '../accounts/directory.js';
import { ApiError } from './errors.js';
import { expressPath, pathsOf, type ApiServices, type Route } from './registry.js';
import { NoFields } from './schema/common.js';
import { parseInput, prepareValidator } from './validation.js';

export const JSON_BODY_LIMIT = '1mb';

const parseJson = express.json({ limit: JSON_BODY_LIMIT, strict: true });

function accountOf(services: ApiServices, id: string | undefined): AccountServices {
  const account = services.accounts.get(id ?? DEFAULT_ACCOUNT_ID);
  if (!account) {
    throw new ApiError(404, 'account_not_found', `There is no account "${id ?? DEFAULT_ACCOUNT_ID}" in this add-on. GET /v1/accounts lists the accounts.`);
  }
  return account;
}

/** First, so an unknown account is a 404 whatever else is wrong with the request. */
function findAccount(services: ApiServices): RequestHandler {
  return (req, res, next) => {
    res.locals.account = accountOf(services, (req.params as Record<string, string | undefined>).account);
    next();
  };
}

function serve(route: Route, services: ApiServices): RequestHandler {
  return async (req, res) => {
    const rawParams = req.params as Record<string, string>;
    const account = res.locals.account as AccountServices;
    const params = route.params
      ? parseInput(route.params, Object.fromEntries(Object.keys(route.params.properties as object).map((name) => [name, rawParams[name]])), 'path')
      : {};
    // A copy: Express computes req.query afresh on each read, and validation fills in defaults.
    const query = parseInput(route.query ?? NoFields, { ...(req.query as object) }, 'query');
    const body = route.body?.kind === 'json' ? parseInput(route.body.schema, req.body, 'body') : undefined;
    await route.handler({ params, query, body, account, services, req, res });
  };
}

/** Registers each route under each of its paths (unscoped and, per account, scoped). */
export function mountRoutes(app: Express, routes: readonly Route[], services: ApiServices): void {
  for (const route of routes) {
    if (route.params) prepareValidator(route.params, 'path');
    prepareValidator(route.query ?? NoFields, 'query');
    if (route.body?.kind === 'json') prepareValidator(route.body.schema, 'body');
    const handlers: RequestHandler[] = [findAccount(services), ...(route.body?.kind === 'json' ? [parseJson] : []), serve(route, services)];
    for (const path of pathsOf(route)) app[route.method](expressPath(path), ...handlers);
  }
}

/** The methods of each path template, for 405 answers. */
export function allowTable(routes: readonly Route[]): Record<string, string[]> {
  const table: Record<string, string[]> = {};
  for (const route of routes) {
    for (const path of pathsOf(route)) (table[path] ??= []).push(route.method);
  }
  return table;
}
