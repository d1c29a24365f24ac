/**
 * Service settings. Development reads environment variables; inside the add-on the Supervisor writes
 * the user's options to `/data/options.json`, which is read directly so the container runs the same
 * plain `node` command as the tests.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export type EngineKind = 'baileys' | 'simulator';
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

export interface Settings {
  dataDir: string;
  host: string;
  port: number;
  /** Empty: generate one and keep it in the data directory. */
  apiKey: string;
  engine: EngineKind;
  logLevel: LogLevel;
  journalMaxEvents: number;
  journalMaxAgeDays: number;
  /** Announce "online" to WhatsApp; off by default so the phone keeps showing notifications. */
  markOnline: boolean;
  /** Point the Baileys socket somewhere else (tests use a loopback WebSocket server). */
  waWebSocketUrl: string | null;
}

/** The add-on options the Supervisor writes; names as in `addon/config.yaml`. */
interface AddonOptions {
  log_level?: unknown;
  api_key?: unknown;
  journal_max_events?: unknown;
  journal_max_age_days?: unknown;
  mark_online?: unknown;
}

const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

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

function pickPositiveInt(name: string, ...values: unknown[]): number | undefined {
  for (const value of values) {
    if (value === undefined || value === null || value === '') continue;
    const number = typeof value === 'number' ? value : Number(value);
    if (!Number.isInteger(number) || number <= 0) {
      throw new SettingsError(`${name} must be a positive whole number, got ${JSON.stringify(value)}`);
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
  const port = pickPositiveInt('WA_PORT', env.WA_PORT) ?? 8066;
  if (port > 65535) throw new SettingsError(`WA_PORT must be at most 65535, got ${port}`);

  return {
    dataDir,
    host: pickString(env.WA_HOST) ?? '0.0.0.0',
    port,
    apiKey: pickString(env.WA_API_KEY, options.api_key) ?? '',
    engine,
    logLevel: logLevel as LogLevel,
    journalMaxEvents: pickPositiveInt('journal_max_events', env.WA_JOURNAL_MAX_EVENTS, options.journal_max_events) ?? 50_000,
    journalMaxAgeDays: pickPositiveInt('journal_max_age_days', env.WA_JOURNAL_MAX_AGE_DAYS, options.journal_max_age_days) ?? 7,
    markOnline: pickBoolean(env.WA_MARK_ONLINE, options.mark_online) ?? false,
    waWebSocketUrl: pickString(env.WA_WEBSOCKET_URL) ?? null,
  };
}
