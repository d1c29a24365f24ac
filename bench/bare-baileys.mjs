/**
 * The floor the add-on is measured against: one bare Baileys socket (`makeWASocket`, credentials and
 * Signal keys in memory, no journal, no API) from the add-on's own copy of Baileys, connected to the
 * same fake WhatsApp network the add-on runs with WA_ENGINE=simulator, composed the same way
 * (SimulatedWhatsApp), in this same process, as in the add-on. So the two processes differ by exactly
 * what the add-on adds on top of Baileys.
 *
 * Usage: node bench/bare-baileys.mjs '{"dataDir": …, "port": …, "phone": "+15550000001"}'
 * It links itself (the phone scans its QR code), then prints one line `{"pid": …}` once connected.
 * Routes on 127.0.0.1:port: those of bench/network-control.mjs, plus
 *   POST /v1/simulator/incoming {from, id, text}  answered once Baileys emitted it as messages.upsert
 *   GET  /health → {connected}
 */
import makeWASocket, { DisconnectReason, initAuthCreds } from '../addon/node_modules/baileys/lib/index.js';
import pinoModule from '../addon/node_modules/pino/pino.js';

import { companionBrowser } from '../addon/dist/src/engine/pairing.js';
import { SimulatedWhatsApp } from '../addon/dist/src/simulator/simulated-whatsapp.js';
import { BacklogTracker, serveNetworkControl } from './network-control.mjs';

const config = JSON.parse(process.argv[2] ?? '{}');
const pino = pinoModule.pino ?? pinoModule;
// Warnings only, to stderr: the add-on's Baileys logs at warn too, and stdout is the ready line.
const logger = pino({ level: process.env.BARE_LOG_LEVEL ?? 'warn' }, pino.destination(2));
const UPSERT_WITHIN_MS = 20_000;

/** Credentials and Signal keys held in memory only, the smallest store Baileys accepts. */
function memoryAuth() {
  const creds = initAuthCreds();
  const stored = {};
  const keys = {
    async get(type, ids) {
      const found = {};
      for (const id of ids) {
        const value = stored[type]?.[id];
        if (value !== undefined) found[id] = value;
      }
      return found;
    },
    async set(data) {
      for (const [type, values] of Object.entries(data)) {
        stored[type] ??= {};
        for (const [id, value] of Object.entries(values)) {
          if (value === null || value === undefined) delete stored[type][id];
          else stored[type][id] = value;
        }
      }
    },
  };
  return { creds, keys };
}

const simulated = await SimulatedWhatsApp.start({
  dataDir: config.dataDir,
  logger: logger.child({ module: 'simulator' }),
  qrCodes: 6,
  readAfterMs: 1_000,
});
const tracker = new BacklogTracker();
const auth = memoryAuth();
const transport = simulated.transport;
const upsertWaiters = new Map();
let socket = null;
let connected = false;
let announced = false;

function connect() {
  socket = makeWASocket({
    auth,
    logger: logger.child({ component: 'baileys' }),
    browser: companionBrowser(),
    markOnlineOnConnect: false,
    syncFullHistory: false,
    waWebSocketUrl: transport.waWebSocketUrl,
    fetchAgent: transport.mediaUploadAgent,
    options: { dispatcher: transport.mediaDispatcher },
  });
  const current = socket;
  current.ev.on('creds.update', (update) => Object.assign(auth.creds, update));
  current.ev.on('messages.upsert', ({ messages }) => {
    for (const message of messages) {
      const id = message.key?.id;
      if (!id) continue;
      tracker.observe(id);
      upsertWaiters.get(id)?.();
    }
  });
  current.ev.on('connection.update', ({ qr, connection, lastDisconnect }) => {
    if (qr) {
      simulated.network.scan(qr, config.phone.replace(/\D/g, ''), 'Bench').catch((error) => logger.error({ err: error }, 'scan failed'));
    }
    if (connection === 'open') {
      connected = true;
      if (!announced) {
        announced = true;
        process.stdout.write(`${JSON.stringify({ pid: process.pid })}\n`);
      }
    }
    if (connection === 'close' && current === socket) {
      connected = false;
      const status = lastDisconnect?.error?.output?.statusCode;
      if (status === DisconnectReason.loggedOut) process.exit(3);
      // After pairing (515) and whenever the network drops it: straight back, with the same keys.
      setImmediate(connect);
    }
  });
}

function upserted(id) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      upsertWaiters.delete(id);
      reject(new Error(`${id} was not emitted within ${UPSERT_WITHIN_MS} ms`));
    }, UPSERT_WITHIN_MS);
    upsertWaiters.set(id, () => {
      clearTimeout(timer);
      upsertWaiters.delete(id);
      resolve();
    });
  });
}

async function incomingRoutes(request, response, path, readBody, reply) {
  if (request.method === 'GET' && path === '/health') return reply(response, 200, { connected });
  if (request.method === 'POST' && path === '/v1/simulator/incoming') {
    const { from, id, text } = await readBody(request);
    if (!connected) return reply(response, 409, { error: 'not_connected' });
    const emitted = upserted(id);
    await simulated.contacts.deliver({ from, id, text });
    await emitted;
    return reply(response, 200, { id });
  }
  return false;
}

// A plain exit, so that `--cpu-prof` writes its profile when the harness ends the process.
process.on('SIGTERM', () => process.exit(0));

await serveNetworkControl(simulated, { port: config.port, tracker, logger, extra: incomingRoutes });
connect();
