/**
 * The fake network's WebSocket endpoint on the loopback interface. It can also answer the next
 * upgrades with an HTTP error instead of a WebSocket, as WhatsApp's edge does when it is overloaded
 * or refuses a client.
 */
import { createServer, STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';

import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';

export const CHAT_PATH = '/ws/chat';

export type ConnectionHandler = (ws: WebSocket, rawSocket: Socket) => void;

export class WebSocketEndpoint {
  private failures: { status: number; remaining: number } | null = null;
  private refusedCount = 0;
  private readonly sockets = new Set<Duplex>();

  private constructor(
    private readonly http: Server,
    private readonly wss: WebSocketServer,
    readonly url: string,
  ) {}

  static async listen(onConnection: ConnectionHandler, logger: Logger): Promise<WebSocketEndpoint> {
    const http = createServer((_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain' }).end('WebSocket only');
    });
    const wss = new WebSocketServer({ noServer: true });
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = http.address() as AddressInfo;
    const endpoint = new WebSocketEndpoint(http, wss, `ws://127.0.0.1:${port}${CHAT_PATH}`);
    http.on('connection', (socket) => {
      endpoint.sockets.add(socket);
      socket.once('close', () => endpoint.sockets.delete(socket));
    });
    http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      socket.on('error', (error) => logger.debug({ err: error }, 'fake network: upgrade socket error'));
      if (endpoint.refuseUpgrade(socket)) return;
      wss.handleUpgrade(request, socket, head, (ws) => onConnection(ws, socket as Socket));
    });
    return endpoint;
  }

  /** The next `count` connection attempts get an HTTP `status` answer instead of a WebSocket. */
  failUpgrades(status: number, count: number): void {
    this.failures = count > 0 ? { status, remaining: count } : null;
  }

  /** How many upgrades were answered with an HTTP error so far. */
  get refusedUpgrades(): number {
    return this.refusedCount;
  }

  async close(): Promise<void> {
    for (const client of this.wss.clients) client.terminate();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  private refuseUpgrade(socket: Duplex): boolean {
    if (!this.failures) return false;
    const { status } = this.failures;
    if (--this.failures.remaining <= 0) this.failures = null;
    this.refusedCount++;
    const reason = STATUS_CODES[status] ?? 'Error';
    const location = status >= 300 && status < 400 ? `Location: ${this.url}\r\n` : '';
    socket.end(`HTTP/1.1 ${status} ${reason}\r\n${location}Content-Length: 0\r\nConnection: close\r\n\r\n`);
    return true;
  }
}
