/**
 * A stand-in for Home Assistant's ingress proxy on loopback: the browser opens
 * `/api/hassio_ingress/<token>/…`, and the proxy forwards the rest of the path to the add-on's
 * ingress port from its own address, streaming the answer back (server-sent events included).
 * A page that used an absolute URL would step outside the prefix and get a 404 here.
 * Like the Supervisor, it names the Home Assistant user of the session (`user`) in
 * `X-Remote-User-*` headers and drops any such header the browser sent.
 */
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';

export interface IngressUser {
  id: string;
  username: string;
  displayName: string;
}

const USER_HEADERS = ['x-remote-user-id', 'x-remote-user-name', 'x-remote-user-display-name'];

export class IngressStandIn {
  /** The Home Assistant user whose ingress session the browser holds; null: none named. */
  user: IngressUser | null = null;

  private constructor(
    private readonly server: Server,
    /** The page's address as Home Assistant's frontend would open it. */
    readonly pageUrl: string,
  ) {}

  static async start(target: string, fromAddress: string, token = 'aGVsbG8tZnJvbS10aGUtdGVzdA'): Promise<IngressStandIn> {
    const prefix = `/api/hassio_ingress/${token}`;
    const upstream = new URL(target);
    let standIn: IngressStandIn | null = null;
    const userHeaders = (incoming: IncomingHttpHeaders): IncomingHttpHeaders => {
      const headers = { ...incoming };
      for (const name of USER_HEADERS) delete headers[name];
      const user = standIn?.user;
      if (user) Object.assign(headers, { 'x-remote-user-id': user.id, 'x-remote-user-name': user.username, 'x-remote-user-display-name': user.displayName });
      return headers;
    };
    const server = createServer((req, res) => {
      const path = req.url ?? '/';
      if (!path.startsWith(`${prefix}/`)) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('outside the ingress prefix');
        return;
      }
      const forwarded = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          localAddress: fromAddress,
          method: req.method,
          path: path.slice(prefix.length),
          headers: { ...userHeaders(req.headers), host: upstream.host, 'x-ingress-path': prefix },
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forwarded.on('error', () => res.destroy());
      req.pipe(forwarded);
      res.on('close', () => forwarded.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    standIn = new IngressStandIn(server, `http://127.0.0.1:${port}${prefix}/`);
    return standIn;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
