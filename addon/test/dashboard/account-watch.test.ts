/**
 * The page's live updates follow every account: a change in any account's session or journal, or
 * an account added or deleted through the API, reaches the open pages; nothing is listened to once
 * the last page closes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { AccountWatch, MEMBERSHIP_CHECK_MS } from '../../src/dashboard/account-watch.js';
import { FakeDirectory } from './fake-accounts.js';

const quiet = pino({ level: 'silent' });

/** Resolves at the next change, or rejects after `ms`. */
function nextChange(watch: AccountWatch, ms = MEMBERSHIP_CHECK_MS * 3): { changed: Promise<void>; stop: () => void } {
  let stop = (): void => {};
  const changed = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`no change within ${ms} ms`));
    }, ms);
    const unsubscribe = watch.subscribe(() => {
      stop();
      resolve();
    });
    stop = () => {
      clearTimeout(timer);
      unsubscribe();
    };
  });
  return { changed, stop };
}

describe('live updates across accounts', () => {
  it('tells the page when any account changes state or journals an event', async () => {
    const directory = new FakeDirectory();
    const office = directory.add('office');
    const watch = new AccountWatch(directory, quiet);
    const unsubscribe = watch.subscribe(() => {});
    try {
      const stateChange = nextChange(watch);
      office.session.set({ state: 'connected' });
      await stateChange.changed;

      const journalled = nextChange(watch);
      directory.account('default').journal.append({ type: 'connection', data: { state: 'connected', reason: null } });
      await journalled.changed;
    } finally {
      unsubscribe();
    }
  });

  it('notices an account added through the API, then follows its QR code', async () => {
    const directory = new FakeDirectory();
    const watch = new AccountWatch(directory, quiet);
    const unsubscribe = watch.subscribe(() => {});
    try {
      const added = nextChange(watch);
      const shop = directory.add('shop');
      await added.changed;

      const rotated = nextChange(watch);
      shop.session.set({ qr: { code: 'shop-qr-2', expires_at: new Date().toISOString() } });
      await rotated.changed;
    } finally {
      unsubscribe();
    }
  });

  it('notices an account deleted through the API and lets go of it', async () => {
    const directory = new FakeDirectory();
    const office = directory.add('office');
    const watch = new AccountWatch(directory, quiet);
    const unsubscribe = watch.subscribe(() => {});
    try {
      assert.equal(office.session.listenerCount('change'), 1);
      const deleted = nextChange(watch);
      await directory.remove('office');
      await deleted.changed;
      assert.equal(office.session.listenerCount('change'), 0, 'no listener left on the deleted session');
      assert.equal(office.journal.waiting, 0, 'no wait left on the deleted journal');
    } finally {
      unsubscribe();
    }
  });

  it('listens to nothing once no page is open', () => {
    const directory = new FakeDirectory();
    const office = directory.add('office');
    const watch = new AccountWatch(directory, quiet);
    assert.equal(office.session.listenerCount('change'), 0, 'nothing before a page opens');
    const first = watch.subscribe(() => {});
    const second = watch.subscribe(() => {});
    assert.equal(office.session.listenerCount('change'), 1, 'one listener however many pages');
    first();
    assert.equal(office.session.listenerCount('change'), 1, 'a page is still open');
    second();
    for (const id of ['default', 'office']) {
      assert.equal(directory.account(id).session.listenerCount('change'), 0, id);
      assert.equal(directory.account(id).journal.waiting, 0, id);
    }
  });
});
