/**
 * The Baileys engine's mapping of socket events to session callbacks, driven through a real
 * Baileys socket (connected to a loopback server that never answers) whose event emitter
 * receives the events WhatsApp traffic would produce.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';

import makeWASocket, { proto, type WASocket } from 'baileys';
import { pino } from 'pino';

import type { DurableAuthState } from '../../src/auth/auth-store.js';
import type { MessageStore } from '../../src/auth/message-store.js';
import { BaileysEngine } from '../../src/engine/baileys.js';
import type { Account, CloseInfo, EngineConnection } from '../../src/engine/types.js';
import { buildIncomingMessage, buildOwnMessage } from '../../src/engine/wa-message-builder.js';
import type { JournalInput } from '../../src/journal/types.js';
import { startLoopbackWsServer, type LoopbackWsServer } from '../fixtures/loopback-ws.js';
import { openEngineStores, type EngineStores } from '../helpers/engine-stores.js';

const OWN = '15550000001@s.whatsapp.net';
const ALICE = '4917612345678@s.whatsapp.net';
const ALICE_LID = '123456789012345@lid';
const GROUP = '120363025246125486@g.us';

type Call =
  | { type: 'qr'; code: string; ttlMs: number }
  | { type: 'open'; account: Account }
  | { type: 'close'; info: CloseInfo }
  | { type: 'event'; event: JournalInput };

async function until(condition: () => boolean, what: string, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('Baileys engine: socket events → session callbacks', () => {
  const logger = pino({ level: 'silent' });
  let stores: EngineStores;
  let auth: DurableAuthState;
  let messages: MessageStore;
  let server: LoopbackWsServer;
  let socket: WASocket;
  let connection: EngineConnection;
  let calls: Call[];
  let savedCreds: number;

  const events = () => calls.flatMap((c) => (c.type === 'event' ? [c.event] : []));

  before(async () => {
    stores = await openEngineStores('baileys-events-', logger);
    ({ auth, messages } = stores);
    server = await startLoopbackWsServer({ behaviour: 'hang' });
  });

  after(async () => {
    await server.close();
    await stores.close();
  });

  beforeEach(async () => {
    calls = [];
    savedCreds = 0;
    auth.state.creds.me = { id: '15550000001:7@s.whatsapp.net', name: 'Home', lid: '90000000000001:7@lid' };
    auth.state.creds.registered = true;
    const store = auth;
    const countingAuth: DurableAuthState = {
      get state() {
        return store.state;
      },
      saveCreds: async () => {
        savedCreds += 1;
        await store.saveCreds();
      },
      isRegistered: () => store.isRegistered(),
      clear: () => store.clear(),
      flush: () => store.flush(),
    };
    const engine = new BaileysEngine({
      auth: countingAuth,
      messages,
      logger,
      waWebSocketUrl: server.url,
      createSocket: (config) => (socket = makeWASocket(config)),
    });
    connection = engine.connect({
      onQr: (code, ttlMs) => void calls.push({ type: 'qr', code, ttlMs }),
      onOpen: (account) => void calls.push({ type: 'open', account }),
      onClose: (info) => void calls.push({ type: 'close', info }),
      onEvent: (event) => void calls.push({ type: 'event', event }),
    });
    await server.waitForAttempts(server.attempts.length + 1);
    // A logged-in socket holds events back until WhatsApp's offline backlog is through; say it is.
    socket.ev.flush();
  });

  afterEach(async () => {
    await connection.close();
  });

  it('QR codes: the first lives 60 s, later ones 20 s', () => {
    socket.ev.emit('connection.update', { qr: 'QR-1' });
    socket.ev.emit('connection.update', { qr: 'QR-2' });
    assert.deepEqual(calls, [
      { type: 'qr', code: 'QR-1', ttlMs: 60_000 },
      { type: 'qr', code: 'QR-2', ttlMs: 20_000 },
    ]);
  });

  it('open reports the account without device suffix', () => {
    socket.ev.emit('connection.update', { connection: 'open' });
    assert.deepEqual(calls, [{ type: 'open', account: { jid: OWN, phone: '+15550000001', name: 'Home' } }]);
  });

  it('credential updates are saved', async () => {
    socket.ev.emit('creds.update', { me: { id: '15550000001:7@s.whatsapp.net', name: 'Renamed' } });
    await until(() => savedCreds === 1, 'saveCreds');
  });

  it('messages become journal events in order and are kept; protocol noise is neither', async () => {
    const first = buildIncomingMessage({ from: ALICE, kind: 'text', text: 'one', id: 'M1' }, OWN);
    const noise = buildIncomingMessage({ from: ALICE, kind: 'text', text: 'x', id: 'NOISE' }, OWN);
    noise.message = proto.Message.fromObject({
      protocolMessage: { type: proto.Message.ProtocolMessage.Type.EPHEMERAL_SETTING, ephemeralExpiration: 60 },
    });
    const second = buildIncomingMessage({ from: ALICE, kind: 'image', id: 'M2', media: { size: 10 } }, OWN);
    socket.ev.emit('messages.upsert', { messages: [first, noise], type: 'notify' });
    socket.ev.emit('messages.upsert', { messages: [second], type: 'append' });
    await until(() => events().length === 2, 'two message events');
    assert.deepEqual(
      events().map((e) => (e.type === 'message' ? [e.data.id, e.data.kind] : [])),
      [
        ['M1', 'text'],
        ['M2', 'image'],
      ],
    );
    assert.ok(messages.get({ id: 'M2' }), 'received media is kept for a later download');
    assert.equal(messages.get({ id: 'NOISE' }), undefined);
  });

  it('a vote on a kept poll is decrypted through the message store', async () => {
    const poll = buildOwnMessage({ to: ALICE, kind: 'poll', id: 'POLL1', poll: { question: 'Q', options: ['a', 'b'], multiple: true } }, OWN);
    messages.put(poll);
    const vote = buildIncomingMessage(
      { from: ALICE, kind: 'poll_vote', id: 'VOTE1', poll_vote: { poll_id: 'POLL1', selected: ['b'] } },
      OWN,
      { findMessage: (id) => messages.get({ id }) },
    );
    socket.ev.emit('messages.upsert', { messages: [vote], type: 'notify' });
    await until(() => events().length === 1, 'the vote');
    const [event] = events();
    assert.equal(event?.type, 'message');
    assert.deepEqual(event?.type === 'message' ? event.data.poll_vote : null, { poll_id: 'POLL1', selected: ['b'] });
  });

  it('receipts become one status event per step, never backwards', async () => {
    const key = { remoteJid: ALICE_LID, remoteJidAlt: ALICE, fromMe: true, id: 'SENT1' };
    socket.ev.emit('messages.update', [{ key, update: { status: proto.WebMessageInfo.Status.DELIVERY_ACK } }]);
    socket.ev.emit('messages.update', [{ key, update: { status: proto.WebMessageInfo.Status.SERVER_ACK } }]);
    socket.ev.emit('messages.update', [{ key, update: { status: proto.WebMessageInfo.Status.READ } }]);
    const groupKey = { remoteJid: GROUP, fromMe: true, id: 'GSENT' };
    socket.ev.emit('message-receipt.update', [
      { key: groupKey, receipt: { userJid: ALICE, receiptTimestamp: 1 } },
      { key: groupKey, receipt: { userJid: OWN, receiptTimestamp: 1 } },
    ]);
    await until(() => events().length === 3, 'three status events');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(events(), [
      { type: 'message_status', data: { id: 'SENT1', chat: ALICE, status: 'delivered' } },
      { type: 'message_status', data: { id: 'SENT1', chat: ALICE, status: 'read' } },
      { type: 'message_status', data: { id: 'GSENT', chat: GROUP, status: 'delivered' } },
    ]);
  });

  it('group membership and subject changes', async () => {
    socket.ev.emit('group-participants.update', {
      id: GROUP,
      author: ALICE,
      participants: [{ id: ALICE_LID, phoneNumber: ALICE }],
      action: 'promote',
    });
    socket.ev.emit('groups.update', [{ id: GROUP, subject: 'New name' }, { id: GROUP, announce: true }]);
    await until(() => events().length === 2, 'two group events');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(events(), [
      { type: 'group', data: { jid: GROUP, action: 'promote', participants: [ALICE], subject: null } },
      { type: 'group', data: { jid: GROUP, action: 'subject', participants: [], subject: 'New name' } },
    ]);
  });

  it('names a group once its subject is known, without waiting on metadata it cannot fetch', async () => {
    const groupMessage = (id: string) =>
      buildIncomingMessage({ from: ALICE, chat: GROUP, kind: 'text', text: 'hi', id }, OWN);
    socket.ev.emit('messages.upsert', { messages: [groupMessage('G1')], type: 'notify' });
    await until(() => events().length === 1, 'the first group message');
    socket.ev.emit('groups.update', [{ id: GROUP, subject: 'Family' }]);
    socket.ev.emit('messages.upsert', { messages: [groupMessage('G2')], type: 'notify' });
    await until(() => events().length === 3, 'the subject event and the second message');
    const names = events().map((e) => (e.type === 'message' ? e.data.chat_name : e.type));
    assert.deepEqual(names, [null, 'group', 'Family']);
  });

  it('close comes after the events before it, once, with the reason; nothing is reported after', async () => {
    socket.ev.emit('messages.upsert', {
      messages: [buildIncomingMessage({ from: ALICE, kind: 'text', text: 'last words', id: 'LAST' }, OWN)],
      type: 'notify',
    });
    const qrsRanOut = Object.assign(new Error('QR refs attempts ended'), { output: { statusCode: 408 } });
    socket.ev.emit('connection.update', { connection: 'close', lastDisconnect: { error: qrsRanOut, date: new Date() } });
    socket.ev.emit('connection.update', { qr: 'too late' });
    await until(() => calls.some((c) => c.type === 'close'), 'onClose');
    await connection.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(
      calls.map((c) => c.type),
      ['event', 'close'],
    );
    assert.deepEqual(calls[1], {
      type: 'close',
      info: { reason: 'qrExpired', statusCode: 408, message: 'QR refs attempts ended' },
    });
  });

  it('after close() nothing is reported, not even the socket ending', async () => {
    await connection.close();
    socket.ev.emit('connection.update', { qr: 'late' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(calls, []);
  });
});
