/**
 * Regression tests for the protocol audit's findings, each through a real Baileys socket (connected
 * to a loopback server that never answers) whose emitter and WebSocket receive what WhatsApp
 * traffic would produce.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';

import makeWASocket, { type BinaryNode, type GroupMetadata, type UserFacingSocketConfig, type WASocket } from 'baileys';
import { pino } from 'pino';

import type { DurableAuthState } from '../../src/auth/auth-store.js';
import type { MessageStore } from '../../src/auth/message-store.js';
import { BaileysEngine } from '../../src/engine/baileys.js';
import type { BaileysEngineOptions } from '../../src/engine/baileys-options.js';
import { EngineRequestError, type CloseInfo, type EngineConnection } from '../../src/engine/types.js';
import { buildIncomingMessage } from '../../src/engine/wa-message-builder.js';
import type { JournalInput } from '../../src/journal/types.js';
import { startLoopbackWsServer, type LoopbackWsServer } from '../fixtures/loopback-ws.js';
import { openEngineStores, type EngineStores } from '../helpers/engine-stores.js';

const OWN = '15550000001@s.whatsapp.net';
const ALICE = '4917612345678@s.whatsapp.net';
const GROUP = '120363025246125486@g.us';

async function until(condition: () => boolean, what: string, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

interface Harness {
  engine: BaileysEngine;
  connection: EngineConnection;
  socket: WASocket;
  config: UserFacingSocketConfig;
  calls: Array<{ type: 'event'; event: JournalInput } | { type: 'close'; info: CloseInfo }>;
}

describe('Baileys engine: the audit findings', () => {
  const logger = pino({ level: 'silent' });
  let stores: EngineStores;
  let auth: DurableAuthState;
  let messages: MessageStore;
  let server: LoopbackWsServer;
  const open: EngineConnection[] = [];

  before(async () => {
    stores = await openEngineStores('baileys-audit-', logger);
    ({ auth, messages } = stores);
    server = await startLoopbackWsServer({ behaviour: 'hang' });
  });

  after(async () => {
    await server.close();
    await stores.close();
  });

  afterEach(async () => {
    for (const connection of open.splice(0)) await connection.close();
  });

  function linkedAccount(): void {
    auth.state.creds.me = { id: '15550000001:7@s.whatsapp.net', name: 'Home', lid: '90000000000001:7@lid' };
    auth.state.creds.registered = true;
  }

  async function connect(options: Partial<BaileysEngineOptions> = {}, engine?: BaileysEngine): Promise<Harness> {
    const harness = { calls: [] } as unknown as Harness;
    harness.engine =
      engine ??
      new BaileysEngine({
        auth,
        messages,
        logger,
        waWebSocketUrl: server.url,
        // Every socket goes to the loopback server, also where the engine would choose WhatsApp.
        createSocket: (config) => {
          harness.config = config;
          return (harness.socket = makeWASocket({ ...config, waWebSocketUrl: server.url }));
        },
        ...options,
      });
    const attempts = server.attempts.length;
    harness.connection = harness.engine.connect({
      onQr: () => undefined,
      onOpen: () => undefined,
      onClose: (info) => void harness.calls.push({ type: 'close', info }),
      onEvent: (event) => void harness.calls.push({ type: 'event', event }),
    });
    open.push(harness.connection);
    await server.waitForAttempts(attempts + 1);
    return harness;
  }

  it('A5: messages still in Baileys’ buffer when WhatsApp closes the socket are journalled before the close', async () => {
    linkedAccount();
    const h = await connect();
    // A logged-in socket buffers events until WhatsApp's offline backlog is through.
    assert.equal(h.socket.ev.isBuffering(), true);
    h.socket.ev.emit('messages.upsert', {
      messages: [buildIncomingMessage({ from: ALICE, kind: 'text', text: 'acknowledged, still buffered', id: 'BUF1' }, OWN)],
      type: 'notify',
    });
    const dropped = Object.assign(new Error('Connection was lost'), { output: { statusCode: 408 } });
    await h.socket.end(dropped);
    await until(() => h.calls.some((c) => c.type === 'close'), 'onClose');
    assert.deepEqual(
      h.calls.map((c) => (c.type === 'event' && c.event.type === 'message' ? c.event.data.id : c.type)),
      ['BUF1', 'close'],
    );
  });

  it('A5: close() journals what Baileys still buffers before it resolves', async () => {
    linkedAccount();
    const h = await connect();
    h.socket.ev.emit('messages.upsert', {
      messages: [buildIncomingMessage({ from: ALICE, kind: 'text', text: 'on shutdown', id: 'BUF2' }, OWN)],
      type: 'notify',
    });
    await h.connection.close();
    assert.deepEqual(
      h.calls.map((c) => (c.type === 'event' && c.event.type === 'message' ? c.event.data.id : c.type)),
      ['BUF2'],
      'journalled, and close() reports no onClose',
    );
  });

  it('A5: onClose waits until the events before it are durably journalled', async () => {
    linkedAccount();
    let releaseJournal!: () => void;
    const journalled = new Promise<boolean>((resolve) => (releaseJournal = () => resolve(true)));
    const order: string[] = [];
    const engine = new BaileysEngine({ auth, messages, logger, waWebSocketUrl: server.url, createSocket: (config) => (socket = makeWASocket(config)) });
    let socket!: WASocket;
    const attempts = server.attempts.length;
    const connection = engine.connect({
      onQr: () => undefined,
      onOpen: () => undefined,
      onClose: () => void order.push('close'),
      onEvent: () => {
        order.push('event');
        return journalled.then((ok) => (order.push('journalled'), ok));
      },
    });
    open.push(connection);
    await server.waitForAttempts(attempts + 1);
    socket.ev.flush();
    socket.ev.emit('messages.upsert', { messages: [buildIncomingMessage({ from: ALICE, kind: 'text', text: 'x', id: 'SLOW' }, OWN)], type: 'notify' });
    await socket.end(Object.assign(new Error('Connection was lost'), { output: { statusCode: 408 } }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(order, ['event'], 'no close while the event is not journalled');
    releaseJournal();
    await until(() => order.includes('close'), 'onClose');
    assert.deepEqual(order, ['event', 'journalled', 'close']);
  });

  it('A7: group metadata Baileys sends with is dropped when members change, refreshed, and expires', async () => {
    linkedAccount();
    const h = await connect({ groupMetadataTtlMs: 60_000 });
    h.socket.ev.flush();
    const cached = h.config.cachedGroupMetadata!;
    const metadata: GroupMetadata = { id: GROUP, subject: 'Family', owner: undefined, participants: [{ id: ALICE }, { id: OWN }] };
    h.socket.ev.emit('groups.upsert', [metadata]);
    assert.deepEqual((await cached(GROUP))?.participants.map((p) => p.id), [ALICE, OWN]);
    h.socket.ev.emit('groups.update', [{ id: GROUP, announce: true }]);
    assert.equal((await cached(GROUP))?.announce, true, 'settings are patched in');
    h.socket.ev.emit('group-participants.update', { id: GROUP, author: ALICE, participants: [{ id: '447700900123@s.whatsapp.net' }], action: 'add' });
    assert.equal(await cached(GROUP), undefined, 'a new member must not miss the next message: Baileys asks WhatsApp');
  });

  it('A7: group metadata older than its lifetime is not used', async () => {
    linkedAccount();
    const h = await connect({ groupMetadataTtlMs: 50 });
    h.socket.ev.emit('groups.upsert', [{ id: GROUP, subject: 'Family', owner: undefined, participants: [{ id: ALICE }] }]);
    assert.ok(await h.config.cachedGroupMetadata!(GROUP));
    await new Promise((resolve) => setTimeout(resolve, 80));
    assert.equal(await h.config.cachedGroupMetadata!(GROUP), undefined);
  });

  it('A11: retry counters and device lists survive a reconnect', async () => {
    linkedAccount();
    const configs: UserFacingSocketConfig[] = [];
    const engine = new BaileysEngine({
      auth,
      messages,
      logger,
      waWebSocketUrl: server.url,
      createSocket: (config) => (configs.push(config), makeWASocket(config)),
    });
    const first = await connect({}, engine);
    const counters = configs[0]?.msgRetryCounterCache;
    assert.ok(counters, 'the engine hands Baileys its own retry counter store');
    await counters.set('3EB0MSG:4917612345678@s.whatsapp.net', 2);
    await first.connection.close();
    await connect({}, engine);
    assert.equal(configs[1]?.msgRetryCounterCache, counters);
    assert.equal(await configs[1]?.msgRetryCounterCache?.get('3EB0MSG:4917612345678@s.whatsapp.net'), 2);
    assert.ok(configs[1]?.userDevicesCache);
    assert.equal(configs[1]?.userDevicesCache, configs[0]?.userDevicesCache);
  });

  it('A12: a status update is acknowledged unopened and never journalled', async () => {
    linkedAccount();
    const h = await connect();
    h.socket.ev.flush();
    const sent: BinaryNode[] = [];
    h.socket.sendNode = async (node: BinaryNode) => void sent.push(node);
    const status: BinaryNode = {
      tag: 'message',
      attrs: { from: 'status@broadcast', id: '3EB0STATUS', participant: ALICE, type: 'media', t: '1700000000', offline: '0' },
      content: [{ tag: 'enc', attrs: { v: '2', type: 'skmsg' }, content: Buffer.alloc(40, 1) }],
    };
    for (const event of ['CB:message,from:status@broadcast,enc', 'CB:message,,enc', 'CB:message']) h.socket.ws.emit(event, status);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(sent, [
      { tag: 'ack', attrs: { id: '3EB0STATUS', to: 'status@broadcast', class: 'message', participant: ALICE, type: 'media', from: '15550000001:7@s.whatsapp.net' } },
    ]);
    assert.equal(h.calls.length, 0);
  });

  it('A2: the device registers as "Home Assistant" but asks for a pairing code as Chrome on a real OS', async () => {
    auth.state.creds.me = undefined;
    auth.state.creds.registered = false;
    const h = await connect({ pairingReplyTimeoutMs: 1_000 });
    assert.equal(h.config.browser?.[0], 'Home Assistant', 'the name the phone lists under "Linked devices"');
    let display = '';
    h.socket.requestPairingCode = async () => {
      display = `${h.config.browser![1]} (${h.config.browser![0]})`;
      setImmediate(() =>
        h.socket.ws.emit('CB:iq,type:result', { tag: 'iq', attrs: { type: 'result' }, content: [{ tag: 'link_code_companion_reg', attrs: {} }] }),
      );
      return 'ABCD1234';
    };
    assert.equal(await h.connection.requestPairingCode('+49 176 12345678'), 'ABCD1234');
    assert.equal(display, 'Chrome (Mac OS)');
    assert.equal(h.config.browser?.[0], 'Home Assistant', 'named again after the request');
  });

  it('A2: a pairing code WhatsApp refused is an error, never a code', async () => {
    auth.state.creds.me = undefined;
    auth.state.creds.registered = false;
    const h = await connect({ pairingReplyTimeoutMs: 2_000 });
    h.socket.requestPairingCode = async () => {
      setImmediate(() =>
        h.socket.ws.emit('CB:iq,type:error', { tag: 'iq', attrs: { type: 'error' }, content: [{ tag: 'error', attrs: { code: '400', text: 'bad-request' } }] }),
      );
      return 'ABCD1234';
    };
    await assert.rejects(
      h.connection.requestPairingCode('4917612345678'),
      (err: unknown) => err instanceof EngineRequestError && err.status === 400 && err.code === 'pairing_code_refused' && /bad-request/.test(err.message),
    );
  });

  it('A3: announces the current WA Web version when asked to fetch it, and falls back when the fetch stalls', async () => {
    linkedAccount();
    const fetched = await connect({ waWebSocketUrl: undefined, fetchLatestVersion: true, versionFetcher: async () => ({ version: [2, 3000, 1234567], isLatest: true }) });
    assert.deepEqual(fetched.config.version, [2, 3000, 1234567]);
    const stalled = await connect({
      waWebSocketUrl: undefined,
      fetchLatestVersion: true,
      versionFetchTimeoutMs: 50,
      versionFetcher: () => new Promise(() => undefined),
    });
    assert.equal(stalled.config.version, undefined, "Baileys' built-in version");
  });

  it('A3: never asks WhatsApp Web for the version when a WebSocket URL is set', async () => {
    linkedAccount();
    let asked = 0;
    const h = await connect({
      fetchLatestVersion: true,
      versionFetcher: async () => {
        asked += 1;
        return { version: [2, 3000, 1], isLatest: true };
      },
    });
    assert.equal(asked, 0);
    assert.equal(h.config.version, undefined);
  });
});
