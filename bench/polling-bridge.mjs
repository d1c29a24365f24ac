/**
 * The reference design of the other WhatsApp bridges for Home Assistant, as a stand-in: messages
 * land in an in-memory queue, and Home Assistant polls it every few seconds with a destructive
 * read (GET returns everything queued and empties the queue). Each polling client has its own
 * queue, as if each ran its own bridge, so several baselines can watch one stream side by side.
 *
 *   POST /incoming            {"id", ...}  → queued for every client
 *   GET  /messages?client=X   → {"messages": [...]}, and X's queue is empty afterwards
 *   GET  /stats               → {"polls": {client: count}}
 *
 * Listens on 127.0.0.1 (port from argv[2], 0 = any) and prints {"port"} once listening.
 */
import { createServer } from 'node:http';

const queues = new Map();
const polls = new Map();

function reply(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://bridge');
  if (req.method === 'POST' && url.pathname === '/incoming') {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const message = JSON.parse(body);
      for (const queue of queues.values()) queue.push(message);
      reply(res, 200, { id: message.id });
    });
    return;
  }
  if (req.method === 'GET' && url.pathname === '/messages') {
    const client = url.searchParams.get('client') ?? 'default';
    const messages = queues.get(client) ?? [];
    queues.set(client, []);
    polls.set(client, (polls.get(client) ?? 0) + 1);
    reply(res, 200, { messages });
    return;
  }
  if (req.method === 'POST' && url.pathname === '/clients') {
    // Registers a client before the stream starts, so its queue sees every message.
    const client = url.searchParams.get('client') ?? 'default';
    if (!queues.has(client)) queues.set(client, []);
    reply(res, 200, { client });
    return;
  }
  if (req.method === 'GET' && url.pathname === '/stats') {
    reply(res, 200, { polls: Object.fromEntries(polls) });
    return;
  }
  reply(res, 404, { error: 'no such route' });
});

server.keepAliveTimeout = 65_000;
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
