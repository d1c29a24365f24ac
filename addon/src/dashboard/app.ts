/**
 * The add-on's web page, served on the ingress port: Home Assistant shows it in its sidebar. It shows
 * the connection and, to those who may manage the session, links the phone (QR code or code by phone
 * number), reconnects and logs out. It never shows the API key. Every URL it uses is relative,
 * because ingress serves it under `/api/hassio_ingress/<token>/`.
 */
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import express, { type Express, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { ApiError, errorBody, errorHandler } from '../api/errors.js';
import { objectBody, requiredString } from '../api/validate.js';
import type { Journal } from '../journal/journal.js';
import { SessionError, type Session } from '../session/session.js';
import type { SupervisorAccess } from '../settings.js';
import { PhoneNumberError, toE164 } from '../util/phone.js';
import { DashboardAccess, viewerOf, type Viewer } from './access.js';
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
  session: Session;
  journal: Journal;
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

/** Actions change the session: only the page's own scripts may trigger them, never a form on another site. */
const requireJson: express.RequestHandler = (req, _res, next) => {
  if (!req.is('application/json')) {
    next(new ApiError(415, 'unsupported_media_type', 'Send actions as JSON (Content-Type: application/json).'));
    return;
  }
  next();
};

function asApiError(err: unknown): unknown {
  if (err instanceof SessionError) return new ApiError(err.status, err.code, err.message);
  if (err instanceof PhoneNumberError) return new ApiError(400, 'invalid_phone_number', err.message);
  return err;
}

/** Who did it, for the log: a Home Assistant user id (not personal data) or "the API key". */
function actor(viewer: Viewer): Record<string, string> {
  return viewer.userId !== null ? { user: viewer.userId } : { user: 'api key' };
}

export function createDashboardApp(deps: DashboardDependencies): Express {
  const admins: AdminCheck = deps.supervisor
    ? new CoreAdminCheck(deps.supervisor, deps.logger.child({ module: 'ha-admins' }))
    : NO_ADMINS;
  const access = new DashboardAccess(deps.apiKey, deps.trusted, admins, new DashboardSessions(deps.apiKey));
  const views = new DashboardViews(deps.session, deps.journal, deps.version);
  // One listener on the session however many pages are open.
  const sessionChanges = new EventEmitter<{ change: [] }>().setMaxListeners(0);
  deps.session.on('change', () => sessionChanges.emit('change'));
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
      journal: deps.journal,
      sessionChanges,
      viewerOf: (req) => access.identify(req),
      render: (viewer) => views.current(viewer),
      logger: deps.logger,
      shutdown: deps.shutdown,
    }),
  );

  app.post('/api/sign-out', requireJson, (_req, res) => {
    deps.logger.info(actor(viewerOf(res)), 'dashboard sign-out: every API-key sign-in is revoked');
    access.signOutEverywhere(res);
    res.set('Cache-Control', 'no-store').json({ signed_out: true });
  });

  app.post('/api/pairing-code', access.adminOnly, express.json({ limit: '4kb' }), requireJson, async (req, res) => {
    const body = objectBody(req.body, ['phone_number']);
    try {
      const phone = toE164(requiredString(body, 'phone_number', 64));
      deps.logger.info(actor(viewerOf(res)), 'pairing code requested from the dashboard');
      res.json({ code: await deps.session.requestPairingCode(phone.slice(1)) });
    } catch (err) {
      throw asApiError(err);
    }
  });

  app.post('/api/logout', access.adminOnly, requireJson, async (_req, res) => {
    deps.logger.info(actor(viewerOf(res)), 'logout requested from the dashboard');
    await deps.session.logout();
    res.json(await views.current(viewerOf(res)));
  });

  app.post('/api/restart', access.adminOnly, requireJson, async (_req, res) => {
    deps.logger.info(actor(viewerOf(res)), 'reconnect requested from the dashboard');
    await deps.session.restart();
    res.json(await views.current(viewerOf(res)));
  });

  app.use((req, res) => {
    res.status(404).json(errorBody('not_found', `The add-on's web page has nothing at ${req.method} ${req.path}.`));
  });
  app.use(errorHandler(deps.logger));
  return app;
}
