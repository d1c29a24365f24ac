/**
 * The benchmarks' control of the fake WhatsApp network inside a measured process: the add-on (loaded
 * through bench/addon-preload.mjs) and the bare Baileys baseline (bench/bare-baileys.mjs) serve the
 * same loopback routes, so the harness drives both the same way.
 *
 *   POST /backlog {count, from, prefix}  contacts write `count` texts while the account is away: they
 *        are encrypted now, the connection is dropped, and the queue goes out at the next login
 *   GET  /backlog  → {count, seen, handed_over_ns, sent_ns, last_seen_ns}: how far the catch-up got
 *   POST /gc       → process.memoryUsage() after a full collection (needs --expose-gc)
 *   POST /profile/heap {path}  writes a heap snapshot there (for a missed goal; never committed)
 *
 * Times are CLOCK_MONOTONIC nanoseconds (process.hrtime.bigint), the clock the harness reads.
 */
import http from 'node:http';
import { writeHeapSnapshot } from 'node:v8';

import { OfflineQueue } from '../addon/dist/src/fakewa/offline-queue.js';

/** Which of the backlog's messages the measured side has finished with, and when the last one was. */
export class BacklogTracker {
  constructor() {
    this.wanted = new Set();
    this.count = 0;
    this.seen = 0;
    this.handedOverNs = null;
    this.sentNs = null;
    this.lastSeenNs = null;
  }

  arm(ids) {
    this.wanted = new Set(ids);
    this.count = ids.length;
    this.seen = 0;
    this.handedOverNs = null;
    this.sentNs = null;
    this.lastSeenNs = null;
  }

  /** The measured side is done with message `id` (journalled, or emitted by Baileys). */
  observe(id) {
    if (this.wanted.size === 0 || !this.wanted.delete(id)) return;
    this.seen += 1;
    this.lastSeenNs = process.hrtime.bigint();
  }

  handedOver({ startedNs, sentNs }) {
    this.handedOverNs = startedNs;
    this.sentNs = sentNs;
  }

  toJSON() {
    const ns = (value) => (value === null ? null : value.toString());
    return {
      count: this.count,
      seen: this.seen,
      handed_over_ns: ns(this.handedOverNs),
      sent_ns: ns(this.sentNs),
      last_seen_ns: ns(this.lastSeenNs),
    };
  }
}

function readBody(request) {
  return new Promise((resolve, reject) => {
    let text = '';
    request.setEncoding('utf8');
    request.on('data', (chunk) => (text += chunk));
    request.on('end', () => resolve(text ? JSON.parse(text) : {}));
    request.on('error', reject);
  });
}

function reply(response, status, body) {
  const data = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) });
  response.end(data);
}

/**
 * Serves the routes above for `simulated` (a SimulatedWhatsApp) on 127.0.0.1:`port`. `extra` may
 * answer more routes (the bare baseline's `incoming`); it returns false for routes it does not know.
 */
export function serveNetworkControl(simulated, { port, tracker, logger, extra }) {
  const queue = new OfflineQueue(simulated.network, simulated.contacts, logger);
  queue.onHandOver((handOver) => tracker.handedOver(handOver));
  const server = http.createServer(async (request, response) => {
    try {
      const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
      if (request.method === 'POST' && path === '/backlog') {
        const { count, from, prefix } = await readBody(request);
        const texts = Array.from({ length: count }, (_, n) => ({
          from,
          id: `${prefix}${String(n).padStart(6, '0')}`,
          text: `while away ${n}`,
        }));
        const started = process.hrtime.bigint();
        const ids = await queue.hold(texts);
        tracker.arm(ids);
        const preparedMs = Number(process.hrtime.bigint() - started) / 1e6;
        // The companion's network goes: it notices, reconnects and logs in to the waiting queue.
        await simulated.network.disconnect('connectionClosed');
        return reply(response, 200, { held: ids.length, prepared_ms: Math.round(preparedMs) });
      }
      if (request.method === 'GET' && path === '/backlog') return reply(response, 200, tracker.toJSON());
      if (request.method === 'POST' && path === '/gc') {
        globalThis.gc?.();
        return reply(response, 200, process.memoryUsage());
      }
      if (request.method === 'POST' && path === '/profile/heap') {
        const { path: file } = await readBody(request);
        return reply(response, 200, { written: writeHeapSnapshot(file) });
      }
      if (extra && (await extra(request, response, path, readBody, reply)) !== false) return undefined;
      return reply(response, 404, { error: 'not_found' });
    } catch (error) {
      return reply(response, 500, { error: String(error?.stack ?? error) });
    }
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}
