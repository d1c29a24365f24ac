/**
 * A stand-in for the Home Assistant Supervisor's API on loopback: just the two routes an add-on
 * uses for discovery, answering in the Supervisor's envelope (`{"result", "data"}`) and refusing
 * any other token, as the Supervisor does.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';

export interface DiscoveryPost {
  token: string | null;
  body: unknown;
}

export class SupervisorStandIn {
  readonly posts: DiscoveryPost[] = [];
  /** How many of the next `POST /discovery` calls answer 500 before one succeeds. */
  failNextPosts = 0;
  /** Whether `GET /addons/self/info` answers at all (an older Supervisor, or a refusal). */
  answerInfo = true;
  private waiters: Array<() => void> = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly token: string,
    readonly hostname: string,
  ) {}

  static async start(token: string, hostname = 'a0d7b954-whatsapp'): Promise<SupervisorStandIn> {
    let standIn: SupervisorStandIn | null = null;
    const server = createServer((req, res) => {
      void standIn!.handle(req).then(({ status, body }) => {
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    standIn = new SupervisorStandIn(server, `http://127.0.0.1:${port}`, token, hostname);
    return standIn;
  }

  /** Resolves once `count` discovery posts (accepted or not) have arrived. */
  async waitForPosts(count: number, timeoutMs = 10_000): Promise<DiscoveryPost[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.posts.length < count) {
      if (Date.now() > deadline) throw new Error(`expected ${count} discovery posts, got ${this.posts.length}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
    return this.posts;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private async handle(req: IncomingMessage): Promise<{ status: number; body: unknown }> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const header = req.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : null;
    if (token !== this.token) return { status: 401, body: { result: 'error', message: 'Invalid token' } };

    if (req.method === 'GET' && req.url === '/addons/self/info') {
      if (!this.answerInfo) return { status: 403, body: { result: 'error', message: 'forbidden' } };
      return { status: 200, body: { result: 'ok', data: { slug: 'a0d7b954_whatsapp', hostname: this.hostname, ip_address: '172.30.33.4' } } };
    }
    if (req.method === 'POST' && req.url === '/discovery') {
      let body: unknown = null;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return { status: 400, body: { result: 'error', message: 'not JSON' } };
      }
      this.posts.push({ token, body });
      for (const wake of this.waiters.splice(0)) wake();
      if (this.failNextPosts > 0) {
        this.failNextPosts--;
        return { status: 500, body: { result: 'error', message: 'Home Assistant is still starting' } };
      }
      return { status: 200, body: { result: 'ok', data: { uuid: randomUUID().replaceAll('-', '') } } };
    }
    return { status: 404, body: { result: 'error', message: 'not found' } };
  }
}
