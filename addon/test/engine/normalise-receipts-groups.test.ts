import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { proto } from 'baileys';

import { phoneFromVcard } from '../../src/engine/message-content.js';
import { normaliseGroupParticipants, normaliseGroupUpdate } from '../../src/engine/normalise-groups.js';
import { normaliseReceipt } from '../../src/engine/normalise-receipts.js';

import { ALICE, ALICE_LID, BOB, BOB_LID, context, GROUP, STRANGER_LID, T } from './normalise-fixtures.js';

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
