import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { proto } from 'baileys';

import { SignalPeer } from '../../src/fakewa/signal-peer.js';

const ACCOUNT = '90000000000001:1@lid';
const CONTACT = '123456789012345@lid';
const GROUP = '120363000000000001@g.us';

const text = (conversation: string): proto.IMessage => ({ conversation });

/** The account side: a peer whose bundle is handed out the way the server hands out an uploaded one. */
function pair(): { account: SignalPeer; contact: SignalPeer } {
  return { account: SignalPeer.create(), contact: SignalPeer.create() };
}

describe('a contact as a Signal peer', () => {
  it('writes pkmsg until the account answers, then msg, and both sides read everything', async () => {
    const { account, contact } = pair();
    await contact.startSession(ACCOUNT, account.issueBundle());

    const first = await contact.encrypt(ACCOUNT, text('hello'));
    assert.equal(first.type, 'pkmsg');
    assert.equal((await account.decrypt(CONTACT, first.type, first.ciphertext)).conversation, 'hello');

    const second = await contact.encrypt(ACCOUNT, text('still there?'));
    assert.equal(second.type, 'pkmsg', 'no answer yet, so the session is still being set up');
    assert.equal((await account.decrypt(CONTACT, second.type, second.ciphertext)).conversation, 'still there?');

    const reply = await account.encrypt(CONTACT, text('yes'));
    assert.equal(reply.type, 'msg');
    assert.equal((await contact.decrypt(ACCOUNT, reply.type, reply.ciphertext)).conversation, 'yes');

    const third = await contact.encrypt(ACCOUNT, text('great'));
    assert.equal(third.type, 'msg');
    assert.equal((await account.decrypt(CONTACT, third.type, third.ciphertext)).conversation, 'great');
  });

  it('reads a session the account started from the bundle it fetched', async () => {
    const { account, contact } = pair();
    await account.startSession(CONTACT, contact.issueBundle());
    const first = await account.encrypt(CONTACT, text('hi from the account'));
    assert.equal(first.type, 'pkmsg');
    assert.equal((await contact.decrypt(ACCOUNT, first.type, first.ciphertext)).conversation, 'hi from the account');
    const answer = await contact.encrypt(ACCOUNT, text('hi back'));
    assert.equal(answer.type, 'msg');
    assert.equal((await account.decrypt(CONTACT, answer.type, answer.ciphertext)).conversation, 'hi back');
  });

  it('keeps its session across a restart: the next message is a msg the account can read', async () => {
    const { account, contact } = pair();
    await contact.startSession(ACCOUNT, account.issueBundle());
    const first = await contact.encrypt(ACCOUNT, text('before'));
    await account.decrypt(CONTACT, first.type, first.ciphertext);
    const reply = await account.encrypt(CONTACT, text('ack'));
    await contact.decrypt(ACCOUNT, reply.type, reply.ciphertext);

    const restarted = SignalPeer.fromJson(contact.toJson());
    assert.equal(restarted.registrationId, contact.registrationId);
    assert.deepEqual(Buffer.from(restarted.identityPublicKey), Buffer.from(contact.identityPublicKey));
    const after = await restarted.encrypt(ACCOUNT, text('after the restart'));
    assert.equal(after.type, 'msg');
    assert.equal((await account.decrypt(CONTACT, after.type, after.ciphertext)).conversation, 'after the restart');
  });

  it('keeps an unused pre-key across a restart, so a session started before it still opens', async () => {
    const { account, contact } = pair();
    const bundle = contact.issueBundle();
    const restarted = SignalPeer.fromJson(contact.toJson());
    await account.startSession(CONTACT, bundle);
    const first = await account.encrypt(CONTACT, text('late'));
    assert.equal((await restarted.decrypt(ACCOUNT, first.type, first.ciphertext)).conversation, 'late');
  });

  it('sends and reads group messages under sender keys, also after a restart', async () => {
    const { account, contact } = pair();
    const sent = await contact.encryptGroup(GROUP, CONTACT, text('hello family'));
    await account.acceptSenderKey(CONTACT, sent.distribution);
    assert.equal((await account.decryptGroup(GROUP, CONTACT, sent.ciphertext)).conversation, 'hello family');

    const fromAccount = await account.encryptGroup(GROUP, ACCOUNT, text('hi all'));
    await contact.acceptSenderKey(ACCOUNT, fromAccount.distribution);
    const restarted = SignalPeer.fromJson(contact.toJson());
    assert.equal((await restarted.decryptGroup(GROUP, ACCOUNT, fromAccount.ciphertext)).conversation, 'hi all');
    const next = await account.encryptGroup(GROUP, ACCOUNT, text('second'));
    assert.equal((await restarted.decryptGroup(GROUP, ACCOUNT, next.ciphertext)).conversation, 'second');
  });

  it('cannot read a group message without the sender key', async () => {
    const { account, contact } = pair();
    const sent = await account.encryptGroup(GROUP, ACCOUNT, text('secret'));
    await assert.rejects(contact.decryptGroup(GROUP, ACCOUNT, sent.ciphertext));
  });
});
