/**
 * `GET api/stream`: server-sent events that push the page's view whenever the session or the journal
 * changes, so the QR code and the state follow without reloading. Who is looking is asked again
 * before every push: a demoted administrator loses the QR code, a revoked sign-in loses the stream.
 */
import { EventEmitter } from 'node:events';
import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import type { Journal } from '../journal/journal.js';
import type { Viewer } from './access.js';
import type { DashboardView } from './view.js';

const KEEP_ALIVE_MS = 25_000;
/** Several changes in a row (state, then its journal entry) reach the page as one update. */
const PUSH_COALESCE_MS = 30;

export interface StreamDependencies {
  journal: Journal;
  /** Fires whenever the session changes; one listener however many pages are open. */
  sessionChanges: EventEmitter<{ change: [] }>;
  viewerOf: (req: Request) => Promise<Viewer | null>;
  render: (viewer: Viewer) => Promise<DashboardView>;
  logger: Logger;
  shutdown: AbortSignal;
}

export function viewStream(deps: StreamDependencies): RequestHandler {
  return async (req: Request, res: Response) => {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' });
    const ended = new AbortController();
    const end = (): void => ended.abort();
    res.once('close', end);
    deps.shutdown.addEventListener('abort', end, { once: true });

    let timer: NodeJS.Timeout | null = null;
    const send = async (): Promise<void> => {
      const viewer = await deps.viewerOf(req);
      if (viewer === null) {
        end();
        return;
      }
      const view = await deps.render(viewer);
      if (!ended.signal.aborted) res.write(`data: ${JSON.stringify(view)}\n\n`);
    };
    const push = (): void => {
      if (timer || ended.signal.aborted) return;
      timer = setTimeout(() => {
        timer = null;
        send().catch((err: unknown) => deps.logger.error({ err: (err as Error).message }, 'could not build the dashboard view'));
      }, PUSH_COALESCE_MS);
    };
    deps.sessionChanges.on('change', push);
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
      deps.sessionChanges.off('change', push);
      deps.shutdown.removeEventListener('abort', end);
      if (timer) clearTimeout(timer);
      res.end();
    }
  };
}
