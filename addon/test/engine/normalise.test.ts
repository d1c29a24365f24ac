import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';

import { decryptPollVote, proto, type WAMessage } from 'baileys';

import { encryptPollVote } from '../../src/engine/poll-crypto.js';
import { buildIncomingMessage, buildOwnMessage } from '../../src/engine/wa-message-builder.js';

import {
  ALICE,
  ALICE_LID,
  BOB,
  context,
  finder,
  fromAlice,
  GROUP,
  incoming,
  NO_CONTENT,
  normalised,
  overTheWire,
  OWN,
  OWN_LID,
  store,
  T,
  T_ISO,
} from './normalise-fixtures.js';

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
