/**
 * Runs the real service (`dist/src/main.js`, what `npm start` runs) as a child process on a free
 * loopback port, for tests that go through real HTTP.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import type { OutboxEntry } from '../../src/fakewa/outbox.js';
import { LOOPBACK_VIOLATION_MARKER } from '../fixtures/loopback-preload.js';

const ADDON_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const MAIN = join(ADDON_ROOT, 'dist', 'src', 'main.js');
/** Loaded into every test service: it may reach nothing outside 127.0.0.0/8. */
export const LOOPBACK_PRELOAD = join(ADDON_ROOT, 'dist', 'test', 'fixtures', 'loopback-preload.js');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface ServiceOptions {
  dataDir?: string;
  apiKey?: string | null;
  engine?: 'simulator' | 'baileys';
  env?: Record<string, string>;
  port?: number;
}

export class RunningService {
  output = '';
  private exited: Promise<number | null>;

  constructor(
    readonly process: ChildProcess,
    readonly url: string,
    /** The web page served on the ingress port. */
    readonly dashboardUrl: string,
    readonly apiKey: string | null,
    readonly dataDir: string,
    private readonly ownsDataDir: boolean,
  ) {
    process.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    process.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) => process.once('exit', (code) => resolve(code)));
  }

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {}), ...extra };
  }

  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(`${this.url}${path}`, {
      method,
      headers: this.headers(body === undefined ? headers : { 'content-type': 'application/json', ...headers }),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  async json<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.request(method, path, body);
    const parsed = (await response.json()) as T;
    if (!response.ok) throw new Error(`${method} ${path} → ${response.status} ${JSON.stringify(parsed)}`);
    return parsed;
  }

  /** Poll until `check` passes or the time is up. */
  async waitFor<T>(what: string, check: () => Promise<T | undefined | null | false>, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const result = await check();
      if (result) return result;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n--- service output ---\n${this.output}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async waitForState(state: string, timeoutMs = 10_000): Promise<Record<string, unknown>> {
    return this.waitFor(`session state ${state}`, async () => {
      const session = await this.json('GET', '/v1/session');
      return session.state === state ? session : null;
    }, timeoutMs);
  }

  /** Graceful stop; resolves with the exit code. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill(signal);
    return this.exited;
  }

  async kill(): Promise<void> {
    await this.stop('SIGKILL');
  }

  async dispose(): Promise<void> {
    await this.stop('SIGKILL');
    if (this.ownsDataDir) rmSync(this.dataDir, { recursive: true, force: true });
    this.assertLoopbackOnly();
  }

  /** Throws when the service tried to reach a host outside the loopback interface. */
  assertLoopbackOnly(): void {
    const violations = this.output.split('\n').filter((line) => line.includes(LOOPBACK_VIOLATION_MARKER));
    if (violations.length > 0) throw new Error(`the service tried to leave the loopback interface:\n${violations.join('\n')}`);
  }
}

export async function startService(options: ServiceOptions = {}): Promise<RunningService> {
  const ownsDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'wa-service-'));
  const apiKey = options.apiKey === undefined ? randomBytes(16).toString('hex') : options.apiKey;
  const port = options.port ?? (await freePort());
  const ingressPort = await freePort();
  const child = spawn(process.execPath, ['--import', pathToFileURL(LOOPBACK_PRELOAD).href, MAIN], {
    cwd: ADDON_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      WA_DATA_DIR: dataDir,
      WA_HOST: '127.0.0.1',
      WA_PORT: String(port),
      WA_INGRESS_PORT: String(ingressPort),
      WA_ENGINE: options.engine ?? 'simulator',
      WA_LOG_LEVEL: 'debug',
      ...(apiKey ? { WA_API_KEY: apiKey } : {}),
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const service = new RunningService(child, `http://127.0.0.1:${port}`, `http://127.0.0.1:${ingressPort}`, apiKey, dataDir, ownsDataDir);
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`service exited with ${child.exitCode}\n${service.output}`);
    try {
      const response = await fetch(`${service.url}/health`);
      if (response.ok) return service;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await service.dispose();
      throw new Error(`service did not answer /health in time\n${service.output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** What a contact decrypted from the account, as `GET /v1/simulator/outbox` lists it. */
export type { OutboxEntry };

export async function outboxOf(service: RunningService): Promise<OutboxEntry[]> {
  return (await service.json<{ messages: OutboxEntry[] }>('GET', '/v1/simulator/outbox')).messages;
}

/**
 * The first outbox entry `match` accepts. Contacts decrypt what the account sends a moment after
 * the API answered, so an entry is waited for rather than expected at once.
 */
export async function waitForOutbox(
  service: RunningService,
  match: (entry: OutboxEntry) => boolean,
  what = 'an outbox entry',
  timeoutMs = 10_000,
): Promise<OutboxEntry> {
  return service.waitFor(what, async () => (await outboxOf(service)).find(match) ?? null, timeoutMs);
}

/**
 * Sends a text to a contact and waits until the contact has it: everything the account sent before
 * has been decrypted by then too, so an absence in the outbox afterwards is real.
 */
export async function outboxBarrier(service: RunningService, to = '+4917612345678'): Promise<{ id: string; entries: OutboxEntry[] }> {
  const { id } = await service.json<{ id: string }>('POST', '/v1/messages', { to, type: 'text', text: `barrier ${randomBytes(4).toString('hex')}` });
  await waitForOutbox(service, (entry) => entry.id === id, `barrier message ${id}`);
  return { id, entries: await outboxOf(service) };
}

/** Outbox entries that are messages (not the account's read receipts or presence). */
export function sentMessages(entries: OutboxEntry[]): OutboxEntry[] {
  return entries.filter((entry) => entry.type !== 'read' && entry.type !== 'presence');
}
