/**
 * What one client, or all of them together, may hold of the API server: connections, long-polls,
 * and time to send headers before proving it has the key. Home Assistant's integration needs one
 * long-poll per account, and its HTTP client opens at most 100 connections to one host (a burst of
 * sends waiting in the pacer holds one each); the limits leave it room and stop a script (or an
 * attacker on the network) from holding the service's sockets and memory.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { errorBody } from './errors.js';

export interface LoadLimits {
  /** Open connections to the API, all clients together. */
  maxConnections: number;
  /** Open connections from one address. */
  maxConnectionsPerClient: number;
  /** Waiting `GET /v1/events?wait=…`, all clients together. */
  maxLongPolls: number;
  maxLongPollsPerClient: number;
  /** Time to send a request's headers. */
  headersTimeoutMs: number;
  /** Time a connection may stay silent before a request on it has passed the key check. */
  unauthenticatedIdleMs: number;
  /** Wrong keys in a row one address gets answered before it must pause (see KeyThrottle). */
  freeWrongKeys: number;
}

// Generous: Home Assistant holds one long-poll per account and up to 100 connections when many sends
// queue, and tools on the same machine share its address. The caps stop floods, not busy clients.
export const DEFAULT_LOAD_LIMITS: LoadLimits = {
  maxConnections: 1024,
  maxConnectionsPerClient: 512,
  maxLongPolls: 256,
  maxLongPollsPerClient: 128,
  headersTimeoutMs: 10_000,
  unauthenticatedIdleMs: 10_000,
  freeWrongKeys: 5,
};

/** Long-polls last up to 60 s; idle keep-alive sockets a little longer so clients are not cut mid-wait. */
const KEEP_ALIVE_TIMEOUT_MS = 65_000;
/** How often Node checks the header and request deadlines (its default, 30 s, would let them slip). */
const DEADLINE_CHECK_INTERVAL_MS = 1_000;
/** A connection over the limits gets this long to send the request it is refused on. */
const REFUSED_CONNECTION_GRACE_MS = 2_000;
const RETRY_AFTER_SECONDS = 5;

/** Connections that have carried a request with the right key: they may idle (long-polls do). */
const authenticated = new WeakSet<Socket>();
/** Connections accepted over a limit: their first request is answered with why, then they close. */
const overLimit = new WeakMap<Socket, 'process' | 'client'>();

export function clientAddress(socket: Socket): string {
  return socket.remoteAddress ?? 'unknown';
}

/** Called once a request's key checked out: the connection may now stay silent (long-polls). */
export function markAuthenticated(socket: Socket): void {
  if (authenticated.has(socket)) return;
  authenticated.add(socket);
  socket.setTimeout(0);
}

/** A per-address count that forgets addresses at zero, so it cannot grow without bound. */
class Counter {
  total = 0;
  private readonly perClient = new Map<string, number>();

  of(client: string): number {
    return this.perClient.get(client) ?? 0;
  }

  add(client: string): void {
    this.total += 1;
    this.perClient.set(client, this.of(client) + 1);
  }

  remove(client: string): void {
    this.total -= 1;
    const left = this.of(client) - 1;
    if (left > 0) this.perClient.set(client, left);
    else this.perClient.delete(client);
  }
}

/** The API's HTTP server with the limits applied; `listen` is left to the caller. */
export function createApiServer(app: RequestListener, limits: LoadLimits, logger: Logger): Server {
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
      connectionsCheckingInterval: DEADLINE_CHECK_INTERVAL_MS,
    },
    app,
  );
  const connections = new Counter();
  let refusedSinceLog = 0;
  server.on('connection', (socket: Socket) => {
    const client = clientAddress(socket);
    const over =
      connections.total >= limits.maxConnections ? 'process' : connections.of(client) >= limits.maxConnectionsPerClient ? 'client' : null;
    if (over) {
      overLimit.set(socket, over);
      socket.setTimeout(REFUSED_CONNECTION_GRACE_MS, () => socket.destroy());
      // One line per burst, not per connection: a flood must not flood the log too.
      if (refusedSinceLog++ === 0) {
        logger.warn({ limit: over, open: connections.total }, 'refusing API connections over the connection limit');
        setTimeout(() => (refusedSinceLog = 0), 60_000).unref();
      }
      return;
    }
    connections.add(client);
    socket.once('close', () => connections.remove(client));
    // Until a request proves the key, a silent connection is dropped soon.
    socket.setTimeout(limits.unauthenticatedIdleMs, () => {
      if (!authenticated.has(socket)) socket.destroy();
    });
  });
  return server;
}

export function listenApi(server: Server, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/** First in the app: a connection accepted over a limit gets the contract's error, then closes. */
export function refuseOverLimitConnections(): RequestHandler {
  return (req, res, next) => {
    const over = overLimit.get(req.socket);
    if (!over) {
      next();
      return;
    }
    res
      .status(over === 'process' ? 503 : 429)
      .set({ 'Retry-After': String(RETRY_AFTER_SECONDS), Connection: 'close' })
      .json(
        errorBody(
          'too_many_connections',
          over === 'process'
            ? 'The add-on has too many open connections right now. Try again in a few seconds.'
            : 'This address has too many open connections to the add-on. Close some (reuse one connection) and try again.',
        ),
      );
  };
}

/** `GET …/events` with a wait: at most so many at once, per address and in all. */
export function limitLongPolls(limits: LoadLimits): RequestHandler {
  const polls = new Counter();
  return (req, res, next) => {
    const waits = req.method === 'GET' && req.path.endsWith('/events') && typeof req.query.wait === 'string' && Number(req.query.wait) > 0;
    if (!waits) {
      next();
      return;
    }
    const client = clientAddress(req.socket);
    const over = polls.total >= limits.maxLongPolls ? 'process' : polls.of(client) >= limits.maxLongPollsPerClient ? 'client' : null;
    if (over) {
      res
        .status(over === 'process' ? 503 : 429)
        .set('Retry-After', String(RETRY_AFTER_SECONDS))
        .json(
          errorBody(
            'too_many_long_polls',
            over === 'process'
              ? 'The add-on is holding as many waiting event requests as it can. Try again in a few seconds.'
              : `This address already holds ${limits.maxLongPollsPerClient} waiting event requests. Wait for one to return before starting another.`,
          ),
        );
      return;
    }
    polls.add(client);
    res.once('close', () => polls.remove(client));
    next();
  };
}
