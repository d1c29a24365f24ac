import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { pino } from 'pino';

import type { DurableAuthState } from '../../src/auth/auth-store.js';
import type { MessageStore } from '../../src/auth/message-store.js';
import { BaileysEngine } from '../../src/engine/baileys.js';
import { StatusDeduplicator } from '../../src/engine/chat-tracking.js';
import type { CloseInfo, ConnectionHandlers, EngineConnection } from '../../src/engine/types.js';
import { startRefusingServer } from '../fixtures/loopback-http-refusal.js';
import { refusedWsUrl, startLoopbackWsServer } from '../fixtures/loopback-ws.js';
import { openEngineStores, type EngineStores } from '../helpers/engine-stores.js';

/** What a connection reported, in order. */
interface Recording {
  handlers: ConnectionHandlers;
  calls: string[];
  closes: CloseInfo[];
  closed: Promise<CloseInfo>;
}

function record(): Recording {
  const calls: string[] = [];
  const closes: CloseInfo[] = [];
  let resolveClosed!: (info: CloseInfo) => void;
  const closed = new Promise<CloseInfo>((resolve) => (resolveClosed = resolve));
  return {
    calls,
    closes,
    closed,
    handlers: {
      onQr: () => void calls.push('qr'),
      onOpen: () => void calls.push('open'),
      onEvent: (event) => void calls.push(`event:${event.type}`),
      onClose: (info) => {
        calls.push('close');
        closes.push(info);
        resolveClosed(info);
      },
    },
  };
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Baileys engine against a loopback WebSocket server', () => {
  const logger = pino({ level: 'silent' });
  let stores: EngineStores;
  let auth: DurableAuthState;
  let messages: MessageStore;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => void unhandled.push(reason);

  before(async () => {
    process.on('unhandledRejection', onUnhandled);
    stores = await openEngineStores('baileys-socket-', logger);
    ({ auth, messages } = stores);
  });

  after(async () => {
    process.off('unhandledRejection', onUnhandled);
    await stores.close();
  });

  const engine = (url: string, connectTimeoutMs?: number) =>
    new BaileysEngine({ auth, messages, logger, waWebSocketUrl: url, connectTimeoutMs });

  it('a server that accepts and then closes: onClose once, connectionClosed', async () => {
    const server = await startLoopbackWsServer({ behaviour: 'close' });
    try {
      const rec = record();
      engine(server.url).connect(rec.handlers);
      const info = await within(rec.closed, 5_000, 'onClose');
      assert.equal(info.reason, 'connectionClosed');
      assert.equal(info.statusCode, 428);
      await settle(300);
      assert.deepEqual(rec.calls, ['close'], 'nothing but one close');
      assert.equal(server.attempts.length, 1);
    } finally {
      await server.close();
    }
  });

  it('a port nobody listens on: onClose once, connectionLost', async () => {
    const rec = record();
    engine(await refusedWsUrl()).connect(rec.handlers);
    const info = await within(rec.closed, 5_000, 'onClose');
    assert.equal(info.reason, 'connectionLost');
    assert.equal(info.statusCode, 408);
    assert.match(info.message, /ECONNREFUSED/);
    await settle(300);
    assert.deepEqual(rec.calls, ['close']);
  });

  it('a server that never answers: the connect timeout ends it with one onClose', async () => {
    const server = await startLoopbackWsServer({ behaviour: 'hang' });
    try {
      const rec = record();
      engine(server.url, 1_000).connect(rec.handlers);
      const info = await within(rec.closed, 5_000, 'onClose');
      assert.ok(['connectionLost', 'timedOut', 'connectionClosed'].includes(info.reason), info.reason);
      await settle(300);
      assert.deepEqual(rec.calls, ['close']);
    } finally {
      await server.close();
    }
  });

  for (const [status, text] of [
    [503, 'Service Unavailable'],
    [403, 'Forbidden'],
    [302, 'Found'],
  ] as const) {
    it(`an HTTP ${status} answer to the upgrade: onClose once, connectionLost, so the backoff runs`, async () => {
      const server = await startRefusingServer(status, text);
      try {
        const rec = record();
        const connection = engine(server.url, 3_000).connect(rec.handlers);
        const info = await within(rec.closed, 2_500, 'onClose');
        assert.equal(info.reason, 'connectionLost');
        assert.match(info.message, new RegExp(`HTTP ${status}`));
        await settle(100);
        assert.deepEqual(rec.calls, ['close']);
        await connection.close();
      } finally {
        await server.close();
      }
    });
  }

  it('reconnecting repeatedly (as the session does) gives one onClose per connection and one attempt each', async () => {
    const server = await startLoopbackWsServer({ behaviour: 'close', closeAfterMs: 20 });
    try {
      const recordings: Recording[] = [];
      for (let i = 0; i < 3; i++) {
        const rec = record();
        recordings.push(rec);
        engine(server.url).connect(rec.handlers);
        await within(rec.closed, 5_000, `onClose #${i + 1}`);
      }
      await settle(300);
      assert.deepEqual(recordings.map((r) => r.closes.length), [1, 1, 1]);
      assert.equal(server.attempts.length, 3);
      const [a, b, c] = server.attempts.map((attempt) => attempt.at);
      assert.ok(a! <= b! && b! <= c!, 'attempts are timestamped in order');
    } finally {
      await server.close();
    }
  });

  it('close() ends a live connection without reporting onClose, and may be repeated', async () => {
    const server = await startLoopbackWsServer({ behaviour: 'hang' });
    try {
      const rec = record();
      const connection: EngineConnection = engine(server.url).connect(rec.handlers);
      await server.waitForAttempts(1);
      await within(connection.close(), 5_000, 'close()');
      await server.waitUntilIdle(2_000);
      await connection.close();
      await settle(300);
      assert.deepEqual(rec.calls, [], 'close() is not a disconnect to report');
      await assert.rejects(connection.requestPairingCode('15550000001'), /closed/);
      await assert.rejects(connection.logout(), /closed/);
    } finally {
      await server.close();
    }
  });

  it('close() after the connection already closed is harmless', async () => {
    const rec = record();
    const connection = engine(await refusedWsUrl()).connect(rec.handlers);
    await within(rec.closed, 5_000, 'onClose');
    await connection.close();
    assert.equal(rec.closes.length, 1);
  });

  it('forgets an account a pairing-code request named but the phone never confirmed', async () => {
    auth.state.creds.me = { id: '15550000001@s.whatsapp.net', name: '~' };
    assert.equal(auth.isRegistered(), false);
    const rec = record();
    engine(await refusedWsUrl()).connect(rec.handlers);
    assert.equal(auth.state.creds.me, undefined, 'so Baileys pairs afresh instead of logging in');
    await within(rec.closed, 5_000, 'onClose');
  });

  it('nothing was rejected without a handler', async () => {
    await settle(100);
    assert.deepEqual(unhandled, []);
  });

  it('leaves nothing running: a process that used the engine exits by itself', async () => {
    const probe = fileURLToPath(new URL('../fixtures/baileys-exit-probe.js', import.meta.url));
    const child = spawn(process.execPath, [probe], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const code = await within(exited, 15_000, 'the probe process exiting');
      assert.equal(code, 0, stderr);
      assert.deepEqual(JSON.parse(stdout), { done: true, reasons: ['connectionLost', 'connectionClosed'] });
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});

describe('StatusDeduplicator', () => {
  it('passes each status once and only forward; failures always pass', () => {
    const dedupe = new StatusDeduplicator(2);
    assert.equal(dedupe.accept('A', 'delivered'), true);
    assert.equal(dedupe.accept('A', 'delivered'), false, 'second member delivered');
    assert.equal(dedupe.accept('A', 'sent'), false, 'late server ack');
    assert.equal(dedupe.accept('A', 'read'), true);
    assert.equal(dedupe.accept('A', 'played'), true);
    assert.equal(dedupe.accept('A', 'failed'), true);
    dedupe.accept('B', 'read');
    dedupe.accept('C', 'read');
    assert.equal(dedupe.accept('A', 'read'), true, 'the oldest message was forgotten at capacity');
  });
});
