/**
 * Load generator for the benchmarks: drives the add-on's API over keep-alive HTTP on loopback,
 * outside the Home Assistant process so it does not compete with it for the Python interpreter.
 *
 * Usage: node bench/addon-client.mjs '<json config>'; prints one JSON result line at the end.
 * Times are CLOCK_MONOTONIC nanoseconds (process.hrtime.bigint), the clock Python's
 * time.monotonic_ns() reads, so the harness can compare them with its own timestamps.
 *
 * Modes:
 *   steady: {url, key, count, rate, bridge?}  delivers `count` messages at `rate`/s to the simulator
 *           (and the same message to the polling bridge at the same instant); → {sent: [[id, t_ns]]}
 *   burst:  {url, key, count, concurrency, prefix}  delivers as fast as the add-on acknowledges;
 *           → {started_ns, finished_ns, acknowledged}
 *   send:   {url, key, count, warmup}  POST /v1/messages one at a time; → {latencies_ms}
 */
import http from 'node:http';

const config = JSON.parse(process.argv[2] ?? '{}');
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const SENDER = '+4917612345678';

function now() {
  return process.hrtime.bigint();
}

function post(baseUrl, path, body, key) {
  const url = new URL(path, baseUrl);
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(data),
          ...(key ? { authorization: `Bearer ${key}` } : {}),
        },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode, body: text }));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(data);
  });
}

async function mustPost(baseUrl, path, body, key) {
  const response = await post(baseUrl, path, body, key);
  if (response.status !== 200) throw new Error(`POST ${path} → ${response.status} ${response.body}`);
  return response;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function steady({ url, key, count, rate, bridge }) {
  const sent = [];
  const pending = [];
  const start = now();
  const intervalNs = BigInt(Math.round(1e9 / rate));
  for (let n = 0; n < count; n += 1) {
    // An absolute schedule, so a slow tick does not shift all later ones.
    const due = start + intervalNs * BigInt(n);
    const waitMs = Number(due - now()) / 1e6;
    if (waitMs > 0) await sleep(waitMs);
    const id = `STEADY${String(n).padStart(6, '0')}`;
    const at = now();
    sent.push([id, at.toString()]);
    pending.push(mustPost(url, '/v1/simulator/incoming', { from: SENDER, id, text: `steady ${n}` }, key));
    if (bridge) pending.push(mustPost(bridge, '/incoming', { id, text: `steady ${n}` }));
  }
  await Promise.all(pending);
  return { sent };
}

async function burst({ url, key, count, concurrency, prefix }) {
  let next = 0;
  let acknowledged = 0;
  const started = now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const n = next++;
        const id = `${prefix}${String(n).padStart(6, '0')}`;
        await mustPost(url, '/v1/simulator/incoming', { from: SENDER, id, text: `burst ${n}` }, key);
        acknowledged += 1;
      }
    }),
  );
  return { started_ns: started.toString(), finished_ns: now().toString(), acknowledged };
}

async function send({ url, key, count, warmup }) {
  const latencies = [];
  for (let n = 0; n < warmup + count; n += 1) {
    const started = now();
    await mustPost(url, '/v1/messages', { to: SENDER, type: 'text', text: `bench ${n}` }, key);
    if (n >= warmup) latencies.push(Number(now() - started) / 1e6);
  }
  return { latencies_ms: latencies };
}

const modes = { steady, burst, send };
const run = modes[config.mode];
if (!run) throw new Error(`unknown mode ${config.mode}`);
const result = await run(config);
agent.destroy();
process.stdout.write(`${JSON.stringify(result)}\n`);
