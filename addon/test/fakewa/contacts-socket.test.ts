import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import type { WAMessage } from 'baileys';
import { pino } from 'pino';

import { FakeContacts } from '../../src/fakewa/contacts.js';
import { FakeWhatsAppNetwork } from '../../src/fakewa/network.js';
import { installLoopbackGuard, type LoopbackGuard } from '../helpers/loopback-only.js';
import { openCompanion, type Companion } from './companion.js';

const PHONE = '15550000001';
const ALICE = '4917612345678';
const ALICE_LID = '123456789012345';
const FAMILY = '120363000000000001@g.us';

describe('fake WhatsApp network: contacts talk to the real Baileys socket', () => {
  let dir: string;
  let network: FakeWhatsAppNetwork;
  let contacts: FakeContacts;
  let guard: LoopbackGuard;
  let companion: Companion;
  const received: WAMessage[] = [];

  const waitForMessage = async (id: string, timeoutMs = 10_000): Promise<WAMessage> => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const found = received.find((message) => message.key.id === id);
      if (found) return found;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`message ${id} never reached messages.upsert`);
  };
  const waitForOutbox = async (id: string, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const found = contacts.outbox().find((entry) => entry.id === id);
      if (found) return found;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`message ${id} never reached the outbox`);
  };

  before(async () => {
    guard = installLoopbackGuard();
    dir = await mkdtemp(join(tmpdir(), 'fakewa-contacts-'));
    network = await FakeWhatsAppNetwork.start({ dataDir: join(dir, 'network'), logger: pino({ level: 'silent' }) });
    contacts = await FakeContacts.open({ dataDir: join(dir, 'contacts') });
    contacts.attach(network);
    const authDir = join(dir, 'auth');
    const first = await openCompanion(network.url, authDir);
    const { qr } = await first.waitFor((update) => !!update.qr, 'a QR code');
    await network.scan(qr!, PHONE, 'Test Phone');
    await first.closed();
    companion = await openCompanion(network.url, authDir);
    companion.sock.ev.on('messages.upsert', ({ messages }) => received.push(...messages));
    await companion.waitFor((update) => update.connection === 'open', 'connection open');
  });

  after(async () => {
    companion?.end();
    await network.stop();
    await rm(dir, { recursive: true, force: true });
    guard.restore();
    guard.assertClean();
  });

  it('a LID-addressed text arrives from the right sender, with its phone number alongside', async () => {
    const id = await contacts.deliver({ from: `+${ALICE}`, text: 'hello from Alice', addressing: 'lid' });
    const message = await waitForMessage(id);
    assert.equal(message.message?.conversation, 'hello from Alice');
    assert.equal(message.key.remoteJid, `${ALICE_LID}@lid`);
    assert.equal(message.key.remoteJidAlt, `${ALICE}@s.whatsapp.net`);
    assert.equal(message.key.fromMe, false);
    assert.equal(message.pushName, 'Alice');
  });

  it('a phone-number-addressed text arrives too, in the same session', async () => {
    const id = await contacts.deliver({ from: `${ALICE}@s.whatsapp.net`, text: 'now by number', addressing: 'pn' });
    const message = await waitForMessage(id);
    assert.equal(message.message?.conversation, 'now by number');
    assert.equal(message.key.remoteJid, `${ALICE}@s.whatsapp.net`);
  });

  it('what the account sends to a contact shows up decrypted in the outbox', async () => {
    const sent = await companion.sock.sendMessage(`${ALICE}@s.whatsapp.net`, { text: 'hi Alice' });
    const entry = await waitForOutbox(sent!.key.id!);
    assert.equal(entry.type, 'text');
    assert.equal(entry.text, 'hi Alice');
    assert.equal(entry.to, `${ALICE}@s.whatsapp.net`);
    assert.deepEqual(contacts.readBy(sent!.key.id!), [ALICE]);
  });

  it('a group message arrives from its member, and the account writes to the group', async () => {
    const id = await contacts.deliver({ from: `+${ALICE}`, chat: FAMILY, text: 'family dinner?' });
    const message = await waitForMessage(id);
    assert.equal(message.message?.conversation, 'family dinner?');
    assert.equal(message.key.remoteJid, FAMILY);
    assert.equal(message.key.participant, `${ALICE_LID}@lid`);

    const sent = await companion.sock.sendMessage(FAMILY, { text: 'yes, at 7' });
    const entry = await waitForOutbox(sent!.key.id!);
    assert.equal(entry.text, 'yes, at 7');
    assert.equal(entry.to, FAMILY);
    assert.deepEqual(contacts.readBy(sent!.key.id!).sort(), ['15550000002', '447700900123', ALICE].sort());
  });
});
