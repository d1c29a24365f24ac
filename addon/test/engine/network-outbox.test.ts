/**
 * What the account sends through the real engine, as the contacts read it off the wire: every
 * content kind with its fields, replies and mentions, edits and deletes, read receipts and
 * presence. `settle()` makes the outbox complete without polling.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import type { OutgoingContent } from '../../src/engine/types.js';
import type { OutboxEntry } from '../../src/fakewa/contacts.js';
import { ALICE, ALICE_JID, FAMILY, NetworkHarness } from './network-harness.js';

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

describe('the outbox: what contacts read of what the real engine sends', () => {
  let net: NetworkHarness;
  const photo = Buffer.from('a jpeg, as far as anyone checks '.repeat(40));
  const pdf = Buffer.from('%PDF-1.4 an invoice '.repeat(30));
  let photoPath: string;
  let pdfPath: string;

  const send = async (to: string, content: OutgoingContent, extra: { replyTo?: string; mentions?: string[] } = {}): Promise<OutboxEntry> => {
    const sent = await net.connection!.send({ to, content, replyTo: extra.replyTo ?? null, mentions: extra.mentions ?? [] });
    await net.contacts.settle();
    const entry = net.contacts.outbox().find((candidate) => candidate.id === sent.id);
    assert.ok(entry, `${content.type} ${sent.id} is in the outbox as soon as settle() resolves`);
    return entry;
  };
  const since = async (before: number): Promise<OutboxEntry[]> => {
    await net.contacts.settle();
    return net.contacts.outbox().slice(before);
  };

  before(async () => {
    net = await NetworkHarness.start();
    await net.linkAndOpen();
    photoPath = join(net.dir, 'door.jpg');
    pdfPath = join(net.dir, 'bill.pdf');
    await writeFile(photoPath, photo);
    await writeFile(pdfPath, pdf);
  });

  after(async () => net.stop());

  it('text, with a reply and mentions', async () => {
    const first = await send(ALICE_JID, { type: 'text', text: 'hi' });
    assert.deepEqual([first.type, first.to, first.text], ['text', ALICE_JID, 'hi']);
    const reply = await send(FAMILY, { type: 'text', text: 'see above' }, { replyTo: first.id, mentions: [ALICE_JID] });
    assert.equal(reply.to, FAMILY);
    assert.equal(reply.reply_to, first.id);
    assert.equal((reply.mentions as string[]).length, 1);
  });

  it('every media kind with its size, hash, type, name, caption and voice flag', async () => {
    const media = (path: string, bytes: Buffer, mimetype: string) => ({ path, mimetype, size: bytes.length });
    const image = await send(ALICE_JID, { type: 'image', media: media(photoPath, photo, 'image/jpeg'), caption: 'the door', filename: null, voice: false });
    assert.deepEqual(
      [image.type, image.size, image.sha256, image.mimetype, image.caption, image.filename],
      ['image', photo.length, sha256(photo), 'image/jpeg', 'the door', null],
    );
    const document = await send(ALICE_JID, { type: 'document', media: media(pdfPath, pdf, 'application/pdf'), caption: 'March', filename: 'Invoice March.pdf', voice: false });
    assert.deepEqual([document.type, document.filename, document.caption, document.sha256], ['document', 'Invoice March.pdf', 'March', sha256(pdf)]);
    const voice = await send(ALICE_JID, { type: 'audio', media: media(pdfPath, pdf, 'audio/ogg; codecs=opus'), caption: null, filename: null, voice: true });
    assert.deepEqual([voice.type, voice.voice, voice.caption, voice.size], ['audio', true, null, pdf.length]);
    const video = await send(ALICE_JID, { type: 'video', media: media(photoPath, photo, 'video/mp4'), caption: 'clip', filename: null, voice: false });
    assert.deepEqual([video.type, video.caption, video.sha256], ['video', 'clip', sha256(photo)]);
    const sticker = await send(ALICE_JID, { type: 'sticker', media: media(photoPath, photo, 'image/webp'), caption: null, filename: null, voice: false });
    assert.deepEqual([sticker.type, sticker.sha256, sticker.mimetype], ['sticker', sha256(photo), 'image/webp']);
  });

  it('location, contact card, poll and reaction', async () => {
    const pin = await send(FAMILY, { type: 'location', latitude: 48.1, longitude: 11.5, name: 'Parking', address: 'Street 2' });
    assert.deepEqual([pin.type, pin.latitude, pin.longitude, pin.name, pin.address], ['location', 48.1, 11.5, 'Parking', 'Street 2']);
    const card = await send(ALICE_JID, { type: 'contact', name: 'Plumber', phone: '+4915112345678' });
    assert.deepEqual([card.type, card.name, card.phone], ['contact', 'Plumber', '+4915112345678']);
    const poll = await send(ALICE_JID, { type: 'poll', question: 'Pizza?', options: ['yes', 'no'], multiple: true });
    assert.deepEqual([poll.type, poll.question, poll.options, poll.multiple], ['poll', 'Pizza?', ['yes', 'no'], true]);
    const reaction = await send(ALICE_JID, { type: 'reaction', messageId: poll.id, emoji: '👍' });
    assert.deepEqual([reaction.type, reaction.to, reaction.message_id, reaction.emoji], ['reaction', ALICE_JID, poll.id, '👍']);
  });

  it('edits and deletes name the message they change', async () => {
    const original = await send(ALICE_JID, { type: 'text', text: 'tpyo' });
    const before = net.contacts.outbox().length;
    await net.connection!.edit(ALICE_JID, original.id, 'typo');
    await net.connection!.delete(ALICE_JID, original.id);
    const [edit, deletion] = await since(before);
    assert.deepEqual([edit?.type, edit?.to, edit?.message_id, edit?.text], ['edit', ALICE_JID, original.id, 'typo']);
    assert.deepEqual([deletion?.type, deletion?.to, deletion?.message_id], ['delete', ALICE_JID, original.id]);
  });

  it('read receipts for what contacts wrote, in a chat and in a group', async () => {
    const one = await net.contacts.deliver({ from: `+${ALICE}`, text: 'one' });
    const two = await net.contacts.deliver({ from: `+${ALICE}`, text: 'two' });
    const inGroup = await net.contacts.deliver({ from: `+${ALICE}`, chat: FAMILY, text: 'in the group' });
    await net.waitForMessage(inGroup);
    const before = net.contacts.outbox().length;
    await net.connection!.markRead(ALICE_JID, [one, two]);
    await net.connection!.markRead(FAMILY, [inGroup]);
    const receipts = await since(before);
    assert.deepEqual(
      receipts.map((entry) => [entry.type, entry.to, entry.message_ids]),
      [
        ['read', ALICE_JID, [one, two]],
        ['read', FAMILY, [inGroup]],
      ],
    );
  });

  it('presence in a chat, and going online and offline, in the order it was set', async () => {
    const before = net.contacts.outbox().length;
    for (const state of ['composing', 'recording', 'paused', 'available', 'unavailable'] as const) await net.connection!.setPresence(ALICE_JID, state);
    const entries = await since(before);
    assert.deepEqual(
      entries.map((entry) => [entry.type, entry.state]),
      [
        ['presence', 'composing'],
        ['presence', 'recording'],
        ['presence', 'paused'],
        ['presence', 'available'],
        ['presence', 'unavailable'],
      ],
    );
    assert.deepEqual(entries.slice(0, 3).map((entry) => entry.to), [ALICE_JID, ALICE_JID, ALICE_JID]);
  });
});
