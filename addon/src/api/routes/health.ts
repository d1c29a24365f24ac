import { Router } from 'express';
import type { Session } from '../../session/session.js';
import type { StorageHealth } from '../../util/storage-health.js';
import { openApiDocument } from '../openapi.js';

/**
 * `/health` is `degraded` (still 200: the API works, and a watchdog restart would throw away the
 * events waiting in memory) while a store cannot write; `reason` says why, so Home Assistant can
 * tell the user to free space.
 */
export function publicRoutes(session: Session, version: string, storage?: StorageHealth): Router {
  const router = Router();
  router.get('/health', (_req, res) => {
    const problem = storage?.problem() ?? null;
    if (!problem) {
      res.json({ status: 'ok', version, state: session.state, reason: null });
      return;
    }
    res.json({
      status: 'degraded',
      version,
      state: session.state,
      reason: problem.reason,
      storage: { components: problem.components, since: problem.since },
    });
  });
  router.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument(version));
  });
  return router;
}
