/**
 * Every kind of message a contact (or the user on their phone) can send reaches the journal as the
 * contract's `message` data, end to end: the contact's Signal peer encrypts it, the fake network
 * delivers it, the real Baileys socket decrypts it and the engine normalises it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { ACCOUNT_JID, ALICE, ALICE_JID, ALICE_LID, BOB, FAMILY, NetworkHarness } from './network-harness.js';

describe('incoming messages of every kind through the real engine on the fake network', () => {
  let net: NetworkHarness;

  before(async () => {
    net = await NetworkHarness.start();
    await net.linkAndOpen();
  });

  after(async () => net.stop());

  it('a LID-addressed text names the sender by phone number, with their name', async () => {
    const id = await net.contacts.deliver({ from: `+${ALICE}`, text: 'hello', addressing: 'lid' });
    const data = await net.waitForMessage(id);
    assert.equal(data.kind, 'text');
    assert.equal(data.text, 'hello');
    assert.equal(data.chat, ALICE_JID);
    assert.equal(data.chat_type, 'individual');
    assert.equal(data.sender_phone, `+${ALICE}`);
    assert.equal(data.sender_name, 'Alice');
    assert.equal(data.from_me, false);
  });

  it('a phone-number-addressed text lands in the same chat', async () => {
    const id = await net.contacts.deliver({ from: ALICE_JID, text: 'by number', addressing: 'pn' });
    const data = await net.waitForMessage(id);
    assert.equal(data.chat, ALICE_JID);
    assert.equal(data.sender_phone, `+${ALICE}`);
  });

  it('media of every kind arrives with its fields, and its bytes download from the media host', async () => {
    const cases = [
      { kind: 'image', caption: 'the door', media: { mimetype: 'image/jpeg', size: 2048 } },
      { kind: 'video', caption: 'the garden', media: { mimetype: 'video/mp4', size: 4096, seconds: 7 } },
      { kind: 'audio', voice: true, media: { mimetype: 'audio/ogg; codecs=opus', size: 1500, seconds: 3 } },
      { kind: 'document', media: { mimetype: 'application/pdf', filename: 'bill.pdf', size: 3000 } },
      { kind: 'sticker', media: { mimetype: 'image/webp', size: 700 } },
    ] as const;
    for (const spec of cases) {
      const id = await net.contacts.deliver({ from: `+${ALICE}`, ...spec });
      const data = await net.waitForMessage(id);
      assert.equal(data.kind, spec.kind);
      assert.equal(data.media?.mimetype, spec.media.mimetype, spec.kind);
      assert.equal(data.media?.size, spec.media.size, spec.kind);
      if ('caption' in spec) assert.equal(data.caption, spec.caption);
      if (spec.kind === 'document') assert.equal(data.media?.filename, 'bill.pdf');
      if ('seconds' in spec.media) assert.equal(data.media?.seconds, spec.media.seconds);
      const downloaded = await net.connection!.downloadMedia(id);
      assert.equal(downloaded?.data.length, spec.media.size, `${spec.kind} bytes decrypt`);
    }
  });

  it('a location, a contact card, a poll and other content', async () => {
    const location = await net.waitForMessage(
      await net.contacts.deliver({ from: `+${ALICE}`, kind: 'location', location: { latitude: 52.52, longitude: 13.405, name: 'Home', address: 'Street 1' } }),
    );
    assert.deepEqual(location.location, { latitude: 52.52, longitude: 13.405, name: 'Home', address: 'Street 1' });
    const contact = await net.waitForMessage(await net.contacts.deliver({ from: `+${ALICE}`, kind: 'contact', contact: { name: 'Plumber', phone: '+4915112345678' } }));
    assert.equal(contact.kind, 'contact');
    assert.equal(contact.contact?.name, 'Plumber');
    assert.equal(contact.contact?.phone, '+4915112345678');
    const poll = await net.waitForMessage(await net.contacts.deliver({ from: `+${ALICE}`, kind: 'poll', poll: { question: 'Dinner?', options: ['Pizza', 'Pasta'], multiple: false } }));
    assert.deepEqual(poll.poll, { question: 'Dinner?', options: ['Pizza', 'Pasta'], multiple: false });
    const other = await net.waitForMessage(await net.contacts.deliver({ from: `+${ALICE}`, kind: 'other', text: 'Barbecue' }));
    assert.equal(other.kind, 'other', 'content the journal has no kind for (a calendar event) still arrives');
  });

  it('a reaction, a reply and an edit and delete refer to the messages they change', async () => {
    const original = await net.contacts.deliver({ from: `+${ALICE}`, text: 'tpyo' });
    await net.waitForMessage(original);
    const reaction = await net.waitForMessage(await net.contacts.deliver({ from: `+${ALICE}`, kind: 'reaction', reaction: { message_id: original, emoji: '❤️' } }));
    assert.deepEqual(reaction.reaction, { message_id: original, emoji: '❤️' });
    const reply = await net.waitForMessage(await net.contacts.deliver({ from: `+${ALICE}`, text: 'see above', quoted_id: original }));
    assert.equal(reply.quoted_id, original);
    const edit = await net.waitForMessage(await net.contacts.deliver({ from: `+${ALICE}`, kind: 'edit', target_id: original, text: 'typo' }));
    assert.equal(edit.kind, 'edit');
    assert.equal(edit.target_id, original);
    assert.equal(edit.text, 'typo');
    const deleted = await net.waitForMessage(await net.contacts.deliver({ from: `+${ALICE}`, kind: 'delete', target_id: original }));
    assert.equal(deleted.kind, 'delete');
    assert.equal(deleted.target_id, original);
  });

  it('a vote on a poll the account sent is decrypted and names the chosen option', async () => {
    const sent = await net.connection!.send({ to: ALICE_JID, content: { type: 'poll', question: 'Lunch?', options: ['Soup', 'Salad'], multiple: false }, replyTo: null, mentions: [] });
    await net.contacts.settle();
    const vote = await net.waitForMessage(await net.contacts.deliver({ from: `+${ALICE}`, kind: 'poll_vote', poll_vote: { poll_id: sent.id, selected: ['Salad'] } }));
    assert.equal(vote.kind, 'poll_vote');
    assert.deepEqual(vote.poll_vote, { poll_id: sent.id, selected: ['Salad'] });
  });

  it('a group message with mentions, from a member, names the group and its subject', async () => {
    const id = await net.contacts.deliver({ from: `+${BOB}`, chat: FAMILY, text: '@Alice dinner?', mentions: [`${ALICE_LID}@lid`] });
    const data = await net.waitForMessage(id);
    assert.equal(data.chat, FAMILY);
    assert.equal(data.chat_type, 'group');
    assert.equal(data.chat_name, 'Family');
    assert.equal(data.sender_phone, `+${BOB}`);
    assert.equal(data.mentions.length, 1);
  });

  it('what the user writes on their phone arrives as from_me, in the chat it was written to', async () => {
    const id = await net.contacts.deliver({ from: `+${ALICE}`, text: 'sent from my phone', fromMe: true });
    const data = await net.waitForMessage(id);
    assert.equal(data.from_me, true);
    assert.equal(data.chat, ALICE_JID);
    assert.equal(data.sender, ACCOUNT_JID);
    assert.equal(data.text, 'sent from my phone');

    const byNumber = await net.waitForMessage(await net.contacts.deliver({ from: ALICE_JID, text: 'by number, from my phone', fromMe: true, addressing: 'pn' }));
    assert.equal(byNumber.from_me, true);
    assert.equal(byNumber.chat, ALICE_JID);

    const inGroup = await net.waitForMessage(await net.contacts.deliver({ from: `+${ALICE}`, chat: FAMILY, text: 'to the family, from my phone', fromMe: true }));
    assert.equal(inGroup.from_me, true);
    assert.equal(inGroup.chat, FAMILY);
    assert.equal(inGroup.sender, ACCOUNT_JID);
  });
});
