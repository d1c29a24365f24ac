import { route, type Route } from '../registry.js';
import { EventPage, EventsQuery } from '../schema/events.js';

/**
 * Long-poll over the journal: answers at once when there is something after `after`, otherwise
 * holds the request until an event arrives, `wait` runs out, the caller goes away or the service
 * shuts down.
 */
export const eventRoutes: readonly Route[] = [
  route({
    method: 'get',
    path: '/v1/events',
    summary: 'Long-poll the durable event journal.',
    perAccount: true,
    query: EventsQuery,
    responses: {
      200: { description: 'OK', schema: EventPage },
      429: { description: '`too_many_long_polls`: this address already has many waiting requests (see `Retry-After`).' },
      503: { description: '`too_many_long_polls` or `too_many_connections`: the add-on is at its limit in all (see `Retry-After`).' },
    },
    handler: async ({ account: { journal }, services, query: { after, limit, wait }, res }) => {
      // As the contract says: wait whenever no event after `after` exists (seqs lost to damage do not
      // count, or a reader just before them would spin). A reader ahead of the journal (its data was
      // reset) learns so from `last_seq < after` when the wait ends.
      if (wait > 0 && !journal.hasEventsAfter(after)) {
        const abandoned = new AbortController();
        const onClose = (): void => abandoned.abort();
        res.once('close', onClose);
        services.shutdown.addEventListener('abort', onClose, { once: true });
        try {
          await journal.waitForEvents(after, wait * 1000, abandoned.signal);
        } finally {
          res.off('close', onClose);
          services.shutdown.removeEventListener('abort', onClose);
        }
        if (res.writableEnded || res.destroyed) return;
      }
      const page = await journal.read(after, limit);
      res.json({ events: page.events, last_seq: page.lastSeq, oldest_seq: page.oldestSeq, gap: page.gap, journal_id: journal.id });
    },
  }),
];
