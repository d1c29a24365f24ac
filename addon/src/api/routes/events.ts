import { Router } from 'express';
import type { Journal } from '../../journal/journal.js';
import { onlyQuery, queryInt } from '../validate.js';

export const MAX_WAIT_SECONDS = 60;
export const MAX_PAGE = 1000;

/**
 * Long-poll over the journal: answers at once when there is something after `after`, otherwise
 * holds the request until an event arrives, `wait` runs out, the caller goes away or the service
 * shuts down.
 */
export function eventRoutes(journal: Journal, shutdown: AbortSignal): Router {
  const router = Router();

  router.get('/v1/events', async (req, res) => {
    onlyQuery(req.query, ['after', 'limit', 'wait']);
    const after = queryInt(req.query, 'after', 0, 0, Number.MAX_SAFE_INTEGER);
    const limit = queryInt(req.query, 'limit', 100, 1, MAX_PAGE);
    const wait = queryInt(req.query, 'wait', 0, 0, MAX_WAIT_SECONDS);

    // As the contract says: wait whenever no event after `after` exists (seqs lost to damage do not
    // count, or a reader just before them would spin). A reader ahead of the journal (its data was
    // reset) learns so from `last_seq < after` when the wait ends.
    if (wait > 0 && !journal.hasEventsAfter(after)) {
      const abandoned = new AbortController();
      const onClose = (): void => abandoned.abort();
      const onShutdown = (): void => abandoned.abort();
      res.once('close', onClose);
      shutdown.addEventListener('abort', onShutdown, { once: true });
      try {
        await journal.waitForEvents(after, wait * 1000, abandoned.signal);
      } finally {
        res.off('close', onClose);
        shutdown.removeEventListener('abort', onShutdown);
      }
      if (res.writableEnded || res.destroyed) return;
    }
    const page = await journal.read(after, limit);
    res.json({ events: page.events, last_seq: page.lastSeq, oldest_seq: page.oldestSeq, gap: page.gap, journal_id: journal.id });
  });

  return router;
}
