/**
 * What the page shows for each account, and to whom: every account gets its own card, its own QR
 * code and its own activity; only administrators see QR codes and pairing codes, and only they may
 * delete an account other than `default`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Viewer } from '../../src/dashboard/access.js';
import { DashboardViews, type AccountPanel, type DashboardView } from '../../src/dashboard/view.js';
import type { JournalInput } from '../../src/journal/types.js';
import { messageEvent } from '../helpers/messages.js';
import { FakeDirectory } from './fake-accounts.js';

const ADMIN: Viewer = { role: 'admin', via: 'home_assistant', userId: 'u-admin', name: 'Ada', signedIn: false };
const NOT_ADMIN: Viewer = { role: 'viewer', via: 'home_assistant', userId: 'u-kid', name: 'Kid', signedIn: false };

function panel(view: DashboardView, id: string): AccountPanel {
  const found = view.accounts.find((account) => account.id === id);
  assert.ok(found, `the page shows the account ${id}`);
  return found;
}

/** A text from a contact the page shows by name. */
function textFrom(chatName: string, text: string): JournalInput {
  return messageEvent(`m-${chatName}`, { chat_name: chatName, sender_name: chatName, text });
}

/** Two accounts: `default` linked to Home, `office` waiting for its QR code to be scanned. */
function twoAccounts(): FakeDirectory {
  const directory = new FakeDirectory(3);
  directory.account('default').session.set({ state: 'connected', me: { jid: '15550000001@s.whatsapp.net', phone: '+15550000001', name: 'Home' } });
  directory.add('office').session.set({
    state: 'pairing',
    qr: { code: 'office-qr-1', expires_at: new Date(Date.now() + 20_000).toISOString() },
    pairing_code: 'ABCD1234',
  });
  return directory;
}

describe('the web page view, account by account', () => {
  it('lists every account, default first, each with its own state and linked number', async () => {
    const views = new DashboardViews(twoAccounts(), '1.2.3');
    const view = await views.current(ADMIN);
    assert.deepEqual(view.accounts.map((account) => [account.id, account.state_label]), [['default', 'Connected'], ['office', 'Waiting to be linked']]);
    assert.deepEqual(panel(view, 'default').linked, { phone: '+15550000001', name: 'Home' });
    assert.equal(panel(view, 'office').linked, null);
    assert.equal(view.max_accounts, 3);
    assert.equal(view.version, '1.2.3');
  });

  it('shows an administrator the QR code and pairing code of the account that is pairing, and none for the linked one', async () => {
    const view = await new DashboardViews(twoAccounts(), '1').current(ADMIN);
    assert.equal(panel(view, 'default').qr, null);
    const office = panel(view, 'office');
    assert.match(office.qr?.svg ?? '', /^<svg/);
    assert.equal(office.pairing_code, 'ABCD1234');
  });

  it('draws each account its own QR code and redraws it when that account rotates it', async () => {
    const directory = twoAccounts();
    const expires = new Date(Date.now() + 20_000).toISOString();
    directory.account('default').session.set({ state: 'pairing', me: null, qr: { code: 'default-qr-1', expires_at: expires } });
    const views = new DashboardViews(directory, '1');
    const first = await views.current(ADMIN);
    assert.notEqual(panel(first, 'default').qr?.svg, panel(first, 'office').qr?.svg, 'two accounts, two codes');

    directory.account('office').session.set({ qr: { code: 'office-qr-2', expires_at: expires } });
    const second = await views.current(ADMIN);
    assert.equal(panel(second, 'default').qr?.svg, panel(first, 'default').qr?.svg, 'the default account kept its code');
    assert.notEqual(panel(second, 'office').qr?.svg, panel(first, 'office').qr?.svg, 'the office account shows its new code');
  });

  it('shows someone who is not an administrator the states only: no QR code, no pairing code, nothing to delete', async () => {
    const view = await new DashboardViews(twoAccounts(), '1').current(NOT_ADMIN);
    assert.equal(view.can_manage, false);
    assert.deepEqual(view.accounts.map((account) => account.state), ['connected', 'pairing']);
    for (const account of view.accounts) {
      assert.equal(account.qr, null, account.id);
      assert.equal(account.pairing_code, null, account.id);
      assert.equal(account.can_remove, false, account.id);
    }
  });

  it('lets an administrator delete any account but default', async () => {
    const view = await new DashboardViews(twoAccounts(), '1').current(ADMIN);
    assert.equal(view.can_manage, true);
    assert.equal(panel(view, 'default').can_remove, false);
    assert.equal(panel(view, 'office').can_remove, true);
  });

  it("keeps each account's activity to itself, and never shows a message's text", async () => {
    const directory = twoAccounts();
    directory.account('default').journal.append(textFrom('Alice', 'the door code is 4711'));
    directory.account('office').journal.append(textFrom('Bob', 'invoice attached'));
    const view = await new DashboardViews(directory, '1').current(NOT_ADMIN);
    assert.deepEqual(panel(view, 'default').events.map((event) => event.summary), ['Received text message from Alice']);
    assert.deepEqual(panel(view, 'office').events.map((event) => event.summary), ['Received text message from Bob']);
    assert.ok(!JSON.stringify(view).includes('4711'));
  });

  it('follows accounts added and deleted behind its back', async () => {
    const directory = twoAccounts();
    const views = new DashboardViews(directory, '1');
    directory.add('shop');
    await directory.remove('office');
    const view = await views.current(ADMIN);
    assert.deepEqual(view.accounts.map((account) => account.id), ['default', 'shop']);
  });

  it('leaves out an account deleted while its activity is read, and still shows the others', async () => {
    const directory = twoAccounts();
    const office = directory.account('office');
    office.journal.read = () => {
      void directory.remove('office');
      throw new Error('ENOENT: the journal folder is gone');
    };
    const view = await new DashboardViews(directory, '1').current(ADMIN);
    assert.deepEqual(view.accounts.map((account) => account.id), ['default']);
  });
});
