/**
 * `GET api/stream`: server-sent events that push the page's view whenever an account's session or
 * journal changes, or an account is added or deleted, so every QR code and state follows without
 * reloading. Who is looking is asked again before every push: a demoted administrator loses the QR
 * codes, a revoked sign-in loses the stream.
 */
import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import type { Viewer } from './access.js';
import type { AccountWatch } from './account-watch.js';
import type { DashboardView } from './view.js';

const KEEP_ALIVE_MS = 25_000;
/** Several changes in a row (state, then its journal entry) reach the page as one update. */
const PUSH_COALESCE_MS = 30;

export interface StreamDependencies {
  changes: AccountWatch;
  viewerOf: (req: Request) => Promise<Viewer | null>;
  render: (viewer: Viewer) => Promise<DashboardView>;
  logger: Logger;
  shutdown: AbortSignal;
}

export function viewStream(deps: StreamDependencies): RequestHandler {
  return (req: Request, res: Response) => {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' });
    let timer: NodeJS.Timeout | null = null;
    let ended = false;

    const send = async (): Promise<void> => {
      const viewer = await deps.viewerOf(req);
      if (viewer === null) {
        end();
        return;
      }
      const view = await deps.render(viewer);
      if (!ended) res.write(`data: ${JSON.stringify(view)}\n\n`);
    };
    const push = (): void => {
      if (timer || ended) return;
      timer = setTimeout(() => {
        timer = null;
        send().catch((err: unknown) => deps.logger.error({ err: (err as Error).message }, 'could not build the dashboard view'));
      }, PUSH_COALESCE_MS);
    };

    const unsubscribe = deps.changes.subscribe(push);
    const keepAlive = setInterval(() => res.write(': still here\n\n'), KEEP_ALIVE_MS);
    function end(): void {
      if (ended) return;
      ended = true;
      unsubscribe();
      clearInterval(keepAlive);
      if (timer) clearTimeout(timer);
      deps.shutdown.removeEventListener('abort', end);
      res.end();
    }
    res.once('close', end);
    deps.shutdown.addEventListener('abort', end, { once: true });
    if (deps.shutdown.aborted) end();
    else push();
  };
}
