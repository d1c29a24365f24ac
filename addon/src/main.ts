/**
 * Entry point: `npm start`, in development and in the add-on container alike.
 */
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createServer, type RequestListener, type Server } from 'node:http';
import { apiKeyFilePath, MIN_API_KEY_LENGTH, resolveApiKey } from './api-key.js';
import { createApp } from './api/app.js';
import { AccountRegistry } from './accounts/registry.js';
import { createApiServer, listenApi } from './api/load-limits.js';
import { createDashboardApp } from './dashboard/app.js';
import { SupervisorDiscovery } from './discovery.js';
import { createLogger } from './logger.js';
import { simulatorTuning } from './simulator/tuning.js';
import { loadSettings, SettingsError } from './settings.js';
import { StorageHealth } from './util/storage-health.js';
import { StopSignals } from './util/stop-signals.js';
import { keepRunningOnStrayRejections } from './util/stray-rejections.js';

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
  keepRunningOnStrayRejections(logger);
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
  // Moves a single-account data folder into accounts/default first, then opens every account.
  const accounts = await AccountRegistry.open({
    settings,
    logger,
    storageHealth,
    simulatorTuning: simulatorTuning(process.env),
  });
  const shutdownController = new AbortController();
  const app = createApp({
    version,
    apiKey,
    accounts,
    simulator: settings.engine === 'simulator',
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
  accounts.start();
  logger.info(
    { host: settings.host, port: settings.port, ingressPort: settings.ingressPort, engine: settings.engine, accounts: accounts.list().length, version },
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
    // Every account closes its socket and flushes its stores at the same time.
    await accounts.stop();
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
