import express, { type Express } from 'express';
import type { Logger } from 'pino';
import type { Journal } from '../journal/journal.js';
import type { Session } from '../session/session.js';
import type { SimulatedWhatsApp } from '../simulator/simulated-whatsapp.js';
import { requireApiKey } from './auth.js';
import { DEFAULT_KEY_THROTTLE, KeyThrottle } from './key-throttle.js';
import { DEFAULT_LOAD_LIMITS, limitLongPolls, refuseOverLimitConnections, type LoadLimits } from './load-limits.js';
import { errorHandler, methodNotAllowed, notFound } from './errors.js';
import { openApiDocument } from './openapi.js';
import type { MediaStore } from '../media/media-store.js';
import type { Sender } from '../messaging/sender.js';
import type { StorageHealth } from '../util/storage-health.js';
import { eventRoutes } from './routes/events.js';
import { mediaRoutes } from './routes/media.js';
import { messageRoutes } from './routes/messages.js';
import { publicRoutes } from './routes/health.js';
import { sessionRoutes } from './routes/session.js';
import { simulatorRoutes } from './routes/simulator.js';

export interface AppDependencies {
  version: string;
  apiKey: string;
  session: Session;
  journal: Journal;
  /** Present only with the simulator engine; its routes do not exist otherwise. */
  simulator: SimulatedWhatsApp | null;
  sender: Sender;
  media: MediaStore;
  logger: Logger;
  shutdown: AbortSignal;
  /** Which stores cannot write; `/health` reports it. */
  storage?: StorageHealth;
  /** Connections and long-polls one client and all together may hold (defaults otherwise). */
  limits?: LoadLimits;
}

export const JSON_BODY_LIMIT = '1mb';

export function createApp(deps: AppDependencies): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

  app.use(refuseOverLimitConnections());
  app.use(publicRoutes(deps.session, deps.version, deps.storage));
  const limits = deps.limits ?? DEFAULT_LOAD_LIMITS;
  app.use(requireApiKey(deps.apiKey, new KeyThrottle({ ...DEFAULT_KEY_THROTTLE, freeFailures: limits.freeWrongKeys })));
  app.use(limitLongPolls(limits));
  app.use(mediaRoutes(deps.media, deps.sender));
  app.use(express.json({ limit: JSON_BODY_LIMIT, strict: true }));
  app.use(sessionRoutes(deps.session));
  app.use(messageRoutes(deps.sender));
  app.use(eventRoutes(deps.journal, deps.shutdown));
  if (deps.simulator) app.use(simulatorRoutes(deps.simulator));
  app.use(methodNotAllowed(documentedRoutes(deps.version, deps.simulator !== null)));
  app.use(notFound);
  app.use(errorHandler(deps.logger));
  return app;
}

/** The methods of every route this app serves, from the OpenAPI document (which tests keep complete). */
function documentedRoutes(version: string, withSimulator: boolean): Record<string, string[]> {
  const paths = openApiDocument(version).paths as Record<string, Record<string, unknown>>;
  return Object.fromEntries(
    Object.entries(paths)
      .filter(([path]) => withSimulator || !path.startsWith('/v1/simulator/'))
      .map(([path, operations]) => [path, Object.keys(operations)]),
  );
}
