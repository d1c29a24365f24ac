/**
 * The stop signal, as the container and a developer's terminal deliver it: once, twice in a row
 * (a supervisor repeating itself, Ctrl-C reaching the whole process group), to `node` directly and
 * through `npm start`. Every stop must exit 0 with the journal, the credentials and the idempotency
 * records on disk, which a second start on the same data directory proves.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';

import { freePort, LOOPBACK_PRELOAD, MAIN, RunningService, startService } from '../helpers/service.js';

const ADDON_ROOT = dirname(dirname(dirname(MAIN)));
const CONTACT = '+4917612345678';

interface Traffic {
  incomingId: string;
  sentId: string;
  idempotencyKey: string;
}

/** Link the account, receive a message and make a keyed send: something in every store. */
async function makeTraffic(service: RunningService): Promise<Traffic> {
  await service.waitForState('pairing');
  await service.json('POST', '/v1/simulator/scan', {});
  await service.waitForState('connected');
  const { id: incomingId } = await service.json<{ id: string }>('POST', '/v1/simulator/incoming', { from: CONTACT, text: 'keep me' });
  await service.waitFor('the incoming message in the journal', async () => {
    const page = await service.json<{ events: Array<{ data: { id?: string } }> }>('GET', '/v1/events?after=0&limit=1000');
    return page.events.some((event) => event.data.id === incomingId);
  });
  const idempotencyKey = `stop-${Date.now()}`;
  const response = await service.request('POST', '/v1/messages', { to: CONTACT, type: 'text', text: 'sent once' }, { 'idempotency-key': idempotencyKey });
  assert.equal(response.status, 200);
  const { id: sentId } = (await response.json()) as { id: string };
  return { incomingId, sentId, idempotencyKey };
}

/** A second start on the same data directory finds everything the first one acknowledged. */
async function assertFlushed(dataDir: string, apiKey: string, traffic: Traffic): Promise<void> {
  const again = await startService({ dataDir, apiKey });
  try {
    const seen = new Set<string>();
    await again.waitFor('connected again', async () => {
      const { state } = await again.json<{ state: string }>('GET', '/v1/session');
      seen.add(state);
      return state === 'connected';
    }, 20_000);
    assert.equal(seen.has('pairing'), false, 'the credentials were on disk: no new pairing');
    const page = await again.json<{ events: Array<{ data: { id?: string } }> }>('GET', '/v1/events?after=0&limit=1000');
    assert.ok(page.events.some((event) => event.data.id === traffic.incomingId), 'the journal kept the incoming message');
    const retry = await again.request('POST', '/v1/messages', { to: CONTACT, type: 'text', text: 'sent once' }, { 'idempotency-key': traffic.idempotencyKey });
    assert.equal(retry.status, 200);
    assert.equal(((await retry.json()) as { id: string }).id, traffic.sentId, 'the idempotency record answered: no second send');
  } finally {
    await again.dispose();
  }
}

async function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return { code: child.exitCode, signal: child.signalCode };
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/**
 * Sends a second SIGTERM the moment the service logs that it is shutting down: the stop takes only
 * tens of milliseconds, so polling the log would miss it.
 */
function repeatWhenShutdownBegins(service: RunningService): void {
  const onData = (chunk: Buffer): void => {
    if (!chunk.toString().includes('"shutting down"')) return;
    service.process.stdout?.off('data', onData);
    service.process.kill('SIGTERM');
  };
  service.process.stdout?.on('data', onData);
}

describe('stop signal to node itself', () => {
  for (const [name, repeat] of [
    ['once', 'none'],
    ['twice in a row', 'immediately'],
    ['again while it is shutting down', 'during shutdown'],
  ] as const) {
    it(`SIGTERM ${name}: exits 0 within 5 s with every store flushed`, { timeout: 90_000 }, async () => {
      const service = await startService();
      try {
        const traffic = await makeTraffic(service);
        const started = Date.now();
        if (repeat === 'during shutdown') repeatWhenShutdownBegins(service);
        service.process.kill('SIGTERM');
        if (repeat === 'immediately') service.process.kill('SIGTERM');
        const { code, signal } = await exitOf(service.process);
        assert.deepEqual({ code, signal }, { code: 0, signal: null }, service.output.slice(-2000));
        assert.ok(Date.now() - started < 5_000, 'within the shutdown deadline');
        assert.match(service.output, /"msg":"stopped"/);
        await assertFlushed(service.dataDir, service.apiKey!, traffic);
      } finally {
        await service.dispose();
      }
    });
  }
});

/** `npm start` in its own process group, as a terminal runs it. */
async function startWithNpm(dataDir: string, apiKey: string): Promise<RunningService> {
  const port = await freePort();
  const ingressPort = await freePort();
  const npm = spawn('npm', ['start', '--silent'], {
    cwd: ADDON_ROOT,
    detached: true,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? tmpdir(),
      npm_config_update_notifier: 'false',
      NODE_OPTIONS: `--import ${pathToFileURL(LOOPBACK_PRELOAD).href}`,
      WA_DATA_DIR: dataDir,
      WA_HOST: '127.0.0.1',
      WA_PORT: String(port),
      WA_INGRESS_PORT: String(ingressPort),
      WA_ENGINE: 'simulator',
      WA_LOG_LEVEL: 'debug',
      WA_API_KEY: apiKey,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const service = new RunningService(npm, `http://127.0.0.1:${port}`, `http://127.0.0.1:${ingressPort}`, apiKey, dataDir, false);
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (npm.exitCode !== null) throw new Error(`npm start exited with ${npm.exitCode}\n${service.output}`);
    const healthy = await fetch(`${service.url}/health`).then((r) => r.ok, () => false);
    if (healthy) return service;
    if (Date.now() > deadline) throw new Error(`npm start did not answer /health in time\n${service.output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function portClosed(url: string, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    const answered = await fetch(`${url}/health`).then(() => true, () => false);
    if (!answered) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

describe('stop signal through npm start', () => {
  for (const [name, send] of [
    ['SIGTERM to npm', (npm: ChildProcess) => npm.kill('SIGTERM')],
    ['SIGTERM to npm, twice', (npm: ChildProcess) => (npm.kill('SIGTERM'), npm.kill('SIGTERM'))],
    ['Ctrl-C (SIGINT to the whole process group)', (npm: ChildProcess) => process.kill(-npm.pid!, 'SIGINT')],
    ['SIGTERM to the whole process group', (npm: ChildProcess) => process.kill(-npm.pid!, 'SIGTERM')],
  ] as const) {
    it(`${name}: npm exits 0, the service stops cleanly and is not left behind`, { timeout: 120_000 }, async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'wa-npm-stop-'));
      const apiKey = 'npm-stop-test-key-0123456789';
      const service = await startWithNpm(dataDir, apiKey);
      const npm = service.process;
      try {
        const traffic = await makeTraffic(service);
        const exited = exitOf(npm);
        send(npm);
        const { code, signal } = await exited;
        assert.ok(await portClosed(service.url, 6_000), `the service was left running after npm exited\n${service.output.slice(-2000)}`);
        assert.deepEqual({ code, signal }, { code: 0, signal: null }, service.output.slice(-2000));
        assert.match(service.output, /"msg":"stopped"/);
        await assertFlushed(dataDir, apiKey, traffic);
      } finally {
        try {
          process.kill(-npm.pid!, 'SIGKILL');
        } catch {
          // already gone, as it should be
        }
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  }
});
