/**
 * Drives the real, unmodified Baileys socket against the fake network: a companion with its own
 * credential directory, and helpers to wait for what it reports.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import makeWASocket, { Browsers, DEFAULT_CONNECTION_CONFIG, useMultiFileAuthState, type ConnectionState, type WASocket } from 'baileys';
import { pino, type Logger } from 'pino';

import { FakeWhatsAppNetwork } from '../../src/fakewa/network.js';
import { installLoopbackGuard, type LoopbackGuard } from '../helpers/loopback-only.js';

export interface Companion {
  sock: WASocket;
  /** Every connection.update, in order. */
  updates: Partial<ConnectionState>[];
  /** Resolves with the first update (past or future) that matches. */
  waitFor(match: (update: Partial<ConnectionState>) => boolean, what: string, timeoutMs?: number): Promise<Partial<ConnectionState>>;
  /** Resolves with the status code Baileys reports when the connection closes. */
  closed(timeoutMs?: number): Promise<number | undefined>;
  /** Ends the socket once Baileys has no query in flight (it would otherwise keep a 60 s timer alive). */
  end(): Promise<void>;
}

export interface CompanionOptions {
  browser?: [string, string, string];
  keepAliveIntervalMs?: number;
  logger?: Logger;
}

export async function openCompanion(url: string, authDir: string, options: CompanionOptions = {}): Promise<Companion> {
  const { state, saveCreds } = await useMultiFileAuthState(authDir);
  const sock = makeWASocket({
    auth: state,
    waWebSocketUrl: url,
    // Never let Baileys look up the current WhatsApp Web version on the internet.
    version: DEFAULT_CONNECTION_CONFIG.version,
    browser: options.browser ?? Browsers.ubuntu('Chrome'),
    logger: options.logger ?? pino({ level: 'silent' }),
    markOnlineOnConnect: false,
    keepAliveIntervalMs: options.keepAliveIntervalMs ?? 30_000,
    connectTimeoutMs: 10_000,
  });
  const updates: Partial<ConnectionState>[] = [];
  const waiters = new Set<() => void>();
  sock.ev.on('creds.update', () => void saveCreds());
  sock.ev.on('connection.update', (update) => {
    updates.push(update);
    for (const wake of [...waiters]) wake();
  });

  const waitFor: Companion['waitFor'] = (match, what, timeoutMs = 15_000) =>
    new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = updates.find(match);
        if (!found) return false;
        waiters.delete(wake);
        clearTimeout(timer);
        resolve(found);
        return true;
      };
      const wake = (): void => void check();
      const timer = setTimeout(() => {
        waiters.delete(wake);
        reject(new Error(`${what} did not happen within ${timeoutMs} ms; updates: ${JSON.stringify(updates.map(summary))}`));
      }, timeoutMs);
      if (!check()) waiters.add(wake);
    });

  return {
    sock,
    updates,
    waitFor,
    async closed(timeoutMs) {
      const update = await waitFor((candidate) => candidate.connection === 'close', 'connection close', timeoutMs);
      return statusCodeOf(update);
    },
    async end() {
      const deadline = Date.now() + 2_000;
      while (Date.now() < deadline && sock.ws.eventNames().some((name) => String(name).startsWith('TAG:'))) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await sock.end(undefined);
    },
  };
}

export function statusCodeOf(update: Partial<ConnectionState>): number | undefined {
  const error = update.lastDisconnect?.error as { output?: { statusCode?: number } } | undefined;
  return error?.output?.statusCode;
}

function summary(update: Partial<ConnectionState>): Record<string, unknown> {
  return { connection: update.connection, qr: update.qr ? 'qr' : undefined, status: statusCodeOf(update), error: update.lastDisconnect?.error?.message };
}

/**
 * A fake network in a temporary folder, for one group of tests, with the companions they open
 * against it. Outside connections are refused meanwhile; `stop` ends everything and then checks
 * that nothing tried to leave the machine.
 */
export class FakeNetworkRun {
  /** Companions to end when the run stops. */
  readonly open: Companion[] = [];

  private constructor(
    readonly dir: string,
    public network: FakeWhatsAppNetwork,
    private readonly guard: LoopbackGuard,
  ) {}

  static async start(dirPrefix: string): Promise<FakeNetworkRun> {
    const guard = installLoopbackGuard();
    const dir = await mkdtemp(join(tmpdir(), dirPrefix));
    return new FakeNetworkRun(dir, await startNetwork(dir), guard);
  }

  /** Stops the network and starts it again on the same data folder, as after a server restart. */
  async restartNetwork(): Promise<FakeWhatsAppNetwork> {
    await this.network.stop();
    this.network = await startNetwork(this.dir);
    return this.network;
  }

  async stop(): Promise<void> {
    for (const companion of this.open) await companion.end();
    await this.network.stop();
    await rm(this.dir, { recursive: true, force: true });
    this.guard.restore();
    this.guard.assertClean();
  }
}

function startNetwork(dir: string): Promise<FakeWhatsAppNetwork> {
  return FakeWhatsAppNetwork.start({ dataDir: join(dir, 'network'), logger: pino({ level: 'silent' }) });
}
