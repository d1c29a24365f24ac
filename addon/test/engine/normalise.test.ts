import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';

import { decryptPollVote, proto, type WAMessage, type WAMessageKey } from 'baileys';

import type { MessageData } from '../../src/journal/types.js';
import { phoneFromVcard } from '../../src/engine/message-content.js';
import { normaliseMessage } from '../../src/engine/normalise.js';
import type { NormaliseContext } from '../../src/engine/normalise-context.js';
import { normaliseGroupParticipants, normaliseGroupUpdate } from '../../src/engine/normalise-groups.js';
import { normaliseReceipt } from '../../src/engine/normalise-receipts.js';
import { encryptPollVote } from '../../src/engine/poll-crypto.js';
import {
  buildIncomingMessage,
  buildOwnMessage,
  IncomingSpecError,
  type IncomingSpec,
} from '../../src/engine/wa-message-builder.js';

import { staticNormaliseContext } from './static-normalise-context.js';

const OWN = '15550000001@s.whatsapp.net';
const OWN_LID = '90000000000001@lid';
const ALICE = '4917612345678@s.whatsapp.net';
const ALICE_LID = '123456789012345@lid';
const BOB = '447700900123@s.whatsapp.net';
const BOB_LID = '222222222222222@lid';
const STRANGER_LID = '999999999999999@lid';
const GROUP = '120363025246125486@g.us';
const T = 1_700_000_000;
const T_ISO = new Date(T * 1000).toISOString();

/** A message store as the service keeps one: real messages by id. */
function store(...messages: WAMessage[]): Map<string, WAMessage> {
  return new Map(messages.map((m) => [m.key.id!, m]));
}

function context(messages = new Map<string, WAMessage>(), warnings: string[] = []): NormaliseContext {
  return staticNormaliseContext({
    ownJid: OWN,
    ownLid: OWN_LID,
    lidToPhone: { [ALICE_LID]: ALICE, [OWN_LID]: OWN },
    groupSubjects: { [GROUP]: 'Family' },
    messageContent: (key: WAMessageKey) => messages.get(key.id ?? '')?.message ?? undefined,
    logger: { warn: (_obj: unknown, msg?: string) => void warnings.push(msg ?? '') } as NormaliseContext['logger'],
  });
}

function finder(messages: Map<string, WAMessage>) {
  return { findMessage: (id: string) => messages.get(id) };
}

/** Sends the message through protobuf encoding and back, as it would cross the wire and the store. */
function overTheWire(message: WAMessage): WAMessage {
  const decoded = proto.WebMessageInfo.decode(proto.WebMessageInfo.encode(message).finish());
  return Object.assign(decoded, { key: { ...message.key } });
}

function incoming(spec: Omit<IncomingSpec, 'from'> & { from?: string }, messages = new Map<string, WAMessage>()): WAMessage {
  return buildIncomingMessage({ from: ALICE, name: 'Alice', timestamp: T, ...spec }, OWN, finder(messages));
}

async function normalised(message: WAMessage, ctx = context()): Promise<MessageData> {
  const data = await normaliseMessage(message, ctx);
  assert.ok(data, 'expected a message, got null');
  return data;
}

/** Fields every kind shares, for a 1:1 message from Alice. */
function fromAlice(id: string): Pick<
  MessageData,
  'id' | 'chat' | 'chat_type' | 'chat_name' | 'sender' | 'sender_phone' | 'sender_name' | 'from_me' | 'timestamp'
> {
  return {
    id,
    chat: ALICE,
    chat_type: 'individual',
    chat_name: 'Alice',
    sender: ALICE,
    sender_phone: '+4917612345678',
    sender_name: 'Alice',
    from_me: false,
    timestamp: T_ISO,
  };
}

const NO_CONTENT = {
  text: null,
  caption: null,
  media: null,
  location: null,
  contact: null,
  poll: null,
  quoted_id: null,
  mentions: [],
  reaction: null,
  poll_vote: null,
  target_id: null,
};

describe('normaliseMessage: every kind from the builder', () => {
  it('text', async () => {
    const message = incoming({ kind: 'text', text: 'Hello there', id: 'M1' });
    assert.equal(message.message?.conversation, 'Hello there', 'plain text travels as conversation');
    assert.deepEqual(await normalised(overTheWire(message)), {
      ...fromAlice('M1'),
      ...NO_CONTENT,
      kind: 'text',
      text: 'Hello there',
    });
  });

  it('text replying to and mentioning someone uses the extended form', async () => {
    const earlier = incoming({ kind: 'text', text: 'first', id: 'Q1' });
    const message = incoming({ kind: 'text', text: 'reply', id: 'M2', quoted_id: 'Q1', mentions: [BOB, ALICE_LID] }, store(earlier));
    assert.equal(message.message?.extendedTextMessage?.contextInfo?.stanzaId, 'Q1');
    assert.equal(message.message?.extendedTextMessage?.contextInfo?.quotedMessage?.conversation, 'first');
    const data = await normalised(overTheWire(message));
    assert.equal(data.kind, 'text');
    assert.equal(data.text, 'reply');
    assert.equal(data.quoted_id, 'Q1');
    assert.deepEqual(data.mentions, [BOB, ALICE], 'mentioned LIDs are mapped to phone-number jids');
  });

  it('image with caption', async () => {
    const message = incoming({ kind: 'image', id: 'IMG1', caption: 'Look', media: { mimetype: 'image/png', size: 2048 } });
    assert.equal(message.message?.imageMessage?.mediaKey?.length, 32);
    assert.deepEqual(await normalised(overTheWire(message)), {
      ...fromAlice('IMG1'),
      ...NO_CONTENT,
      kind: 'image',
      caption: 'Look',
      media: { media_id: 'r_IMG1', mimetype: 'image/png', filename: null, size: 2048, seconds: null },
    });
  });

  it('video', async () => {
    const data = await normalised(overTheWire(incoming({ kind: 'video', id: 'V1', media: { size: 10, seconds: 12 } })));
    assert.equal(data.kind, 'video');
    assert.equal(data.caption, null);
    assert.deepEqual(data.media, { media_id: 'r_V1', mimetype: 'video/mp4', filename: null, size: 10, seconds: 12 });
  });

  it('voice note is still audio, with its length', async () => {
    const message = incoming({ kind: 'audio', id: 'A1', voice: true, media: { seconds: 7, size: 5000 } });
    assert.equal(message.message?.audioMessage?.ptt, true);
    const data = await normalised(overTheWire(message));
    assert.equal(data.kind, 'audio');
    assert.deepEqual(data.media, {
      media_id: 'r_A1',
      mimetype: 'audio/ogg; codecs=opus',
      filename: null,
      size: 5000,
      seconds: 7,
    });
  });

  it('document without and with caption (the captioned one arrives wrapped)', async () => {
    const plain = incoming({ kind: 'document', id: 'D1', media: { filename: 'bill.pdf', mimetype: 'application/pdf', size: 99 } });
    assert.ok(plain.message?.documentMessage);
    const plainData = await normalised(overTheWire(plain));
    assert.equal(plainData.kind, 'document');
    assert.equal(plainData.caption, null);
    assert.deepEqual(plainData.media, { media_id: 'r_D1', mimetype: 'application/pdf', filename: 'bill.pdf', size: 99, seconds: null });

    const captioned = incoming({ kind: 'document', id: 'D2', caption: 'Your bill', media: { filename: 'bill.pdf' } });
    assert.ok(captioned.message?.documentWithCaptionMessage?.message?.documentMessage);
    const data = await normalised(overTheWire(captioned));
    assert.equal(data.kind, 'document');
    assert.equal(data.caption, 'Your bill');
    assert.equal(data.media?.filename, 'bill.pdf');
  });

  it('sticker', async () => {
    const data = await normalised(overTheWire(incoming({ kind: 'sticker', id: 'S1' })));
    assert.equal(data.kind, 'sticker');
    assert.deepEqual(data.media, { media_id: 'r_S1', mimetype: 'image/webp', filename: null, size: null, seconds: null });
  });

  it('location', async () => {
    const message = incoming({
      kind: 'location',
      id: 'L1',
      location: { latitude: 52.52, longitude: 13.405, name: 'Berlin', address: 'Alexanderplatz' },
    });
    assert.deepEqual(await normalised(overTheWire(message)), {
      ...fromAlice('L1'),
      ...NO_CONTENT,
      kind: 'location',
      location: { latitude: 52.52, longitude: 13.405, name: 'Berlin', address: 'Alexanderplatz' },
    });
  });

  it('contact', async () => {
    const data = await normalised(overTheWire(incoming({ kind: 'contact', id: 'C1', contact: { name: 'Bob', phone: '+447700900123' } })));
    assert.equal(data.kind, 'contact');
    assert.equal(data.contact?.name, 'Bob');
    assert.equal(data.contact?.phone, '+447700900123');
    assert.match(data.contact?.vcard ?? '', /^BEGIN:VCARD/);
  });

  it('poll: single choice (v3) and multiple choice (v1)', async () => {
    const single = incoming({ kind: 'poll', id: 'P1', poll: { question: 'Pizza?', options: ['Yes', 'No'], multiple: false } });
    assert.ok(single.message?.pollCreationMessageV3);
    assert.equal(single.message?.messageContextInfo?.messageSecret?.length, 32);
    assert.deepEqual(await normalised(overTheWire(single)), {
      ...fromAlice('P1'),
      ...NO_CONTENT,
      kind: 'poll',
      poll: { question: 'Pizza?', options: ['Yes', 'No'], multiple: false },
    });
    const multiple = incoming({ kind: 'poll', id: 'P2', poll: { question: 'Toppings', options: ['A', 'B', 'C'], multiple: true } });
    assert.ok(multiple.message?.pollCreationMessage);
    assert.deepEqual((await normalised(multiple)).poll, { question: 'Toppings', options: ['A', 'B', 'C'], multiple: true });
  });

  it('reaction, and an empty emoji for a removed reaction', async () => {
    const data = await normalised(overTheWire(incoming({ kind: 'reaction', id: 'R1', reaction: { message_id: 'M1', emoji: '👍' } })));
    assert.deepEqual(data, { ...fromAlice('R1'), ...NO_CONTENT, kind: 'reaction', reaction: { message_id: 'M1', emoji: '👍' } });
    const removed = await normalised(incoming({ kind: 'reaction', id: 'R2', reaction: { message_id: 'M1', emoji: '' } }));
    assert.deepEqual(removed.reaction, { message_id: 'M1', emoji: '' });
  });

  it('poll vote on our own poll is really encrypted and decrypts to option names', async () => {
    const poll = buildOwnMessage(
      { to: ALICE, kind: 'poll', id: 'OWNPOLL', poll: { question: 'When?', options: ['Mon', 'Tue', 'Wed'], multiple: true } },
      OWN,
    );
    const messages = store(poll);
    const vote = incoming({ kind: 'poll_vote', id: 'VOTE1', poll_vote: { poll_id: 'OWNPOLL', selected: ['Wed', 'Mon'] } }, messages);
    const update = vote.message?.pollUpdateMessage;
    assert.ok(update?.vote?.encPayload && update.vote.encIv, 'the vote carries ciphertext');
    assert.throws(
      () =>
        decryptPollVote(update.vote!, {
          pollCreatorJid: OWN,
          pollMsgId: 'OWNPOLL',
          pollEncKey: randomBytes(32),
          voterJid: ALICE,
        }),
      'a wrong secret does not decrypt',
    );
    assert.deepEqual(await normalised(overTheWire(vote), context(messages)), {
      ...fromAlice('VOTE1'),
      ...NO_CONTENT,
      kind: 'poll_vote',
      poll_vote: { poll_id: 'OWNPOLL', selected: ['Mon', 'Wed'] },
    });
  });

  it('poll vote in a group on a poll someone else created', async () => {
    const poll = buildIncomingMessage(
      { from: BOB, chat: GROUP, kind: 'poll', id: 'GPOLL', poll: { question: 'Venue', options: ['Here', 'There'], multiple: false } },
      OWN,
    );
    const messages = store(poll);
    const vote = buildIncomingMessage(
      { from: ALICE, chat: GROUP, kind: 'poll_vote', id: 'GVOTE', poll_vote: { poll_id: 'GPOLL', selected: ['There'] } },
      OWN,
      finder(messages),
    );
    const data = await normalised(vote, context(messages));
    assert.equal(data.chat, GROUP);
    assert.equal(data.sender, ALICE);
    assert.deepEqual(data.poll_vote, { poll_id: 'GPOLL', selected: ['There'] });
  });

  it('poll vote encrypted with the LID identities (as current clients do) still decrypts', async () => {
    const poll = buildOwnMessage({ to: ALICE, kind: 'poll', id: 'LIDPOLL', poll: { question: 'Q', options: ['x', 'y'], multiple: true } }, OWN);
    const secret = poll.message!.messageContextInfo!.messageSecret!;
    // Creator named by our LID, voter by their phone number: the mix one client version uses.
    const vote: WAMessage = Object.assign(
      proto.WebMessageInfo.fromObject({
        messageTimestamp: T,
        message: {
          pollUpdateMessage: {
            pollCreationMessageKey: { remoteJid: ALICE_LID, fromMe: true, id: 'LIDPOLL' },
            vote: encryptPollVote({ pollId: 'LIDPOLL', secret, creatorJid: OWN_LID, voterJid: ALICE }, ['y']),
          },
        },
      }),
      { key: { remoteJid: ALICE_LID, remoteJidAlt: ALICE, fromMe: false, id: 'LIDVOTE' } },
    );
    const data = await normalised(vote, context(store(poll)));
    assert.equal(data.chat, ALICE);
    assert.deepEqual(data.poll_vote, { poll_id: 'LIDPOLL', selected: ['y'] });
  });

  it('edit (arrives wrapped in editedMessage) and delete', async () => {
    const edit = incoming({ kind: 'edit', id: 'E1', target_id: 'M1', text: 'fixed typo' });
    assert.equal(edit.message?.editedMessage?.message?.protocolMessage?.type, proto.Message.ProtocolMessage.Type.MESSAGE_EDIT);
    assert.deepEqual(await normalised(overTheWire(edit)), {
      ...fromAlice('E1'),
      ...NO_CONTENT,
      kind: 'edit',
      text: 'fixed typo',
      target_id: 'M1',
    });
    const del = await normalised(overTheWire(incoming({ kind: 'delete', id: 'X1', target_id: 'M1' })));
    assert.deepEqual(del, { ...fromAlice('X1'), ...NO_CONTENT, kind: 'delete', target_id: 'M1' });
  });

  it('other: real content without a dedicated kind', async () => {
    const data = await normalised(overTheWire(incoming({ kind: 'other', id: 'O1', text: 'Birthday' })));
    assert.deepEqual(data, { ...fromAlice('O1'), ...NO_CONTENT, kind: 'other' });
  });

  it('a group message names the group and the participant', async () => {
    const message = buildIncomingMessage({ from: BOB, chat: GROUP, name: 'Bob', kind: 'text', text: 'hi all', id: 'G1', timestamp: T }, OWN);
    assert.deepEqual(await normalised(overTheWire(message)), {
      ...NO_CONTENT,
      id: 'G1',
      chat: GROUP,
      chat_type: 'group',
      chat_name: 'Family',
      sender: BOB,
      sender_phone: '+447700900123',
      sender_name: 'Bob',
      from_me: false,
      timestamp: T_ISO,
      kind: 'text',
      text: 'hi all',
    });
  });

  it('a message we wrote on the phone', async () => {
    const message = buildIncomingMessage({ from: ALICE, fromMe: true, kind: 'text', text: 'on my way', id: 'ME1', timestamp: T }, OWN);
    const data = await normalised(message);
    assert.equal(data.from_me, true);
    assert.equal(data.chat, ALICE);
    assert.equal(data.chat_name, null, 'our own push name is not the chat name');
    assert.equal(data.sender, OWN);
    assert.equal(data.sender_phone, '+15550000001');
  });
});

/** A message exactly as Baileys hands it over after decrypting, built field by field. */
function raw(key: WAMessageKey, message: proto.IMessage, extra: Partial<proto.IWebMessageInfo> = {}): WAMessage {
  const info = proto.WebMessageInfo.fromObject({ message, messageTimestamp: T, pushName: 'Alice', ...extra });
  return Object.assign(info, { key });
}

describe('normaliseMessage: messages as WhatsApp sends them', () => {
  it('unwraps a disappearing (ephemeral) reply', async () => {
    const message = raw(
      { remoteJid: ALICE, fromMe: false, id: 'EPH1' },
      {
        ephemeralMessage: {
          message: {
            extendedTextMessage: {
              text: 'vanishes',
              contextInfo: { stanzaId: 'ORIG', participant: OWN, quotedMessage: { conversation: 'orig' }, mentionedJid: [OWN] },
            },
          },
        },
      },
    );
    const data = await normalised(message);
    assert.equal(data.kind, 'text');
    assert.equal(data.text, 'vanishes');
    assert.equal(data.quoted_id, 'ORIG');
    assert.deepEqual(data.mentions, [OWN]);
  });

  it('unwraps view-once media', async () => {
    const message = raw(
      { remoteJid: ALICE, fromMe: false, id: 'VO1' },
      { viewOnceMessageV2: { message: { imageMessage: { mimetype: 'image/jpeg', caption: 'once', fileLength: 321, viewOnce: true } } } },
    );
    const data = await normalised(message);
    assert.equal(data.kind, 'image');
    assert.equal(data.caption, 'once');
    assert.deepEqual(data.media, { media_id: 'r_VO1', mimetype: 'image/jpeg', filename: null, size: 321, seconds: null });
  });

  it('unwraps a document with caption whose file name is only in the title', async () => {
    const message = raw(
      { remoteJid: ALICE, fromMe: false, id: 'DOC1' },
      { documentWithCaptionMessage: { message: { documentMessage: { mimetype: 'text/plain', title: 'notes.txt', caption: 'read me' } } } },
    );
    const data = await normalised(message);
    assert.equal(data.kind, 'document');
    assert.equal(data.caption, 'read me');
    assert.equal(data.media?.filename, 'notes.txt');
  });

  it('unwraps what our other device sent (deviceSentMessage)', async () => {
    const message = raw(
      { remoteJid: ALICE, fromMe: true, id: 'DSM1' },
      { deviceSentMessage: { destinationJid: ALICE, message: { conversation: 'from desktop' } } },
    );
    const data = await normalised(message);
    assert.equal(data.text, 'from desktop');
    assert.equal(data.from_me, true);
  });

  it('an edit as a bare protocol message, replacing a caption', async () => {
    const message = raw(
      { remoteJid: ALICE, fromMe: false, id: 'ED2' },
      {
        protocolMessage: {
          type: proto.Message.ProtocolMessage.Type.MESSAGE_EDIT,
          key: { remoteJid: ALICE, fromMe: true, id: 'IMG9' },
          editedMessage: { imageMessage: { caption: 'better caption' } },
          timestampMs: T * 1000,
        },
      },
    );
    const data = await normalised(message);
    assert.equal(data.kind, 'edit');
    assert.equal(data.target_id, 'IMG9');
    assert.equal(data.caption, 'better caption');
    assert.equal(data.text, 'better caption');
  });

  it('a revoke in a group', async () => {
    const message = raw(
      { remoteJid: GROUP, fromMe: false, id: 'REV1', participant: BOB },
      { protocolMessage: { type: proto.Message.ProtocolMessage.Type.REVOKE, key: { remoteJid: GROUP, fromMe: true, id: 'OLD1' } } },
    );
    const data = await normalised(message);
    assert.equal(data.kind, 'delete');
    assert.equal(data.target_id, 'OLD1');
    assert.equal(data.sender, BOB);
  });

  it('live location and the first of several contacts', async () => {
    const live = await normalised(
      raw({ remoteJid: ALICE, fromMe: false, id: 'LL1' }, { liveLocationMessage: { degreesLatitude: 1.5, degreesLongitude: -2.25, caption: 'omw' } }),
    );
    assert.equal(live.kind, 'location');
    assert.deepEqual(live.location, { latitude: 1.5, longitude: -2.25, name: null, address: null });
    assert.equal(live.caption, 'omw');

    const contacts = await normalised(
      raw(
        { remoteJid: ALICE, fromMe: false, id: 'CA1' },
        {
          contactsArrayMessage: {
            displayName: '2 contacts',
            contacts: [
              { displayName: 'Carol', vcard: 'BEGIN:VCARD\nVERSION:3.0\nFN:Carol\nTEL;type=CELL:+1 555 010 0000\nEND:VCARD' },
              { displayName: 'Dave', vcard: 'BEGIN:VCARD\nFN:Dave\nEND:VCARD' },
            ],
          },
        },
      ),
    );
    assert.equal(contacts.kind, 'contact');
    assert.equal(contacts.contact?.name, 'Carol');
    assert.equal(contacts.contact?.phone, '+15550100000');
  });

  it('announcement-group poll (v2)', async () => {
    const data = await normalised(
      raw(
        { remoteJid: GROUP, fromMe: false, id: 'PV2', participant: BOB },
        { pollCreationMessageV2: { name: 'Q', options: [{ optionName: 'a' }, { optionName: 'b' }], selectableOptionsCount: 2 } },
      ),
    );
    assert.deepEqual(data.poll, { question: 'Q', options: ['a', 'b'], multiple: true });
  });

  describe('LID addressing', () => {
    it('1:1 from a LID with the phone number sent along: chat and sender are the phone jid', async () => {
      const message = raw({ remoteJid: ALICE_LID, remoteJidAlt: ALICE, fromMe: false, id: 'LID1', addressingMode: 'lid' }, { conversation: 'hi' });
      const data = await normalised(message, staticNormaliseContext({ ownJid: OWN }));
      assert.equal(data.chat, ALICE);
      assert.equal(data.sender, ALICE);
      assert.equal(data.sender_phone, '+4917612345678');
    });

    it('1:1 from a LID whose phone number Baileys has mapped', async () => {
      const data = await normalised(raw({ remoteJid: ALICE_LID, fromMe: false, id: 'LID2' }, { conversation: 'hi' }));
      assert.equal(data.chat, ALICE);
      assert.equal(data.sender_phone, '+4917612345678');
    });

    it('1:1 from a LID nobody has mapped: the LID stays, the phone is unknown', async () => {
      const data = await normalised(raw({ remoteJid: STRANGER_LID, fromMe: false, id: 'LID3' }, { conversation: 'hi' }));
      assert.equal(data.chat, STRANGER_LID);
      assert.equal(data.sender, STRANGER_LID);
      assert.equal(data.sender_phone, null);
      assert.equal(data.sender_name, 'Alice');
    });

    it('group message from a LID participant, with and without participantAlt', async () => {
      const withAlt = await normalised(
        raw({ remoteJid: GROUP, participant: BOB_LID, participantAlt: BOB, fromMe: false, id: 'GL1' }, { conversation: 'x' }),
      );
      assert.equal(withAlt.sender, BOB);
      assert.equal(withAlt.sender_phone, '+447700900123');
      assert.equal(withAlt.chat, GROUP);
      assert.equal(withAlt.chat_name, 'Family');

      const unmapped = await normalised(raw({ remoteJid: GROUP, participant: BOB_LID, fromMe: false, id: 'GL2' }, { conversation: 'x' }));
      assert.equal(unmapped.sender, BOB_LID);
      assert.equal(unmapped.sender_phone, null);
    });

    it('our own message to a LID chat does not take our own number for the peer', async () => {
      // For messages from our other devices Baileys can put our own phone number in remoteJidAlt.
      const message = raw({ remoteJid: ALICE_LID, remoteJidAlt: OWN, fromMe: true, id: 'OWNLID' }, { conversation: 'sent' });
      const data = await normalised(message);
      assert.equal(data.chat, ALICE, 'the peer comes from the LID mapping');
      assert.equal(data.sender, OWN);
    });
  });
});

describe('normaliseMessage: what is not a message', () => {
  const cases: Array<[string, WAMessage]> = [
    ['a status update', raw({ remoteJid: 'status@broadcast', participant: ALICE, fromMe: false, id: 'N1' }, { conversation: 'my status' })],
    ['a channel post', raw({ remoteJid: '120363000000000000@newsletter', fromMe: false, id: 'N2' }, { conversation: 'news' })],
    ['a broadcast list', raw({ remoteJid: '1234567890@broadcast', participant: ALICE, fromMe: false, id: 'N3' }, { conversation: 'hi' })],
    [
      'a history sync notification',
      raw(
        { remoteJid: OWN, fromMe: true, id: 'N4' },
        { protocolMessage: { type: proto.Message.ProtocolMessage.Type.HISTORY_SYNC_NOTIFICATION, historySyncNotification: { chunkOrder: 1 } } },
      ),
    ],
    [
      'an app-state key share',
      raw(
        { remoteJid: OWN, fromMe: true, id: 'N5' },
        { protocolMessage: { type: proto.Message.ProtocolMessage.Type.APP_STATE_SYNC_KEY_SHARE, appStateSyncKeyShare: { keys: [] } } },
      ),
    ],
    [
      'a disappearing-messages setting change',
      raw({ remoteJid: ALICE, fromMe: false, id: 'N6' }, { protocolMessage: { type: proto.Message.ProtocolMessage.Type.EPHEMERAL_SETTING, ephemeralExpiration: 86400 } }),
    ],
    [
      'a sender-key distribution alone',
      raw(
        { remoteJid: GROUP, participant: BOB, fromMe: false, id: 'N7' },
        { senderKeyDistributionMessage: { groupId: GROUP, axolotlSenderKeyDistributionMessage: randomBytes(8) }, messageContextInfo: {} },
      ),
    ],
    ['a message without content', raw({ remoteJid: ALICE, fromMe: false, id: 'N8' }, {})],
    [
      'a group system message (participant added)',
      raw({ remoteJid: GROUP, participant: BOB, fromMe: false, id: 'N9' }, {}, {
        messageStubType: proto.WebMessageInfo.StubType.GROUP_PARTICIPANT_ADD,
        messageStubParameters: [JSON.stringify({ id: ALICE })],
      }),
    ],
    [
      'a message that failed to decrypt',
      raw({ remoteJid: ALICE, fromMe: false, id: 'N10' }, {}, {
        messageStubType: proto.WebMessageInfo.StubType.CIPHERTEXT,
        messageStubParameters: ['No session'],
      }),
    ],
  ];
  for (const [what, message] of cases) {
    it(`ignores ${what}`, async () => {
      assert.equal(await normaliseMessage(message, context()), null);
    });
  }

  it('drops a vote on a poll it never saw, and says so without content', async () => {
    const poll = buildOwnMessage({ to: ALICE, kind: 'poll', id: 'GONE', poll: { question: 'Q', options: ['a', 'b'], multiple: true } }, OWN);
    const vote = incoming({ kind: 'poll_vote', id: 'V9', poll_vote: { poll_id: 'GONE', selected: ['a'] } }, store(poll));
    const warnings: string[] = [];
    assert.equal(await normaliseMessage(vote, context(new Map(), warnings)), null);
    assert.equal(warnings.length, 1);
  });

  it('drops a vote that does not decrypt with the poll it names', async () => {
    const poll = buildOwnMessage({ to: ALICE, kind: 'poll', id: 'P', poll: { question: 'Q', options: ['a', 'b'], multiple: true } }, OWN);
    const vote = incoming({ kind: 'poll_vote', id: 'V8', poll_vote: { poll_id: 'P', selected: ['a'] } }, store(poll));
    // Another poll under the same id: a different secret.
    const impostor = buildOwnMessage({ to: ALICE, kind: 'poll', id: 'P', poll: { question: 'Q', options: ['a', 'b'], multiple: true } }, OWN);
    const warnings: string[] = [];
    assert.equal(await normaliseMessage(vote, context(store(impostor), warnings)), null);
    assert.deepEqual(warnings, ['poll vote could not be decrypted; dropped']);
  });
});

describe('wa-message-builder rejects what WhatsApp could not send', () => {
  const poll = buildOwnMessage({ to: ALICE, kind: 'poll', id: 'P', poll: { question: 'Q', options: ['a', 'b'], multiple: false } }, OWN);
  const cases: Array<[string, Omit<IncomingSpec, 'from'>]> = [
    ['text without text', { kind: 'text' }],
    ['a vote on an unknown poll', { kind: 'poll_vote', poll_vote: { poll_id: 'NOPE', selected: ['a'] } }],
    ['a vote for an option the poll lacks', { kind: 'poll_vote', poll_vote: { poll_id: 'P', selected: ['z'] } }],
    ['two choices on a single-choice poll', { kind: 'poll_vote', poll_vote: { poll_id: 'P', selected: ['a', 'b'] } }],
    ['an edit without target', { kind: 'edit', text: 'x' }],
    ['a poll with one option', { kind: 'poll', poll: { question: 'Q', options: ['only'], multiple: false } }],
    ['a direct message with a non-group chat', { kind: 'text', text: 'x', chat: BOB }],
  ];
  for (const [what, spec] of cases) {
    it(what, () => {
      assert.throws(() => incoming(spec, store(poll)), IncomingSpecError);
    });
  }
});

describe('normaliseReceipt', () => {
  const key = { remoteJid: ALICE, fromMe: true, id: 'SENT1' };
  const statuses: Array<[proto.WebMessageInfo.Status, string | null]> = [
    [proto.WebMessageInfo.Status.ERROR, 'failed'],
    [proto.WebMessageInfo.Status.PENDING, null],
    [proto.WebMessageInfo.Status.SERVER_ACK, 'sent'],
    [proto.WebMessageInfo.Status.DELIVERY_ACK, 'delivered'],
    [proto.WebMessageInfo.Status.READ, 'read'],
    [proto.WebMessageInfo.Status.PLAYED, 'played'],
  ];
  for (const [status, expected] of statuses) {
    it(`maps ${proto.WebMessageInfo.Status[status]} to ${expected ?? 'nothing'}`, async () => {
      const data = await normaliseReceipt({ key, update: { status } }, context());
      assert.deepEqual(data, expected === null ? null : { id: 'SENT1', chat: ALICE, status: expected });
    });
  }

  it('ignores statuses of messages that are not ours, and updates without a status', async () => {
    assert.equal(await normaliseReceipt({ key: { ...key, fromMe: false }, update: { status: 4 } }, context()), null);
    assert.equal(await normaliseReceipt({ key, update: { message: null, messageStubType: 1 } }, context()), null);
  });

  it('reports the chat of a LID-addressed receipt by phone number', async () => {
    const data = await normaliseReceipt({ key: { remoteJid: ALICE_LID, fromMe: true, id: 'S2' }, update: { status: 3 } }, context());
    assert.deepEqual(data, { id: 'S2', chat: ALICE, status: 'delivered' });
  });

  it('maps per-member group receipts', async () => {
    const groupKey = { remoteJid: GROUP, fromMe: true, id: 'GS1' };
    const receipt = (r: proto.IUserReceipt) => normaliseReceipt({ key: groupKey, receipt: { userJid: BOB, ...r } }, context());
    assert.deepEqual(await receipt({ receiptTimestamp: T }), { id: 'GS1', chat: GROUP, status: 'delivered' });
    assert.deepEqual(await receipt({ readTimestamp: T }), { id: 'GS1', chat: GROUP, status: 'read' });
    assert.deepEqual(await receipt({ playedTimestamp: T }), { id: 'GS1', chat: GROUP, status: 'played' });
    assert.equal(await receipt({}), null);
  });
});

describe('group events', () => {
  it('participants are reported by phone number where known', async () => {
    const data = await normaliseGroupParticipants(
      { id: GROUP, action: 'add', participants: [{ id: BOB_LID, phoneNumber: BOB }, { id: ALICE_LID }, { id: STRANGER_LID }] },
      context(),
    );
    assert.deepEqual(data, { jid: GROUP, action: 'add', participants: [BOB, ALICE, STRANGER_LID], subject: null });
  });

  for (const action of ['remove', 'promote', 'demote', 'modify'] as const) {
    it(`keeps the action ${action}`, async () => {
      const data = await normaliseGroupParticipants({ id: GROUP, action, participants: [{ id: BOB }] }, context());
      assert.equal(data.action, action);
      assert.deepEqual(data.participants, [BOB]);
    });
  }

  it('a subject change becomes a subject event; other group changes are not journalled', () => {
    assert.deepEqual(normaliseGroupUpdate({ id: GROUP, subject: 'Family 2.0', author: BOB }), {
      jid: GROUP,
      action: 'subject',
      participants: [],
      subject: 'Family 2.0',
    });
    assert.equal(normaliseGroupUpdate({ id: GROUP, announce: true }), null);
  });
});

describe('phoneFromVcard', () => {
  it('prefers the waid, then the first TEL line, else nothing', () => {
    assert.equal(phoneFromVcard('TEL;type=CELL;waid=4917612345678:+49 176 12345678'), '+4917612345678');
    assert.equal(phoneFromVcard('BEGIN:VCARD\nTEL:(555) 010-0000\nEND:VCARD'), '+5550100000');
    assert.equal(phoneFromVcard('BEGIN:VCARD\nFN:x\nEND:VCARD'), null);
    assert.equal(phoneFromVcard(null), null);
  });
});
