/**
 * The add-on's web page, served on the ingress port: Home Assistant shows it in its sidebar. It lists
 * every account with its connection and, to those who may manage the accounts, links each phone (QR
 * code or code by phone number), reconnects, logs out, adds and deletes accounts. It never shows the
 * API key. Every URL it uses is relative,
 * because ingress serves it under `/api/hassio_ingress/<token>/`.
 */
import { fileURLToPath } from 'node:url';
import express, { type Express, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import type { AccountDirectory } from '../accounts/directory.js';
import { errorBody, errorHandler } from '../api/errors.js';
import type { SupervisorAccess } from '../settings.js';
import { DashboardAccess, viewerOf } from './access.js';
import { accountRoutes, actor, requireJson } from './account-routes.js';
import { AccountWatch } from './account-watch.js';
import { CoreAdminCheck, NO_ADMINS, type AdminCheck } from './ha-admins.js';
import { hostGuard } from './host-check.js';
import { loginPage } from './login-page.js';
import { DashboardSessions } from './sessions.js';
import { viewStream } from './stream.js';
import { DashboardViews } from './view.js';

export interface DashboardDependencies {
  version: string;
  apiKey: string;
  /** Addresses of Home Assistant's ingress proxy: their user headers are believed. */
  trusted: readonly string[];
  /** Names besides localhost and IP addresses the page answers to (`WA_DASHBOARD_HOSTS`). */
  allowedHosts?: readonly string[];
  /** Inside Home Assistant: the Supervisor, through which Core says who is an administrator. */
  supervisor?: SupervisorAccess | null;
  accounts: AccountDirectory;
  logger: Logger;
  shutdown: AbortSignal;
}

const PAGE_DIR = fileURLToPath(new URL('../../../static/dashboard/', import.meta.url));
/** Style, script and icon: the same for everyone and nothing private; the sign-in form needs them too. */
const ASSETS_DIR = fileURLToPath(new URL('../../../static/dashboard/assets/', import.meta.url));

const PAGE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; " +
    "base-uri 'none'; form-action 'self'; frame-ancestors 'self'",
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-store',
};

function wantsHtml(req: Request): boolean {
  return req.method === 'GET' && req.accepts(['json', 'html']) === 'html';
}

function refuse(req: Request, res: Response): void {
  res.status(401).set(PAGE_SECURITY_HEADERS);
  if (wantsHtml(req) && req.path === '/') {
    res.type('html').send(loginPage(false));
    return;
  }
  res.json(
    errorBody(
      'unauthorized',
      'Open this page from the add-on in Home Assistant, or sign in with the API key (or send it as "Authorization: Bearer <key>").',
    ),
  );
}

export function createDashboardApp(deps: DashboardDependencies): Express {
  const admins: AdminCheck = deps.supervisor
    ? new CoreAdminCheck(deps.supervisor, deps.logger.child({ module: 'ha-admins' }))
    : NO_ADMINS;
  const access = new DashboardAccess(deps.apiKey, deps.trusted, admins, new DashboardSessions(deps.apiKey));
  const views = new DashboardViews(deps.accounts, deps.version);
  const changes = new AccountWatch(deps.accounts, deps.logger);
  const render = views.current.bind(views);
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

  app.use(hostGuard(access.proxies, deps.allowedHosts ?? []));
  app.use('/static', express.static(ASSETS_DIR, { index: false, etag: false, cacheControl: false, setHeaders: (res) => res.set('Cache-Control', 'no-cache') }));

  app.get('/login', (_req, res) => {
    res.set(PAGE_SECURITY_HEADERS).type('html').send(loginPage(false));
  });

  app.post('/login', express.urlencoded({ extended: false, limit: '4kb' }), (req, res) => {
    const candidate: unknown = (req.body as Record<string, unknown> | undefined)?.api_key;
    res.set(PAGE_SECURITY_HEADERS);
    if (typeof candidate !== 'string' || !access.keyMatches(candidate)) {
      deps.logger.warn({ from: req.socket.remoteAddress }, 'dashboard sign-in with a wrong API key');
      res.status(401).type('html').send(loginPage(true));
      return;
    }
    deps.logger.info({ from: req.socket.remoteAddress }, 'signed in to the dashboard with the API key');
    access.signIn(res);
    res.redirect(303, './');
  });

  app.use(access.guard(refuse));

  app.get('/', (_req, res) => {
    res.set(PAGE_SECURITY_HEADERS).sendFile('index.html', { root: PAGE_DIR, cacheControl: false });
  });

  app.get('/api/state', async (_req, res) => {
    res.set('Cache-Control', 'no-store').json(await views.current(viewerOf(res)));
  });

  app.get(
    '/api/stream',
    viewStream({
      changes,
      viewerOf: (req) => access.identify(req),
      render,
      logger: deps.logger,
      shutdown: deps.shutdown,
    }),
  );

  app.post('/api/sign-out', requireJson, (_req, res) => {
    deps.logger.info(actor(viewerOf(res)), 'dashboard sign-out: every API-key sign-in is revoked');
    access.signOutEverywhere(res);
    res.set('Cache-Control', 'no-store').json({ signed_out: true });
  });

  app.use('/api/accounts', accountRoutes({ accounts: deps.accounts, changes, adminOnly: access.adminOnly, render, logger: deps.logger }));

  app.use((req, res) => {
    res.status(404).json(errorBody('not_found', `The add-on's web page has nothing at ${req.method} ${req.path}.`));
  });
  app.use(errorHandler(deps.logger));
  return app;
}
