import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';

import { proto, type WAMessage } from 'baileys';

import { normaliseMessage } from '../../src/engine/normalise.js';
import { buildOwnMessage, IncomingSpecError, type IncomingSpec } from '../../src/engine/wa-message-builder.js';

import { ALICE, BOB, context, GROUP, incoming, OWN, raw, store } from './normalise-fixtures.js';

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
