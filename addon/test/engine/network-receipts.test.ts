/**
 * What contacts and groups report back to the real engine on the fake network: delivery, read and
 * played receipts for what the account sent, the phone's own copy of it, and group changes.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import type { GroupData, MessageStatusData } from '../../src/journal/types.js';
import { ALICE_JID, FAMILY, NetworkHarness, until } from './network-harness.js';

const CAROL = '15550000002';

describe('receipts and group changes reach the real engine on the fake network', () => {
  let net: NetworkHarness;
  const statusesOf = (id: string): string[] =>
    net.events().flatMap((event) => (event.type === 'message_status' && (event.data as MessageStatusData).id === id ? [(event.data as MessageStatusData).status] : []));
  const groupEvents = (): GroupData[] => net.events().flatMap((event) => (event.type === 'group' ? [event.data as GroupData] : []));

  before(async () => {
    net = await NetworkHarness.start();
    await net.linkAndOpen();
  });

  after(async () => net.stop());

  it('a text is delivered, then read; the account’s phone gets its own copy', async () => {
    const sent = await net.connection!.send({ to: ALICE_JID, content: { type: 'text', text: 'did you get this?' }, replyTo: null, mentions: [] });
    await net.contacts.settle();
    assert.equal(net.contacts.copiedToPhone(sent.id), true, 'the phone shows what the add-on sent');
    await until(() => statusesOf(sent.id).includes('delivered'), 'the delivery receipt');
    net.contacts.markRead(sent.id);
    await until(() => statusesOf(sent.id).includes('read'), 'the read receipt');
    const statuses = statusesOf(sent.id);
    assert.ok(statuses.indexOf('delivered') < statuses.indexOf('read'));
  });

  it('a voice note is played', async () => {
    const path = join(net.dir, 'note.ogg');
    await writeFile(path, Buffer.from('OggS a voice note '.repeat(20)));
    const sent = await net.connection!.send({
      to: ALICE_JID,
      content: { type: 'audio', media: { path, mimetype: 'audio/ogg; codecs=opus', size: 360 }, caption: null, filename: null, voice: true },
      replyTo: null,
      mentions: [],
    });
    await net.contacts.settle();
    net.contacts.markRead(sent.id, 'played');
    await until(() => statusesOf(sent.id).includes('played'), 'the played receipt');
  });

  it('a group message is read by its members', async () => {
    const sent = await net.connection!.send({ to: FAMILY, content: { type: 'text', text: 'dinner at 7' }, replyTo: null, mentions: [] });
    await net.contacts.settle();
    assert.ok(net.contacts.readBy(sent.id).includes(CAROL));
    net.contacts.markRead(sent.id);
    await until(() => statusesOf(sent.id).includes('read'), 'a read receipt from a member');
  });

  it('promotions, demotions and a new subject are journalled as group events', async () => {
    const before = groupEvents().length;
    net.contacts.groupPromote(FAMILY, [`+${CAROL}`]);
    net.contacts.groupDemote(FAMILY, [`+${CAROL}`]);
    net.contacts.setSubject(FAMILY, 'Family (summer)');
    await until(() => groupEvents().length >= before + 3, 'three group events');
    const [promote, demote, subject] = groupEvents().slice(before);
    assert.deepEqual([promote?.jid, promote?.action, promote?.participants], [FAMILY, 'promote', [`${CAROL}@s.whatsapp.net`]]);
    assert.deepEqual([demote?.action, demote?.participants], ['demote', [`${CAROL}@s.whatsapp.net`]]);
    assert.deepEqual([subject?.action, subject?.subject], ['subject', 'Family (summer)']);
  });
});
