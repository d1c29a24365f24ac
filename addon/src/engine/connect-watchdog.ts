/**
 * Baileys never reports a close when WhatsApp's WebSocket endpoint answers the upgrade with an
 * HTTP error (a 403 from a proxy, a 503 during an outage, a 302): `ws` leaves such an answer to
 * whoever listens for it, Baileys listens without acting, and it has no timeout before the socket
 * opens. The watchdog ends such a socket, so the session sees a close and its backoff runs.
 */
import type { IncomingMessage } from 'node:http';

import { DisconnectReason, type WASocket } from 'baileys';
import type { Logger } from 'pino';

/** An error shaped like Baileys' own, so the close is reported with its status code. */
function connectError(message: string): Error {
  return Object.assign(new Error(message), { output: { statusCode: DisconnectReason.connectionLost } });
}

/** Watches one socket until it opens; returns a function that stops watching. */
export function watchConnect(socket: WASocket, timeoutMs: number, logger: Logger): () => void {
  const { ws } = socket;
  const fail = (message: string): void => {
    stop();
    logger.warn(message);
    void socket.end(connectError(message));
  };
  const onUnexpectedResponse = (_request: unknown, response: IncomingMessage): void => {
    response.resume();
    fail(`WhatsApp answered the connection with HTTP ${response.statusCode ?? 'error'}`);
  };
  const timer = setTimeout(() => {
    if (ws.isConnecting) fail(`WhatsApp did not accept the connection within ${Math.round(timeoutMs / 1000)} s`);
  }, timeoutMs);
  const stop = (): void => {
    clearTimeout(timer);
    ws.off('unexpected-response', onUnexpectedResponse);
    ws.off('open', stop);
    ws.off('close', stop);
  };
  ws.on('unexpected-response', onUnexpectedResponse);
  ws.on('open', stop);
  ws.on('close', stop);
  return stop;
}
