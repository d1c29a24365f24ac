/**
 * Service settings. Development reads environment variables; inside the add-on the Supervisor writes
 * the user's options to `/data/options.json`, which is read directly so the container runs the same
 * plain `node` command as the tests.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_LOAD_LIMITS, type LoadLimits } from './api/load-limits.js';

export type EngineKind = 'baileys' | 'simulator';
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

export interface Settings {
  dataDir: string;
  host: string;
  port: number;
  /** Empty: generate one and keep it in the data directory. */
  apiKey: string;
  /**
   * Where the key came from: the add-on option (typed by a user in Home Assistant, so held to a
   * minimum length) or WA_API_KEY (set by whoever runs the service outside Home Assistant).
   */
  apiKeySource: 'option' | 'environment' | null;
  engine: EngineKind;
  logLevel: LogLevel;
  journalMaxEvents: number;
  journalMaxAgeDays: number;
  /** Announce "online" to WhatsApp; off by default so the phone keeps showing notifications. */
  markOnline: boolean;
  /** Point the Baileys socket somewhere else (tests use a loopback WebSocket server). */
  waWebSocketUrl: string | null;
  /** Sustained sends per minute; 0 turns pacing off. */
  sendRatePerMinute: number;
  sendBurst: number;
  sendJitterMeanMs: number;
  sendJitterSigmaMs: number;
  /** Sends that may wait in the paced queue; more are refused with 429. */
  sendQueueLimit: number;
  /** How long a send waits for WhatsApp while reconnecting before failing. */
  sendWaitReconnectingSeconds: number;
  mediaCacheMaxMb: number;
  mediaUploadMaxMb: number;
  /** How many WhatsApp accounts (linked numbers) this add-on serves at most, `default` included. */
  maxAccounts: number;
  /** Port of the web page Home Assistant shows through ingress (`ingress_port` in config.yaml). */
  ingressPort: number;
  /**
   * Peer addresses whose requests to the web page need no API key: Home Assistant's ingress proxy
   * and loopback. `WA_INGRESS_TRUSTED` replaces the list (empty: trust nobody).
   */
  ingressTrusted: string[];
  /**
   * Names the web page answers to besides localhost and IP addresses (`WA_DASHBOARD_HOSTS`,
   * comma-separated); any other Host is refused, against DNS rebinding.
   */
  dashboardHosts: string[];
  /** Set inside the add-on: how to reach the Supervisor (for discovery). */
  supervisor: SupervisorAccess | null;
  /** What clients may hold of the API; development settings only (`WA_MAX_CONNECTIONS`, …). */
  loadLimits: LoadLimits;
}

export interface SupervisorAccess {
  url: string;
  token: string;
}

/** The add-on options the Supervisor writes; names as in `addon/config.yaml`. */
interface AddonOptions {
  log_level?: unknown;
  api_key?: unknown;
  journal_max_events?: unknown;
  journal_max_age_days?: unknown;
  mark_online?: unknown;
  send_rate_per_minute?: unknown;
  send_burst?: unknown;
  send_jitter_mean_ms?: unknown;
  send_jitter_sigma_ms?: unknown;
  send_queue_limit?: unknown;
  send_wait_reconnecting_seconds?: unknown;
  media_cache_max_mb?: unknown;
  media_upload_max_mb?: unknown;
  max_accounts?: unknown;
}

const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

/** The Supervisor's ingress proxy, plus loopback for development on one machine. */
export const DEFAULT_INGRESS_TRUSTED: readonly string[] = ['172.30.32.2', '127.0.0.1', '::1'];
export const DEFAULT_INGRESS_PORT = 8099;

export class SettingsError extends Error {}

function readOptionsFile(path: string): AddonOptions {
  if (!existsSync(path)) return {};
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return parsed !== null && typeof parsed === 'object' ? (parsed as AddonOptions) : {};
  } catch (err) {
    throw new SettingsError(`${path} is not valid JSON: ${(err as Error).message}`);
  }
}

function pickString(...values: unknown[]): string | undefined {
  for (const value of values) {
    if (typeof value === 'string' && value.trim() !== '') return value.trim();
  }
  return undefined;
}

/** The first value given, as a whole number within [min, max]; undefined when none is given. */
function pickInt(name: string, min: number, max: number, ...values: unknown[]): number | undefined {
  for (const value of values) {
    if (value === undefined || value === null || value === '') continue;
    const number = typeof value === 'number' ? value : Number(value);
    if (!Number.isInteger(number) || number < min || number > max) {
      throw new SettingsError(`${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
    }
    return number;
  }
  return undefined;
}

function pickBoolean(...values: unknown[]): boolean | undefined {
  for (const value of values) {
    if (typeof value === 'boolean') return value;
    if (typeof value === 'string' && value !== '') return ['1', 'true', 'yes', 'on'].includes(value.toLowerCase());
  }
  return undefined;
}

export function loadSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const dataDir = pickString(env.WA_DATA_DIR) ?? (existsSync('/data') ? '/data' : join(process.cwd(), 'data'));
  const options = readOptionsFile(pickString(env.WA_OPTIONS_FILE) ?? join(dataDir, 'options.json'));

  const engine = pickString(env.WA_ENGINE) ?? 'baileys';
  if (engine !== 'baileys' && engine !== 'simulator') {
    throw new SettingsError(`WA_ENGINE must be "baileys" or "simulator", got "${engine}"`);
  }
  const logLevel = (pickString(env.WA_LOG_LEVEL, options.log_level) ?? 'info').toLowerCase();
  if (!LOG_LEVELS.includes(logLevel as LogLevel)) {
    throw new SettingsError(`log level must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  }
  const port = pickInt('WA_PORT', 1, 65535, env.WA_PORT) ?? 8066;
  const ingressPort = pickInt('WA_INGRESS_PORT', 1, 65535, env.WA_INGRESS_PORT) ?? DEFAULT_INGRESS_PORT;
  if (ingressPort === port) throw new SettingsError(`WA_INGRESS_PORT must differ from WA_PORT (both are ${port})`);
  const supervisorToken = pickString(env.SUPERVISOR_TOKEN);

  return {
    dataDir,
    host: pickString(env.WA_HOST) ?? '0.0.0.0',
    port,
    apiKey: pickString(env.WA_API_KEY, options.api_key) ?? '',
    apiKeySource: pickString(env.WA_API_KEY) !== undefined ? 'environment' : pickString(options.api_key) !== undefined ? 'option' : null,
    engine,
    logLevel: logLevel as LogLevel,
    journalMaxEvents: pickInt('journal_max_events', 1, 10_000_000, env.WA_JOURNAL_MAX_EVENTS, options.journal_max_events) ?? 50_000,
    journalMaxAgeDays: pickInt('journal_max_age_days', 1, 3650, env.WA_JOURNAL_MAX_AGE_DAYS, options.journal_max_age_days) ?? 7,
    markOnline: pickBoolean(env.WA_MARK_ONLINE, options.mark_online) ?? false,
    sendRatePerMinute: pickInt('send_rate_per_minute', 0, 60, env.WA_SEND_RATE_PER_MINUTE, options.send_rate_per_minute) ?? 12,
    sendBurst: pickInt('send_burst', 1, 20, env.WA_SEND_BURST, options.send_burst) ?? 3,
    sendJitterMeanMs: pickInt('send_jitter_mean_ms', 0, 60_000, env.WA_SEND_JITTER_MEAN_MS, options.send_jitter_mean_ms) ?? 1_500,
    sendJitterSigmaMs: pickInt('send_jitter_sigma_ms', 0, 30_000, env.WA_SEND_JITTER_SIGMA_MS, options.send_jitter_sigma_ms) ?? 700,
    sendQueueLimit: pickInt('send_queue_limit', 1, 100_000, env.WA_SEND_QUEUE_LIMIT, options.send_queue_limit) ?? 500,
    sendWaitReconnectingSeconds:
      pickInt('send_wait_reconnecting_seconds', 0, 600, env.WA_SEND_WAIT_RECONNECTING_SECONDS, options.send_wait_reconnecting_seconds) ?? 60,
    mediaCacheMaxMb: pickInt('media_cache_max_mb', 10, 10_000, env.WA_MEDIA_CACHE_MAX_MB, options.media_cache_max_mb) ?? 200,
    mediaUploadMaxMb: pickInt('media_upload_max_mb', 1, 2_048, env.WA_MEDIA_UPLOAD_MAX_MB, options.media_upload_max_mb) ?? 64,
    maxAccounts: pickInt('max_accounts (WA_MAX_ACCOUNTS)', 1, 20, env.WA_MAX_ACCOUNTS, options.max_accounts) ?? 5,
    ingressPort,
    ingressTrusted:
      env.WA_INGRESS_TRUSTED === undefined
        ? [...DEFAULT_INGRESS_TRUSTED]
        : env.WA_INGRESS_TRUSTED.split(',').map((address) => address.trim()).filter((address) => address !== ''),
    dashboardHosts: (env.WA_DASHBOARD_HOSTS ?? '').split(',').map((name) => name.trim()).filter((name) => name !== ''),
    supervisor: supervisorToken
      ? { url: (pickString(env.SUPERVISOR_URL) ?? 'http://supervisor').replace(/\/+$/, ''), token: supervisorToken }
      : null,
    waWebSocketUrl: pickString(env.WA_WEBSOCKET_URL) ?? null,
    loadLimits: loadLimitsFrom(env),
  };
}

function loadLimitsFrom(env: NodeJS.ProcessEnv): LoadLimits {
  const d = DEFAULT_LOAD_LIMITS;
  return {
    maxConnections: pickInt('WA_MAX_CONNECTIONS', 1, 100_000, env.WA_MAX_CONNECTIONS) ?? d.maxConnections,
    maxConnectionsPerClient: pickInt('WA_MAX_CONNECTIONS_PER_CLIENT', 1, 100_000, env.WA_MAX_CONNECTIONS_PER_CLIENT) ?? d.maxConnectionsPerClient,
    maxLongPolls: pickInt('WA_MAX_LONG_POLLS', 1, 100_000, env.WA_MAX_LONG_POLLS) ?? d.maxLongPolls,
    maxLongPollsPerClient: pickInt('WA_MAX_LONG_POLLS_PER_CLIENT', 1, 100_000, env.WA_MAX_LONG_POLLS_PER_CLIENT) ?? d.maxLongPollsPerClient,
    headersTimeoutMs: d.headersTimeoutMs,
    unauthenticatedIdleMs: d.unauthenticatedIdleMs,
    // Test suites that probe wrong keys on purpose (the API fuzzer) raise this; nobody else should.
    freeWrongKeys: pickInt('WA_FREE_WRONG_KEYS', 1, Number.MAX_SAFE_INTEGER, env.WA_FREE_WRONG_KEYS) ?? d.freeWrongKeys,
  };
}
