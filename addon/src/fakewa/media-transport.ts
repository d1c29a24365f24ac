/**
 * How Baileys reaches the fake media host without DNS, TLS or the internet.
 *
 * Baileys names WhatsApp's media hosts in `https:` URLs. Both helpers here open a plain TCP
 * connection to the loopback media host instead of resolving the name and starting TLS, and refuse
 * every host the media host does not serve, so a stray URL fails instead of leaving the machine.
 * - uploads go through Node's `https.request` with the socket config's `fetchAgent`:
 *   pass `createMediaUploadAgent(host)` there;
 * - downloads go through the global `fetch` with a `dispatcher`: pass `createMediaDispatcher(host)`
 *   as `options.dispatcher`, both in the socket config (history and app-state blobs) and in
 *   `downloadMediaMessage(msg, 'buffer', { options: { dispatcher } }, ctx)`.
 */
import { Agent as HttpsAgent, type AgentOptions } from 'node:https';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';

import { Agent as DispatcherAgent, type Dispatcher } from 'undici';

/** What the transport needs from the media host. */
export interface MediaRoute {
  /** The loopback port the media host listens on. */
  readonly port: number;
  servesHostname(hostname: string): boolean;
}

export class MediaHostRefusedError extends Error {
  override readonly name = 'MediaHostRefusedError';
  constructor(readonly hostname: string) {
    super(`the fake WhatsApp network serves no media host named ${JSON.stringify(hostname)}`);
  }
}

/** Both halves, for one socket or one process: the engine passes them as shown at the top. */
export interface MediaTransport {
  /** `options.dispatcher` for downloads (socket config and downloadMediaMessage). */
  readonly dispatcher: Dispatcher;
  /** `fetchAgent` in the socket config, for uploads. */
  readonly uploadAgent: HttpsAgent;
  close(): Promise<void>;
}

export function createMediaTransport(route: MediaRoute): MediaTransport {
  const dispatcher = createMediaDispatcher(route);
  const uploadAgent = createMediaUploadAgent(route);
  return {
    dispatcher,
    uploadAgent,
    async close() {
      uploadAgent.destroy();
      await dispatcher.close();
    },
  };
}

/** An undici dispatcher for `fetch` that sends WhatsApp media hosts to the loopback media host. */
export function createMediaDispatcher(route: MediaRoute): Dispatcher {
  return new DispatcherAgent({
    connect: (options, callback) => {
      if (!route.servesHostname(options.hostname)) {
        callback(new MediaHostRefusedError(options.hostname), null);
        return;
      }
      const socket = connectToLoopback(route.port);
      socket.once('connect', () => callback(null, socket));
      socket.once('error', (error) => callback(error, null));
    },
  });
}

/** An `https.Agent` for Baileys' uploads (`fetchAgent`) that does the same for `https.request`. */
export function createMediaUploadAgent(route: MediaRoute): HttpsAgent {
  return new LoopbackMediaAgent(route);
}

class LoopbackMediaAgent extends HttpsAgent {
  constructor(
    private readonly route: MediaRoute,
    options: AgentOptions = {},
  ) {
    super(options);
  }

  // The request still says https (Baileys' URLs do); the socket underneath is plain loopback TCP.
  override createConnection(
    options: { host?: string | null; hostname?: string | null },
    callback: (error: Error | null, socket?: Duplex) => void,
  ): Duplex | undefined {
    const hostname = options.hostname ?? options.host ?? '';
    if (!this.route.servesHostname(hostname)) {
      callback(new MediaHostRefusedError(hostname));
      return undefined;
    }
    return connectToLoopback(this.route.port);
  }
}

function connectToLoopback(port: number): Socket {
  return connect({ host: '127.0.0.1', port });
}
