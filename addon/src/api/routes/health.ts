import { route, type Route } from '../registry.js';
import { Health } from '../schema/session.js';

/**
 * `/health` is `degraded` (still 200: the API works, and a watchdog restart would throw away the
 * events waiting in memory) while a store cannot write; `reason` says why, so Home Assistant can
 * tell the user to free space. Its `state` is the `default` account's.
 */
export const healthRoute: Route = route({
  method: 'get',
  path: '/health',
  summary: 'Liveness and connection state of the account `default`; no secrets.',
  public: true,
  perAccount: false,
  responses: { 200: { description: 'OK', schema: Health } },
  handler: ({ account, services, res }) => {
    const problem = services.storage?.problem() ?? null;
    const state = account.session.state;
    if (!problem) {
      res.json({ status: 'ok', version: services.version, state, reason: null });
      return;
    }
    res.json({
      status: 'degraded',
      version: services.version,
      state,
      reason: problem.reason,
      storage: { components: problem.components, since: problem.since },
    });
  },
});
