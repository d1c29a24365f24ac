/**
 * The Baileys messenger's requests, checked by letting Baileys itself turn them into the protobuf
 * messages it would send (generateWAMessage, media encrypted with a stand-in upload) and reading
 * those back through the normaliser.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';

import {
  generateWAMessage,
  type AnyMessageContent,
  type GroupMetadata,
  type MiscMessageGenerationOptions,
  type WAMessage,
  type WAMessageKey,
  type WASocket,
} from 'baileys';
import { pino, type Logger } from 'pino';

import { openMessageStore, type MessageStore } from '../../src/auth/message-store.js';
import { BaileysMessenger } from '../../src/engine/baileys-messenger.js';
import { normaliseMessage } from '../../src/engine/normalise.js';
import { EngineRequestError, type OutgoingContent, type OutgoingMessage } from '../../src/engine/types.js';
import { buildIncomingMessage } from '../../src/engine/wa-message-builder.js';
import type { MessageData } from '../../src/journal/types.js';
import { staticNormaliseContext } from './static-normalise-context.js';

const OWN = '15550000001@s.whatsapp.net';
const ALICE = '4917612345678@s.whatsapp.net';
const BOB = '447700900123@s.whatsapp.net';
const GROUP = '120363025246125486@g.us';

interface SocketCalls {
  sent: Array<{ jid: string; content: AnyMessageContent; message: WAMessage }>;
  read: WAMessageKey[][];
  presence: Array<[string, string | undefined]>;
}

/** The parts of a socket the messenger uses; sending goes through Baileys' real message generation. */
function socketFor(calls: SocketCalls, logger: Logger): WASocket {
  const socket = {
    sendMessage: async (jid: string, content: AnyMessageContent, options: MiscMessageGenerationOptions = {}) => {
      const message = await generateWAMessage(jid, content, {
        ...options,
        userJid: OWN,
        logger,
        upload: async () => ({ mediaUrl: 'https://mmg.whatsapp.net/v/t62/test', directPath: '/v/t62/test' }),
      });
      calls.sent.push({ jid, content, message });
      return message;
    },
    readMessages: async (keys: WAMessageKey[]) => void calls.read.push(keys),
    sendPresenceUpdate: async (state: string, jid?: string) => void calls.presence.push([state, jid]),
    groupFetchAllParticipating: async (): Promise<Record<string, GroupMetadata>> => ({
      [GROUP]: {
        id: GROUP,
        subject: 'Family',
        owner: '111@lid',
        ownerPn: ALICE,
        participants: [{ id: ALICE }, { id: OWN }],
        announce: true,
        creation: 1_700_000_000,
        desc: 'Us',
      },
      '120363000000000009@g.us': { id: '120363000000000009@g.us', subject: 'Allotment', owner: undefined, participants: [], size: 31 },
    }),
    // A phone that is offline never answers a request to upload expired media again.
    updateMediaMessage: () => new Promise<WAMessage>(() => undefined),
    onWhatsApp: async (phone: string) => (phone.endsWith('0000') ? [] : [{ jid: `${phone}@s.whatsapp.net`, exists: true }]),
  };
  return socket as unknown as WASocket;
}

describe('Baileys messenger', () => {
  const logger = pino({ level: 'silent' });
  let dir: string;
  let messages: MessageStore;
  let calls: SocketCalls;
  let open: boolean;
  let unread: WAMessageKey[];
  let messenger: BaileysMessenger;
  const remembered: string[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'baileys-messenger-'));
    messages = await openMessageStore(join(dir, 'messages'), {}, logger);
    await writeFile(join(dir, 'photo.jpg'), Buffer.from('not really a jpeg, but bytes to encrypt'));
    await writeFile(join(dir, 'report.pdf'), Buffer.from('%PDF-1.4 test'));
  });

  after(async () => {
    await messages.flush();
    await rm(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    calls = { sent: [], read: [], presence: [] };
    open = true;
    unread = [];
    messenger = new BaileysMessenger({
      socket: socketFor(calls, logger),
      messages,
      logger,
      isOpen: () => open,
      unreadKeys: () => unread,
      rememberGroup: (group) => void remembered.push(group.id),
      mediaReuploadTimeoutMs: 300,
    });
  });

  const outgoing = (content: OutgoingContent, extra: Partial<OutgoingMessage> = {}): OutgoingMessage => ({
    to: ALICE,
    content,
    replyTo: null,
    mentions: [],
    ...extra,
  });

  /** What the journal would say about the message Baileys generated for the last send. */
  async function lastSentAsJournal(): Promise<MessageData> {
    const last = calls.sent.at(-1);
    assert.ok(last, 'something was sent');
    const data = await normaliseMessage(last.message, staticNormaliseContext({ ownJid: OWN }));
    assert.ok(data);
    return data;
  }

  it('text with mentions; the sent message is kept and its id and time returned', async () => {
    const sent = await messenger.send(outgoing({ type: 'text', text: 'Hi @Bob' }, { mentions: [BOB] }));
    const data = await lastSentAsJournal();
    assert.equal(data.kind, 'text');
    assert.equal(data.text, 'Hi @Bob');
    assert.equal(data.from_me, true);
    assert.deepEqual(data.mentions, [BOB]);
    assert.equal(sent.id, data.id);
    assert.equal(sent.to, ALICE);
    assert.match(sent.timestamp, /^\d{4}-\d\d-\d\dT/);
    assert.ok(messages.get({ id: sent.id }), 'kept for later votes, edits and retries');
  });

  it('a reply quotes the kept message; an unknown one is refused', async () => {
    const earlier = buildIncomingMessage({ from: ALICE, kind: 'text', text: 'question?', id: 'Q1' }, OWN);
    messages.put(earlier);
    await messenger.send(outgoing({ type: 'text', text: 'answer' }, { replyTo: 'Q1' }));
    assert.equal((await lastSentAsJournal()).quoted_id, 'Q1');
    await assert.rejects(
      messenger.send(outgoing({ type: 'text', text: 'x' }, { replyTo: 'NOT-KEPT' })),
      (err: unknown) => err instanceof EngineRequestError && err.code === 'reply_target_not_found',
    );
  });

  it('image and document: the file is encrypted and described as sent', async () => {
    await messenger.send(
      outgoing({ type: 'image', media: { path: join(dir, 'photo.jpg'), mimetype: 'image/jpeg', size: 39 }, caption: 'Look', filename: null, voice: false }),
    );
    const image = await lastSentAsJournal();
    assert.equal(image.kind, 'image');
    assert.equal(image.caption, 'Look');
    assert.equal(image.media?.mimetype, 'image/jpeg');
    assert.equal(image.media?.size, 39);
    assert.equal(calls.sent.at(-1)?.message.message?.imageMessage?.mediaKey?.length, 32);

    await messenger.send(
      outgoing({ type: 'document', media: { path: join(dir, 'report.pdf'), mimetype: 'application/pdf', size: 13 }, caption: null, filename: null, voice: false }),
    );
    const document = await lastSentAsJournal();
    assert.equal(document.kind, 'document');
    assert.equal(document.media?.filename, 'report.pdf', 'named after the file when no filename was given');
  });

  it('a voice note', async () => {
    await messenger.send(
      outgoing({ type: 'audio', media: { path: join(dir, 'photo.jpg'), mimetype: 'audio/ogg; codecs=opus', size: 39 }, caption: null, filename: null, voice: true }),
    );
    assert.equal(calls.sent.at(-1)?.message.message?.audioMessage?.ptt, true);
    assert.equal((await lastSentAsJournal()).kind, 'audio');
  });

  it('location and contact', async () => {
    await messenger.send(outgoing({ type: 'location', latitude: 48.1, longitude: 11.6, name: 'Home', address: null }));
    assert.deepEqual((await lastSentAsJournal()).location, { latitude: 48.1, longitude: 11.6, name: 'Home', address: null });
    await messenger.send(outgoing({ type: 'contact', name: 'Bob', phone: '+447700900123' }));
    const contact = (await lastSentAsJournal()).contact;
    assert.equal(contact?.name, 'Bob');
    assert.equal(contact?.phone, '+447700900123');
  });

  it('polls: single and multiple choice, with the secret votes need', async () => {
    await messenger.send(outgoing({ type: 'poll', question: 'Pizza?', options: ['Yes', 'No'], multiple: false }));
    assert.deepEqual((await lastSentAsJournal()).poll, { question: 'Pizza?', options: ['Yes', 'No'], multiple: false });
    assert.equal(calls.sent.at(-1)?.message.message?.messageContextInfo?.messageSecret?.length, 32);
    await messenger.send(outgoing({ type: 'poll', question: 'Days', options: ['Mo', 'Tu', 'We'], multiple: true }));
    assert.deepEqual((await lastSentAsJournal()).poll?.multiple, true);
  });

  it('a reaction names the kept message with its original key', async () => {
    const earlier = buildIncomingMessage({ from: ALICE, chat: GROUP, kind: 'text', text: 'party!', id: 'G7' }, OWN);
    messages.put(earlier);
    await messenger.send(outgoing({ type: 'reaction', messageId: 'G7', emoji: '🎉' }, { to: GROUP }));
    const data = await lastSentAsJournal();
    assert.deepEqual(data.reaction, { message_id: 'G7', emoji: '🎉' });
    assert.equal(calls.sent.at(-1)?.message.message?.reactionMessage?.key?.participant, ALICE);
  });

  it('edit and delete our own message; editing someone else’s is refused', async () => {
    const sent = await messenger.send(outgoing({ type: 'text', text: 'teh' }));
    await messenger.edit(ALICE, sent.id, 'the');
    const edit = await lastSentAsJournal();
    assert.equal(edit.kind, 'edit');
    assert.equal(edit.target_id, sent.id);
    assert.equal(edit.text, 'the');

    await messenger.delete(ALICE, sent.id);
    const del = await lastSentAsJournal();
    assert.equal(del.kind, 'delete');
    assert.equal(del.target_id, sent.id);

    messages.put(buildIncomingMessage({ from: ALICE, kind: 'text', text: 'theirs', id: 'THEIRS' }, OWN));
    await assert.rejects(messenger.edit(ALICE, 'THEIRS', 'mine now'), (err: unknown) => err instanceof EngineRequestError && err.status === 409);
    const sentBefore = calls.sent.length;
    await assert.rejects(
      messenger.edit(ALICE, 'NEVERSENT', 'fixed'),
      (err: unknown) => err instanceof EngineRequestError && err.status === 404 && err.code === 'message_not_found',
    );
    assert.equal(calls.sent.length, sentBefore, 'an edit of an unknown message is not sent');
  });

  it('mark read: given messages by their kept keys, or whatever arrived unread', async () => {
    const groupMessage = buildIncomingMessage({ from: ALICE, chat: GROUP, kind: 'text', text: 'x', id: 'GR1' }, OWN);
    messages.put(groupMessage);
    await messenger.markRead(GROUP, ['GR1']);
    assert.deepEqual(calls.read, [[groupMessage.key]]);
    unread = [{ remoteJid: ALICE, id: 'U1', fromMe: false }];
    await messenger.markRead(ALICE, []);
    assert.deepEqual(calls.read[1], unread);
  });

  it('presence, groups and number checks', async () => {
    await messenger.setPresence(ALICE, 'composing');
    assert.deepEqual(calls.presence, [['composing', ALICE]]);
    assert.deepEqual(await messenger.groups(), [
      {
        jid: '120363000000000009@g.us',
        subject: 'Allotment',
        participants: 31,
        announce: false,
        restrict: false,
        owner: null,
        description: null,
        created: null,
      },
      {
        jid: GROUP,
        subject: 'Family',
        participants: 2,
        announce: true,
        restrict: false,
        owner: ALICE,
        description: 'Us',
        created: new Date(1_700_000_000_000).toISOString(),
      },
    ]);
    assert.ok(remembered.includes(GROUP), 'group metadata is kept for sending to the group');
    assert.deepEqual(await messenger.checkNumber('4917612345678'), { exists: true, jid: ALICE });
    assert.deepEqual(await messenger.checkNumber('15550000000'), { exists: false, jid: null });
  });

  it('downloads nothing for messages it does not keep or that carry no media', async () => {
    assert.equal(await messenger.downloadMedia('UNKNOWN'), null);
    messages.put(buildIncomingMessage({ from: ALICE, kind: 'text', text: 'no media', id: 'TXT' }, OWN));
    assert.equal(await messenger.downloadMedia('TXT'), null);
  });

  it('edits and deletes it sent are kept, so a device that could not decrypt them can get them again', async () => {
    const sent = await messenger.send(outgoing({ type: 'text', text: 'frist' }));
    await messenger.edit(ALICE, sent.id, 'first');
    const editId = calls.sent.at(-1)?.message.key.id;
    assert.ok(editId && editId !== sent.id);
    assert.equal(messages.getMessageContent({ remoteJid: '123456789012345:3@lid', id: editId, fromMe: true })?.protocolMessage?.editedMessage?.extendedTextMessage?.text, 'first');
    await messenger.delete(ALICE, sent.id);
    const deleteId = calls.sent.at(-1)?.message.key.id;
    assert.ok(deleteId);
    assert.equal(messages.getMessageContent({ remoteJid: ALICE, id: deleteId, fromMe: true })?.protocolMessage?.key?.id, sent.id);
  });

  it('expired media whose sender never uploads it again: a clear error, not a hang', async () => {
    // WhatsApp's media host answers 410 Gone for media it deleted.
    const gone = createServer((_request, response) => response.writeHead(410).end());
    await new Promise<void>((resolve) => gone.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = gone.address() as AddressInfo;
      const expired = buildIncomingMessage({ from: ALICE, kind: 'image', id: 'OLDIMG', media: { size: 10 } }, OWN);
      const image = expired.message!.imageMessage!;
      image.url = `http://127.0.0.1:${port}/v/t62/expired`;
      image.directPath = null;
      image.mediaKey = Buffer.alloc(32, 9);
      messages.put(expired);
      await assert.rejects(
        messenger.downloadMedia('OLDIMG'),
        (err: unknown) => err instanceof EngineRequestError && err.status === 504 && err.code === 'media_unavailable' && /send it again/.test(err.message),
      );
    } finally {
      gone.closeAllConnections();
      await new Promise<void>((resolve) => gone.close(() => resolve()));
    }
  });

  it('refuses everything while not connected', async () => {
    open = false;
    const notConnected = (err: unknown) => err instanceof EngineRequestError && err.status === 503 && err.code === 'not_connected';
    await assert.rejects(messenger.send(outgoing({ type: 'text', text: 'x' })), notConnected);
    await assert.rejects(messenger.groups(), notConnected);
    await assert.rejects(messenger.downloadMedia('X'), notConnected);
    assert.equal(calls.sent.length, 0);
  });
});
