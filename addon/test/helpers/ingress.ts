/**
 * A stand-in for Home Assistant's ingress proxy on loopback: the browser opens
 * `/api/hassio_ingress/<token>/…`, and the proxy forwards the rest of the path to the add-on's
 * ingress port from its own address, streaming the answer back (server-sent events included).
 * A page that used an absolute URL would step outside the prefix and get a 404 here.
 */
import { createServer, request, type Server } from 'node:http';

export class IngressStandIn {
  private constructor(
    private readonly server: Server,
    /** The page's address as Home Assistant's frontend would open it. */
    readonly pageUrl: string,
  ) {}

  static async start(target: string, fromAddress: string, token = 'aGVsbG8tZnJvbS10aGUtdGVzdA'): Promise<IngressStandIn> {
    const prefix = `/api/hassio_ingress/${token}`;
    const upstream = new URL(target);
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
          headers: { ...req.headers, host: upstream.host, 'x-ingress-path': prefix },
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
    return new IngressStandIn(server, `http://127.0.0.1:${port}${prefix}/`);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
