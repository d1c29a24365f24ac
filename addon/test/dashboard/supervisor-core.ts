/**
 * A stand-in for the Supervisor on loopback as the web page's admin check meets it: Home Assistant
 * Core's WebSocket API behind `/core/websocket` (auth with the add-on's Supervisor token, then
 * `config/auth/list`), plus the two discovery routes the service also calls when it sees a
 * Supervisor token. It records every command, so a test can prove the add-on asks for nothing else.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';

export interface CoreUser {
  id: string;
  username: string | null;
  name: string;
  is_owner: boolean;
  is_active: boolean;
  system_generated: boolean;
  group_ids: string[];
}

export function coreUser(name: string, role: 'admin' | 'user' | 'owner', overrides: Partial<CoreUser> = {}): CoreUser {
  return {
    id: randomUUID().replaceAll('-', ''),
    username: name.toLowerCase(),
    name,
    is_owner: role === 'owner',
    is_active: true,
    system_generated: false,
    group_ids: role === 'user' ? ['system-users'] : ['system-admin'],
    ...overrides,
  };
}

export class SupervisorCoreStandIn {
  users: CoreUser[] = [];
  /** Command types received after a successful auth, in order. */
  readonly commands: string[] = [];
  /** Tokens the add-on authenticated with (right or wrong). */
  readonly tokens: string[] = [];
  /** `silent`: accept the connection and never answer (a hung Core). */
  behaviour: 'normal' | 'silent' = 'normal';

  private constructor(
    private readonly server: Server,
    private readonly sockets: WebSocketServer,
    readonly url: string,
    readonly token: string,
  ) {}

  static async start(token: string): Promise<SupervisorCoreStandIn> {
    const server = createServer((req, res) => {
      const authorised = req.headers.authorization === `Bearer ${token}`;
      const reply = (status: number, body: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      };
      req.resume();
      if (!authorised) return reply(401, { result: 'error', message: 'Invalid token' });
      if (req.url === '/addons/self/info') return reply(200, { result: 'ok', data: { hostname: 'a0d7b954-whatsapp' } });
      if (req.url === '/discovery') return reply(200, { result: 'ok', data: { uuid: randomUUID().replaceAll('-', '') } });
      return reply(404, { result: 'error', message: 'not found' });
    });
    const sockets = new WebSocketServer({ noServer: true });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const standIn = new SupervisorCoreStandIn(server, sockets, `http://127.0.0.1:${port}`, token);
    server.on('upgrade', (req, socket, head) => {
      if (req.url !== '/core/websocket') {
        socket.destroy();
        return;
      }
      sockets.handleUpgrade(req, socket, head, (ws) => standIn.converse(ws));
    });
    return standIn;
  }

  async close(): Promise<void> {
    for (const client of this.sockets.clients) client.terminate();
    this.sockets.close();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  /** Core's side of the WebSocket API, as far as the add-on uses it. */
  private converse(ws: WebSocket): void {
    if (this.behaviour === 'silent') return;
    let authenticated = false;
    ws.send(JSON.stringify({ type: 'auth_required', ha_version: '2026.10.4' }));
    ws.on('message', (raw) => {
      let message: { type?: unknown; id?: unknown; access_token?: unknown };
      try {
        message = JSON.parse(String(raw)) as typeof message;
      } catch {
        ws.close();
        return;
      }
      if (!authenticated) {
        const token = typeof message.access_token === 'string' ? message.access_token : '';
        this.tokens.push(token);
        if (message.type !== 'auth' || token !== this.token) {
          ws.send(JSON.stringify({ type: 'auth_invalid', message: 'Invalid access' }));
          ws.close();
          return;
        }
        authenticated = true;
        ws.send(JSON.stringify({ type: 'auth_ok', ha_version: '2026.10.4' }));
        return;
      }
      this.commands.push(String(message.type));
      if (message.type === 'config/auth/list') {
        ws.send(JSON.stringify({ id: message.id, type: 'result', success: true, result: this.users }));
      } else {
        ws.send(JSON.stringify({ id: message.id, type: 'result', success: false, error: { code: 'unknown_command', message: 'Unknown command.' } }));
      }
    });
  }
}
