/**
 * Entry point: `npm start`, in development and in the add-on container alike.
 */
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createServer, type RequestListener, type Server } from 'node:http';
import { join } from 'node:path';
import { apiKeyFilePath, MIN_API_KEY_LENGTH, resolveApiKey } from './api-key.js';
import { createApp } from './api/app.js';
import { singleAccount } from './accounts/single-account.js';
import { createApiServer, listenApi } from './api/load-limits.js';
import { createDashboardApp } from './dashboard/app.js';
import { SupervisorDiscovery } from './discovery.js';
import { openAuthStore } from './auth/auth-store.js';
import { openMessageStore } from './auth/message-store.js';
import { BaileysEngine } from './engine/baileys.js';
import type { Engine, SentMessage } from './engine/types.js';
import { Journal } from './journal/journal.js';
import { MediaStore } from './media/media-store.js';
import { IdempotencyStore } from './messaging/idempotency.js';
import { Pacer } from './messaging/pacer.js';
import { RecipientResolver } from './messaging/recipients.js';
import { Sender } from './messaging/sender.js';
import { createLogger } from './logger.js';
import { Session } from './session/session.js';
import { SimulatedWhatsApp } from './simulator/simulated-whatsapp.js';
import { loadSettings, SettingsError } from './settings.js';
import { StorageHealth } from './util/storage-health.js';
import { StopSignals } from './util/stop-signals.js';

/**
 * How long a stop may take before the process gives up flushing and exits 1. In the container the
 * stop signal goes straight to this process (S6_CMD_RECEIVE_SIGNALS in the Dockerfile) and Docker
 * waits the add-on's `timeout` (config.yaml) before SIGKILL, so this must stay well below that.
 */
const SHUTDOWN_DEADLINE_MS = 4_500;

function packageVersion(): string {
  const path = new URL('../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
}

/** Test knobs of the simulator (never user options): QR lifetime and count, how soon contacts read. */
function simulatorTuning(env: NodeJS.ProcessEnv): { qrTimeoutMs: number | undefined; qrCodes: number; readAfterMs: number | null } {
  const number = (value: string | undefined): number | undefined => {
    const parsed = Number(value);
    return value !== undefined && Number.isFinite(parsed) && parsed >= 0 ? parsed : undefined;
  };
  return {
    qrTimeoutMs: number(env.WA_SIMULATOR_QR_TTL_MS) || undefined,
    qrCodes: number(env.WA_SIMULATOR_QR_CODES) || 6,
    readAfterMs: number(env.WA_SIMULATOR_READ_AFTER_MS) ?? 1_000,
  };
}

function listen(app: RequestListener, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer(app);
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

async function main(): Promise<void> {
  // Listening before anything else: a stop signal during startup must not kill the process mid-write.
  const stopSignals = new StopSignals();
  let settings;
  try {
    settings = loadSettings();
  } catch (err) {
    if (err instanceof SettingsError) {
      process.stderr.write(`Invalid settings: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(settings.logLevel);
  stopSignals.useLogger(logger);
  const version = packageVersion();
  await mkdir(settings.dataDir, { recursive: true });

  const { key: apiKey, generated, refusedTooShort } = await resolveApiKey(
    settings.apiKey,
    settings.dataDir,
    settings.apiKeySource !== 'environment',
  );
  if (settings.apiKeySource === 'environment' && apiKey.length < MIN_API_KEY_LENGTH) {
    logger.warn(
      { minLength: MIN_API_KEY_LENGTH },
      `WA_API_KEY is shorter than ${MIN_API_KEY_LENGTH} characters and easy to guess; use a longer one.`,
    );
  }
  if (refusedTooShort) {
    logger.error(
      { minLength: MIN_API_KEY_LENGTH, file: apiKeyFilePath(settings.dataDir) },
      `the api_key option is shorter than ${MIN_API_KEY_LENGTH} characters and is NOT used: the app uses its own key from the file instead (Home Assistant's integration receives it automatically). Set a key of at least ${MIN_API_KEY_LENGTH} characters, or leave the option empty.`,
    );
  }
  if (generated) logger.info({ file: apiKeyFilePath(settings.dataDir) }, 'generated a new API key and stored it');

  const storageHealth = new StorageHealth();
  const journal = await Journal.open(
    join(settings.dataDir, 'journal'),
    { maxEvents: settings.journalMaxEvents, maxAgeMs: settings.journalMaxAgeDays * 86_400_000, storageHealth },
    logger.child({ module: 'journal' }),
  );
  const auth = await openAuthStore(join(settings.dataDir, 'auth'), logger.child({ module: 'auth' }), { storageHealth });
  const messages = await openMessageStore(join(settings.dataDir, 'messages'), {}, logger.child({ module: 'messages' }));

  const tuning = simulatorTuning(process.env);
  const simulator =
    settings.engine === 'simulator'
      ? await SimulatedWhatsApp.start({
          dataDir: join(settings.dataDir, 'simulator'),
          logger: logger.child({ module: 'simulator' }),
          qrCodes: tuning.qrCodes,
          readAfterMs: tuning.readAfterMs,
        })
      : null;
  const engine: Engine = new BaileysEngine({
    auth,
    messages,
    logger: logger.child({ module: 'baileys' }),
    markOnline: settings.markOnline,
    // Only the real network is asked for WhatsApp Web's current version.
    fetchLatestVersion: simulator === null && settings.waWebSocketUrl === null,
    ...(simulator
      ? {
          waWebSocketUrl: simulator.transport.waWebSocketUrl,
          mediaTransport: { uploadAgent: simulator.transport.mediaUploadAgent, dispatcher: simulator.transport.mediaDispatcher },
          qrTimeoutMs: tuning.qrTimeoutMs,
        }
      : { waWebSocketUrl: settings.waWebSocketUrl ?? undefined }),
  });

  const session = new Session({
    engine,
    append: async (event) => {
      const journalled = await journal.append(event);
      simulator?.journalled(journalled);
      return journalled;
    },
    logger: logger.child({ module: 'session' }),
  });
  if (auth.recovery === 'lost') {
    session.noteStartupProblem('badSession', 'The stored WhatsApp credentials were damaged and could not be recovered. Link the phone again; the damaged files were kept in the add-on\'s data folder.');
  }
  simulator?.attach(session);
  const media = await MediaStore.open(
    join(settings.dataDir, 'media'),
    { maxUploadBytes: settings.mediaUploadMaxMb * 1024 * 1024, cacheQuotaBytes: settings.mediaCacheMaxMb * 1024 * 1024 },
    logger.child({ module: 'media' }),
  );
  const idempotency = await IdempotencyStore.open<SentMessage>(join(settings.dataDir, 'idempotency'), logger.child({ module: 'idempotency' }), {
    storageHealth,
    legacyFile: join(settings.dataDir, 'idempotency.json'),
  });
  const sender = new Sender({
    session,
    media,
    pacer: new Pacer({
      ratePerMinute: settings.sendRatePerMinute,
      burst: settings.sendBurst,
      jitterMeanMs: settings.sendJitterMeanMs,
      jitterSigmaMs: settings.sendJitterSigmaMs,
      maxQueue: settings.sendQueueLimit,
    }),
    recipients: new RecipientResolver(),
    idempotency,
    sendWaitMs: settings.sendWaitReconnectingSeconds * 1000,
    logger: logger.child({ module: 'sender' }),
  });
  const shutdownController = new AbortController();
  const accounts = singleAccount({ session, journal, sender, media, simulator });
  void accounts;
  const app = createApp({
    version,
    apiKey,
    session,
    journal,
    simulator,
    sender,
    media,
    logger: logger.child({ module: 'api' }),
    shutdown: shutdownController.signal,
    storage: storageHealth,
    limits: settings.loadLimits,
  });

  const server = await listenApi(createApiServer(app, settings.loadLimits, logger.child({ module: 'api' })), settings.port, settings.host);
  // The web page Home Assistant shows through ingress; also the way to link the phone without the integration.
  // It is a convenience: when its port is taken (several copies on one machine), the API still runs.
  const dashboardServer = await listen(
    createDashboardApp({
      version,
      apiKey,
      trusted: settings.ingressTrusted,
      allowedHosts: settings.dashboardHosts,
      supervisor: settings.supervisor,
      accounts,
      logger: logger.child({ module: 'dashboard' }),
      shutdown: shutdownController.signal,
    }),
    settings.ingressPort,
    settings.host,
  ).catch((err: NodeJS.ErrnoException) => {
    logger.warn(
      { port: settings.ingressPort, code: err.code },
      'the add-on web page could not start (its port is in use?); set WA_INGRESS_PORT to another port to get it back. The API is not affected.',
    );
    return null;
  });
  session.start();
  logger.info(
    { host: settings.host, port: settings.port, ingressPort: settings.ingressPort, engine: engine.kind, version },
    'WhatsApp add-on service listening',
  );
  const discovery = settings.supervisor ? new SupervisorDiscovery(settings.supervisor, settings.port, logger.child({ module: 'discovery' })) : null;
  void discovery?.announce(apiKey);

  // StopSignals calls this once, however many signals arrive.
  const shutdown = async (signal: NodeJS.Signals): Promise<void> => {
    logger.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      logger.error('shutdown took too long; exiting anyway');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    shutdownController.abort();
    discovery?.stop();
    const servers = dashboardServer ? [server, dashboardServer] : [server];
    for (const listening of servers) {
      listening.close();
      listening.closeIdleConnections();
    }
    await session.stop();
    await Promise.allSettled([journal.close(), auth.flush(), messages.flush(), idempotency.flush(), simulator?.stop()]);
    for (const listening of servers) listening.closeAllConnections();
    clearTimeout(deadline);
    logger.info('stopped');
    process.exit(0);
  };
  stopSignals.onStop(shutdown);
}

main().catch((err: unknown) => {
  process.stderr.write(`The WhatsApp add-on service could not start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
