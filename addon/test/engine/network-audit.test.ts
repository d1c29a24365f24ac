/**
 * The protocol audit's findings, each as WhatsApp would provoke it: the real BaileysEngine with the
 * add-on's own stores, on the fake network. Each comment says what the code before the fix did.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import makeWASocket from 'baileys';

import { EngineRequestError } from '../../src/engine/types.js';
import type { CompanionLink } from '../../src/fakewa/types.js';
import type { GroupData } from '../../src/journal/types.js';
import { ACCOUNT_PHONE, ALICE, ALICE_JID, FAMILY, NetworkHarness, until } from './network-harness.js';

const BOB = '447700900123';
const DAVE = '15550000003';
const NEIGHBOURS = '120363000000000002@g.us';

describe('audit findings on the fake network: an open, linked engine', () => {
  let net: NetworkHarness;

  before(async () => {
    net = await NetworkHarness.start({ engine: { mediaReuploadTimeoutMs: 400 } });
    await net.linkAndOpen();
  });

  after(async () => net.stop());

  const sendText = async (to: string, text: string): Promise<string> => {
    const sent = await net.connection!.send({ to, content: { type: 'text', text }, replyTo: null, mentions: [] });
    await net.contacts.settle();
    return sent.id;
  };

  it('A1: a retry from a contact’s companion device, LID- or phone-addressed, is answered with the message', async () => {
    // Before: the message store matched only the exact chat jid, and Baileys asks with the jid of the
    // retry (`…:3@lid`, `…:3@s.whatsapp.net`): nothing was resent, the device showed "Waiting for this message".
    const id = await sendText(ALICE_JID, 'can your laptop read this?');
    assert.equal(await net.contacts.requestRetry(id, { device: 3, addressing: 'lid' }), true, 'resent to 3@lid');
    const second = await sendText(ALICE_JID, 'and this one?');
    assert.equal(await net.contacts.requestRetry(second, { device: 4, addressing: 'pn' }), true, 'resent to 4@s.whatsapp.net');
  });

  it('A10: a retry of an edit and of a delete is answered', async () => {
    // Before: edits and deletes were sent but not kept, so a device that missed one could never get it.
    const original = await sendText(ALICE_JID, 'tpyo');
    await net.connection!.edit(ALICE_JID, original, 'typo');
    await net.connection!.delete(ALICE_JID, original);
    await net.contacts.settle();
    const edit = net.contacts.outbox().find((entry) => entry.type === 'edit' && entry.message_id === original);
    const deletion = net.contacts.outbox().find((entry) => entry.type === 'delete' && entry.message_id === original);
    assert.ok(edit && deletion);
    assert.equal(await net.contacts.requestRetry(edit.id, { device: 5, addressing: 'lid' }), true, 'the edit is resent');
    assert.equal(await net.contacts.requestRetry(deletion.id, { device: 5, addressing: 'lid' }), true, 'the delete is resent');
  });

  it('A6: a LID-addressed vote on a poll sent to a phone number is journalled as poll_vote', async () => {
    // Before: the poll was kept under the phone-number chat, the vote asked under the LID: dropped.
    const poll = await net.connection!.send({ to: ALICE_JID, content: { type: 'poll', question: 'Tea?', options: ['Yes', 'No'], multiple: false }, replyTo: null, mentions: [] });
    await net.contacts.settle();
    const vote = await net.contacts.deliver({ from: `+${ALICE}`, addressing: 'lid', kind: 'poll_vote', poll_vote: { poll_id: poll.id, selected: ['Yes'] } });
    const data = await net.waitForMessage(vote);
    assert.equal(data.kind, 'poll_vote');
    assert.deepEqual(data.poll_vote, { poll_id: poll.id, selected: ['Yes'] });
  });

  it('A7: a member removed from a group the engine knows does not receive its next message', async () => {
    // Before: group metadata was cached once and never refreshed on membership changes. A removed
    // member was still addressed (given the sender key), so could read the group's next message.
    // The account has not written to this group yet, so a stale member list really addresses Bob.
    await net.connection!.groups();
    const changes = net.events().filter((event) => event.type === 'group').length;
    net.contacts.groupRemove(NEIGHBOURS, [BOB]);
    await until(() => net.events().filter((event) => event.type === 'group').length > changes, 'the removal to be journalled');
    const id = await sendText(NEIGHBOURS, 'meeting at 8');
    const readers = net.contacts.readBy(id);
    assert.ok(readers.includes(DAVE), 'members still read it');
    assert.ok(!readers.includes(BOB), 'the removed member does not');
  });

  it('A7: a member added to a group the engine knows receives its next message', async () => {
    // Before: the cached member list lacked the new member, who got no sender key ("Waiting for this message").
    await net.connection!.groups();
    const changes = net.events().filter((event) => event.type === 'group').length;
    net.contacts.groupAdd(FAMILY, [DAVE]);
    await until(() => net.events().filter((event) => event.type === 'group').length > changes, 'the addition to be journalled');
    const added = net.events().filter((event) => event.type === 'group').at(-1)!.data as GroupData;
    assert.equal(added.action, 'add');
    const id = await sendText(FAMILY, 'welcome, Dave');
    assert.ok(net.contacts.readBy(id).includes(DAVE), 'the new member reads it');
    assert.ok(net.contacts.readBy(id).includes(ALICE));
  });

  it('A9: expired media whose sender’s phone stays silent is a clear 504, not a hang', { timeout: 15_000 }, async () => {
    // Before: the re-upload request was awaited without a bound; the HTTP request hung for good.
    const id = await net.contacts.deliver({ from: `+${ALICE}`, kind: 'image', media: { mimetype: 'image/jpeg', size: 1024 } });
    await net.waitForMessage(id);
    const image = net.messages.get({ id })?.message?.imageMessage;
    assert.ok(image?.directPath);
    assert.equal(await net.media.host.expire(image.directPath), true);
    net.media.retries.answer = 'never';
    const started = Date.now();
    await assert.rejects(
      net.connection!.downloadMedia(id),
      (error: unknown) => error instanceof EngineRequestError && error.status === 504 && error.code === 'media_unavailable',
    );
    assert.ok(Date.now() - started < 5_000);
    net.media.retries.answer = 'reupload';
    const again = await net.connection!.downloadMedia(id);
    assert.equal(again?.data.length, 1024, 'a phone that answers uploads it again');
  });

  it('A12: a status update is acknowledged without an error, never journalled, and holds nothing up', async () => {
    // Before: Baileys tried to decrypt it, failed without the sender key, asked for it again and
    // answered with a negative ack; undecryptable statuses could stall the offline queue.
    const acks: Array<Record<string, string>> = [];
    net.network.router.on((node) => {
      if (node.tag === 'ack' && node.attrs.id === 'STATUS1') acks.push(node.attrs);
      return false;
    });
    const eventsBefore = net.events().length;
    for (const link of net.network.linksOf(ACCOUNT_PHONE)) {
      link.send({
        tag: 'message',
        attrs: { from: 'status@broadcast', participant: `${ALICE}@s.whatsapp.net`, id: 'STATUS1', type: 'media', t: Math.floor(Date.now() / 1000).toString() },
        content: [{ tag: 'enc', attrs: { v: '2', type: 'skmsg', mediatype: 'image' }, content: Buffer.alloc(64, 7) }],
      });
    }
    const after = await net.contacts.deliver({ from: `+${ALICE}`, text: 'after the status' });
    await net.waitForMessage(after);
    await net.contacts.settle();
    assert.equal(acks.length, 1);
    assert.equal(acks[0]!.error, undefined, 'no negative ack');
    assert.deepEqual(net.contacts.retryCountsOf('STATUS1'), [], 'no retry request');
    const journalled = net.events().slice(eventsBefore).filter((event) => event.type === 'message').map((event) => (event.data as { id: string }).id);
    assert.deepEqual(journalled, [after]);
  });

  it('A3: WhatsApp refusing the client version (405) is reported as clientOutdated', async () => {
    // Before: 405 was an unrecognised reason, and every install reconnected forever.
    net.reconnectOnRestart = false;
    const closes = net.closes().length;
    net.network.fail(405);
    const info = await until(() => net.closes()[closes], 'the close');
    assert.equal(info.reason, 'clientOutdated');
    assert.equal(info.statusCode, 405);
  });
});

describe('A11 on the fake network: retry counts survive a reconnect', () => {
  let net: NetworkHarness;
  before(async () => {
    net = await NetworkHarness.start();
    await net.linkAndOpen();
  });
  after(async () => net.stop());

  it(
    'the second request for an undecryptable message, on a new connection, counts 2',
    async () => {
      // Before: each socket had its own counter, so a message that can never be decrypted was asked
      // for again without end, one round per reconnect.
      const stranger = '+4915199990001';
      await assert.rejects(net.contacts.deliver({ from: stranger, id: 'GARBLED1', text: 'x', garbled: true }));
      assert.deepEqual(net.contacts.retryCountsOf('GARBLED1'), [1]);
      await net.connection!.close();
      await net.linkAndOpen();
      await assert.rejects(net.contacts.deliver({ from: stranger, id: 'GARBLED1', text: 'x', garbled: true }));
      assert.deepEqual(net.contacts.retryCountsOf('GARBLED1'), [1, 2]);
    },
  );
});

describe('A5 on the fake network: messages in the offline backlog survive a dropped connection', () => {
  let net: NetworkHarness;
  before(async () => {
    net = await NetworkHarness.start();
    await net.linkAndOpen();
  });
  after(async () => net.stop());

  it('what WhatsApp handed over before the connection dropped is journalled, none lost', async () => {
    // Before: Baileys holds the backlog in its event buffer until the offline marker; the socket
    // closed first and the buffer was thrown away, though every message had been acknowledged.
    net.reconnectOnRestart = false;
    await net.connection!.close();
    const ids: string[] = [];
    let armed = true;
    net.network.onLogin(async (link: CompanionLink) => {
      if (!armed) return;
      armed = false;
      for (const text of ['one', 'two', 'three']) ids.push(await net.contacts.post({ from: `+${ALICE}`, text: `while away: ${text}`, offline: true }));
      // The connection drops before WhatsApp says the backlog is through.
      link.terminate();
    });
    const closes = net.closes().length;
    net.connect();
    await until(() => net.closes()[closes], 'the dropped connection to be reported', 15_000);
    assert.equal(ids.length, 3);
    for (const id of ids) assert.ok(net.messageData(id), `${id} journalled before the close`);
    const order = net.reported.slice(net.reported.findIndex((r) => r.type === 'event' && (r.event.data as { id?: string }).id === ids[0]));
    assert.equal(order.at(-1)?.type, 'close', 'the close is reported after the messages');
  });
});

describe('A2 on the fake network: pairing by code', () => {
  it('the engine asks on a platform WhatsApp accepts, and the code the user types links it', async () => {
    // Before: the request said "Chrome (Home Assistant)", production refused it, and the user got a
    // code that could never work.
    const net = await NetworkHarness.start();
    try {
      net.connect();
      await until(() => net.count('qr') > 0, 'pairing to start');
      const code = await net.connection!.requestPairingCode(`+${ACCOUNT_PHONE}`);
      assert.match(code, /^[A-Z0-9]{8}$/);
      assert.deepEqual(net.network.pairingCodeRequests.map((request) => [request.platformDisplay, request.accepted]), [['Chrome (Mac OS)', true]]);
      await net.network.confirmPairingCode(code, ACCOUNT_PHONE, 'Home');
      await until(() => net.count('open') > 0, 'the linked connection to open', 15_000);
    } finally {
      await net.stop();
    }
  });

  it('a request WhatsApp refuses is an API error, never a code', async () => {
    // Before: Baileys handed out the code without waiting for WhatsApp's answer.
    const net = await NetworkHarness.start({
      // Baileys given its own copy of the old, non-canonical browser description.
      engine: { createSocket: (config) => makeWASocket({ ...config, browser: ['Home Assistant', 'Chrome', '1.0'] }), pairingReplyTimeoutMs: 3_000 },
    });
    try {
      net.connect();
      await until(() => net.count('qr') > 0, 'pairing to start');
      await assert.rejects(
        net.connection!.requestPairingCode(`+${ACCOUNT_PHONE}`),
        (error: unknown) => error instanceof EngineRequestError && error.status === 400 && error.code === 'pairing_code_refused',
      );
      assert.deepEqual(net.network.pairingCodeRequests.map((request) => [request.platformDisplay, request.accepted]), [['Chrome (Home Assistant)', false]]);
    } finally {
      await net.stop();
    }
  });
});
