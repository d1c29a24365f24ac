/**
 * The add-on's web page, served on the ingress port: Home Assistant shows it in its sidebar. It shows
 * the connection, links the phone (QR code or code by phone number), and offers logout, reconnect
 * and the API key. Every URL it uses is relative, because ingress serves it under
 * `/api/hassio_ingress/<token>/`.
 */
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import express, { type Express, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { ApiError, errorBody, errorHandler } from '../api/errors.js';
import { objectBody, requiredString } from '../api/validate.js';
import type { Journal } from '../journal/journal.js';
import { SessionError, type Session } from '../session/session.js';
import { PhoneNumberError, toE164 } from '../util/phone.js';
import { DashboardAccess } from './access.js';
import { loginPage } from './login-page.js';
import { DashboardViews } from './view.js';

export interface DashboardDependencies {
  version: string;
  apiKey: string;
  /** Peer addresses let in without the key (the ingress proxy). */
  trusted: readonly string[];
  session: Session;
  journal: Journal;
  logger: Logger;
  shutdown: AbortSignal;
}

const PAGE_DIR = fileURLToPath(new URL('../../../static/dashboard/', import.meta.url));
/** Style, script and icon: the same for everyone and nothing private; the sign-in form needs them too. */
const ASSETS_DIR = fileURLToPath(new URL('../../../static/dashboard/assets/', import.meta.url));
const KEEP_ALIVE_MS = 25_000;
/** Several changes in a row (state, then its journal entry) reach the page as one update. */
const PUSH_COALESCE_MS = 30;

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

export function createDashboardApp(deps: DashboardDependencies): Express {
  const access = new DashboardAccess(deps.apiKey, deps.trusted);
  const views = new DashboardViews(deps.session, deps.journal, deps.version);
  // One listener on the session however many pages are open.
  const sessionChanges = new EventEmitter<{ change: [] }>().setMaxListeners(0);
  deps.session.on('change', () => sessionChanges.emit('change'));
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

  app.use('/static', express.static(ASSETS_DIR, { index: false, etag: false, cacheControl: false, setHeaders: (res) => res.set('Cache-Control', 'no-cache') }));

  app.post('/login', express.urlencoded({ extended: false, limit: '4kb' }), (req, res) => {
    const candidate: unknown = (req.body as Record<string, unknown> | undefined)?.api_key;
    res.set(PAGE_SECURITY_HEADERS);
    if (typeof candidate !== 'string' || !access.keyMatches(candidate)) {
      deps.logger.warn({ from: req.socket.remoteAddress }, 'dashboard sign-in with a wrong API key');
      res.status(401).type('html').send(loginPage(true));
      return;
    }
    access.signIn(res);
    res.redirect(303, './');
  });

  app.use(access.guard(refuse));

  app.get('/', (_req, res) => {
    res.set(PAGE_SECURITY_HEADERS).sendFile('index.html', { root: PAGE_DIR, cacheControl: false });
  });

  app.get('/api/state', async (_req, res) => {
    res.set('Cache-Control', 'no-store').json(await views.current());
  });

  app.get('/api/key', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ api_key: deps.apiKey });
  });

  app.get('/api/stream', async (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' });
    const ended = new AbortController();
    const end = (): void => ended.abort();
    res.once('close', end);
    deps.shutdown.addEventListener('abort', end, { once: true });

    let timer: NodeJS.Timeout | null = null;
    const push = (): void => {
      if (timer || ended.signal.aborted) return;
      timer = setTimeout(() => {
        timer = null;
        views.current().then(
          (view) => {
            if (!ended.signal.aborted) res.write(`data: ${JSON.stringify(view)}\n\n`);
          },
          (err: unknown) => deps.logger.error({ err: (err as Error).message }, 'could not build the dashboard view'),
        );
      }, PUSH_COALESCE_MS);
    };
    sessionChanges.on('change', push);
    push();
    try {
      let seen = deps.journal.lastSeq;
      while (!ended.signal.aborted) {
        const woken = await deps.journal.waitForEvents(seen, KEEP_ALIVE_MS, ended.signal);
        if (ended.signal.aborted) break;
        if (woken) {
          seen = deps.journal.lastSeq;
          push();
        } else {
          res.write(': still here\n\n');
        }
      }
    } finally {
      sessionChanges.off('change', push);
      deps.shutdown.removeEventListener('abort', end);
      if (timer) clearTimeout(timer);
      res.end();
    }
  });

  app.post('/api/pairing-code', express.json({ limit: '4kb' }), requireJson, async (req, res) => {
    const body = objectBody(req.body, ['phone_number']);
    try {
      const phone = toE164(requiredString(body, 'phone_number', 64));
      res.json({ code: await deps.session.requestPairingCode(phone.slice(1)) });
    } catch (err) {
      throw asApiError(err);
    }
  });

  app.post('/api/logout', requireJson, async (_req, res) => {
    deps.logger.info('logout requested from the dashboard');
    await deps.session.logout();
    res.json(await views.current());
  });

  app.post('/api/restart', requireJson, async (_req, res) => {
    deps.logger.info('reconnect requested from the dashboard');
    await deps.session.restart();
    res.json(await views.current());
  });

  app.use((req, res) => {
    res.status(404).json(errorBody('not_found', `The add-on's web page has nothing at ${req.method} ${req.path}.`));
  });
  app.use(errorHandler(deps.logger));
  return app;
}
