import express, { type Express } from 'express';
import type { Logger } from 'pino';
import type { AccountDirectory } from '../accounts/directory.js';
import type { StorageHealth } from '../util/storage-health.js';
import { requireApiKey } from './auth.js';
import { errorHandler, methodNotAllowed, notFound } from './errors.js';
import { DEFAULT_KEY_THROTTLE, KeyThrottle } from './key-throttle.js';
import { DEFAULT_LOAD_LIMITS, limitLongPolls, refuseOverLimitConnections, type LoadLimits } from './load-limits.js';
import { allowTable, mountRoutes } from './mount.js';
import { servedRoutes, type ApiServices } from './registry.js';
import { API_ROUTES } from './routes/index.js';

export { JSON_BODY_LIMIT } from './mount.js';

export interface AppDependencies {
  version: string;
  apiKey: string;
  /** The accounts the API serves; unscoped routes are the account `default`. */
  accounts: AccountDirectory;
  /** Whether the simulator engine runs: its routes do not exist otherwise. */
  simulator: boolean;
  logger: Logger;
  shutdown: AbortSignal;
  /** Which stores cannot write; `/health` reports it. */
  storage?: StorageHealth;
  /** Connections and long-polls one client and all together may hold (defaults otherwise). */
  limits?: LoadLimits;
}

export function createApp(deps: AppDependencies): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

  const services: ApiServices = {
    version: deps.version,
    accounts: deps.accounts,
    shutdown: deps.shutdown,
    storage: deps.storage,
    simulator: deps.simulator,
  };
  const routes = servedRoutes(API_ROUTES, deps.simulator);
  const limits = deps.limits ?? DEFAULT_LOAD_LIMITS;

  app.use(refuseOverLimitConnections());
  mountRoutes(app, routes.filter((candidate) => candidate.public), services);
  // Long-poll limits and the wrong-key throttle are the add-on's, not per account.
  app.use(requireApiKey(deps.apiKey, new KeyThrottle({ ...DEFAULT_KEY_THROTTLE, freeFailures: limits.freeWrongKeys })));
  app.use(limitLongPolls(limits));
  mountRoutes(app, routes.filter((candidate) => !candidate.public), services);
  app.use(methodNotAllowed(allowTable(routes)));
  app.use(notFound);
  app.use(errorHandler(deps.logger));
  return app;
}
