import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, describe, it } from 'node:test';
import pino from 'pino';

import {
  AccountExistsError,
  AccountLimitError,
  AccountNotFoundError,
  DefaultAccountError,
  InvalidAccountIdError,
} from '../../src/accounts/directory.js';
import { AccountRegistry } from '../../src/accounts/registry.js';
import { loadSettings } from '../../src/settings.js';
import { simulatorTuning } from '../../src/simulator/tuning.js';
import { StorageHealth } from '../../src/util/storage-health.js';
import { freePort } from '../helpers/service.js';
import { installLoopbackGuard } from '../helpers/loopback-only.js';

const quiet = pino({ level: 'silent' });
const MB = 1024 * 1024;

describe('the account registry', () => {
  const parent = mkdtempSync(join(tmpdir(), 'wa-registry-'));
  const guard = installLoopbackGuard();
  const open: AccountRegistry[] = [];
  after(() => {
    guard.restore();
    guard.assertClean();
    rmSync(parent, { recursive: true, force: true });
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((registry) => registry.stop()));
  });

  /** A registry whose accounts reach for WhatsApp at a loopback port nobody listens on. */
  async function openRegistry(dataDir: string, env: Record<string, string> = {}): Promise<AccountRegistry> {
    const settings = loadSettings({
      WA_DATA_DIR: dataDir,
      WA_OPTIONS_FILE: join(dataDir, 'absent.json'),
      WA_WEBSOCKET_URL: `ws://127.0.0.1:${await freePort()}/ws`,
      WA_MEDIA_CACHE_MAX_MB: '30',
      ...env,
    });
    const registry = await AccountRegistry.open({ settings, logger: quiet, storageHealth: new StorageHealth(), simulatorTuning: simulatorTuning({}) });
    open.push(registry);
    return registry;
  }

  it('always has the account "default", in a folder of its own', async () => {
    const dataDir = mkdtempSync(join(parent, 'new-'));
    const registry = await openRegistry(dataDir);
    assert.deepEqual(registry.list().map((account) => account.id), ['default']);
    assert.equal(registry.get('default'), registry.defaultAccount);
    for (const part of ['journal', 'auth', 'messages', 'media', 'idempotency']) {
      assert.ok(existsSync(join(dataDir, 'accounts', 'default', part)), `accounts/default/${part}`);
    }
    await assert.rejects(registry.remove('default'), DefaultAccountError);
  });

  it('creates accounts with readable ids, refuses bad or taken ids, and stops at WA_MAX_ACCOUNTS', async () => {
    const dataDir = mkdtempSync(join(parent, 'create-'));
    const registry = await openRegistry(dataDir, { WA_MAX_ACCOUNTS: '4' });
    assert.equal(registry.maxAccounts, 4);
    assert.equal((await registry.create()).id, 'account-2');
    assert.equal((await registry.create('office')).id, 'office');
    await assert.rejects(registry.create('office'), AccountExistsError);
    await assert.rejects(registry.create('Office'), InvalidAccountIdError);
    await assert.rejects(registry.create('../etc'), InvalidAccountIdError);
    await assert.rejects(registry.create('-x'), InvalidAccountIdError);
    // Two at once for the last place: exactly one gets it.
    const raced = await Promise.allSettled([registry.create(), registry.create()]);
    assert.deepEqual(raced.map((result) => result.status).sort(), ['fulfilled', 'rejected']);
    const refused = raced.find((result) => result.status === 'rejected');
    assert.ok(refused?.reason instanceof AccountLimitError);
    assert.deepEqual(registry.list().map((account) => account.id), ['default', 'account-2', 'account-3', 'office']);
    assert.deepEqual(readdirSync(join(dataDir, 'accounts')).sort(), ['account-2', 'account-3', 'default', 'office']);
    // Each account has its own journal, with its own id and seqs.
    const journalIds = new Set(registry.list().map((account) => registry.get(account.id)!.journal.id));
    assert.equal(journalIds.size, 4);
  });

  it('forgets a deleted account at once, deletes its folder, and frees its place and id', async () => {
    const dataDir = mkdtempSync(join(parent, 'remove-'));
    const registry = await openRegistry(dataDir, { WA_MAX_ACCOUNTS: '2' });
    const office = await registry.create('office');
    await office.journal.append({ type: 'connection', data: { state: 'starting', reason: null } });
    const removing = registry.remove('office');
    assert.equal(registry.get('office'), undefined, 'new requests no longer find it while it is being deleted');
    assert.deepEqual(registry.list().map((account) => account.id), ['default']);
    await removing;
    assert.deepEqual(readdirSync(join(dataDir, 'accounts')), ['default'], 'its folder is gone, no tombstone left');
    await assert.rejects(registry.remove('office'), AccountNotFoundError);
    const again = await registry.create('office');
    assert.notEqual(again.journal.id, office.journal.id, 'a new account with that id starts a new journal');
    assert.equal(again.journal.lastSeq, 0);
  });

  it('shares the media cache equally among the accounts there are', async () => {
    const dataDir = mkdtempSync(join(parent, 'quota-'));
    const registry = await openRegistry(dataDir);
    assert.equal(registry.defaultAccount.media.cacheQuotaBytes, 30 * MB);
    await registry.create('a');
    await registry.create('b');
    for (const id of ['default', 'a', 'b']) assert.equal(registry.get(id)!.media.cacheQuotaBytes, 10 * MB, id);
    await registry.remove('b');
    for (const id of ['default', 'a']) assert.equal(registry.get(id)!.media.cacheQuotaBytes, 15 * MB, id);
  });

  it('finds the accounts in the folder at the next start, and clears what an interrupted create or delete left', async () => {
    const dataDir = mkdtempSync(join(parent, 'restart-'));
    const first = await openRegistry(dataDir);
    const office = await first.create('office');
    const { id: journalId } = office.journal;
    await first.stop();
    const accounts = join(dataDir, 'accounts');
    mkdirSync(join(accounts, '.deleting-old-1a2b3c4d', 'journal'), { recursive: true });
    mkdirSync(join(accounts, '.creating-half-9f8e7d6c', 'auth'), { recursive: true });
    mkdirSync(join(accounts, 'Not_An_Account'));
    writeFileSync(join(accounts, 'notes.txt'), 'a file someone put here');

    const second = await openRegistry(dataDir);
    assert.deepEqual(second.list().map((account) => account.id), ['default', 'office']);
    assert.equal(second.get('office')!.journal.id, journalId);
    assert.deepEqual(readdirSync(accounts).sort(), ['Not_An_Account', 'default', 'notes.txt', 'office'], 'strays are left alone');
  });

  it('serves every account found even above a lowered WA_MAX_ACCOUNTS, but adds none', async () => {
    const dataDir = mkdtempSync(join(parent, 'lowered-'));
    const first = await openRegistry(dataDir);
    await first.create('a');
    await first.create('b');
    await first.stop();
    const second = await openRegistry(dataDir, { WA_MAX_ACCOUNTS: '2' });
    assert.deepEqual(second.list().map((account) => account.id), ['default', 'a', 'b']);
    await assert.rejects(second.create('c'), AccountLimitError);
  });

  it('serves the other accounts when one cannot be opened', async () => {
    const dataDir = mkdtempSync(join(parent, 'broken-'));
    const first = await openRegistry(dataDir);
    await first.create('office');
    await first.create('holiday');
    await first.stop();
    // Its journal folder replaced by a file: that account's stores cannot open.
    rmSync(join(dataDir, 'accounts', 'holiday', 'journal'), { recursive: true });
    writeFileSync(join(dataDir, 'accounts', 'holiday', 'journal'), 'not a folder');
    const second = await openRegistry(dataDir);
    assert.deepEqual(second.list().map((account) => account.id), ['default', 'office']);
    assert.equal(second.get('holiday'), undefined);
    assert.ok(existsSync(join(dataDir, 'accounts', 'holiday')), 'its data is kept for a look, not deleted');
    await assert.rejects(second.create('holiday'), AccountExistsError);
  });
});
