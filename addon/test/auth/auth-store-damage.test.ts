import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openAuthStore, type DurableAuthState } from '../../src/auth/auth-store.js';
import { StorageHealth } from '../../src/util/storage-health.js';
import { canMountTmpfs, TMPFS_SKIP, withTmpfs } from '../storage/tmpfs.js';

async function withTempDir<T>(run: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'wa-auth-damage-'));
  try {
    return await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function flipByte(path: string, offset: number): Promise<void> {
  const bytes = await readFile(path);
  bytes[offset % bytes.length] ^= 0x20;
  await writeFile(path, bytes);
}

/** A linked account with a session key. */
async function linkedStore(dir: string): Promise<DurableAuthState> {
  const auth = await openAuthStore(dir);
  auth.state.creds.me = { id: '15550000001:7@s.whatsapp.net' };
  auth.state.creds.registered = true;
  await auth.saveCreds();
  await auth.state.keys.set({ session: { first: randomBytes(16) } });
  return auth;
}

describe('credential store with damaged files', () => {
  it('falls back to the previous snapshot generation when the current one is damaged, losing nothing', async () => {
    await withTempDir(async (dir) => {
      const auth = await linkedStore(dir);
      // Compactions happen once the log outgrows the snapshot: two are needed for a previous one.
      for (let round = 0; round < 6 && !(await readdir(dir)).includes('auth.prev.snapshot'); round += 1) {
        const preKeys: Record<string, { public: Buffer; private: Buffer }> = {};
        for (let i = 0; i < 9_000; i += 1) preKeys[`${round}-${i}`] = { public: randomBytes(32), private: randomBytes(32) };
        await auth.state.keys.set({ 'pre-key': preKeys });
        await auth.flush();
      }
      await auth.state.keys.set({ session: { last: randomBytes(16) } });
      await auth.flush();
      const files = await readdir(dir);
      assert.ok(files.includes('auth.prev.snapshot'), files.join(','));
      await flipByte(join(dir, 'auth.snapshot'), 4_000);

      const reopened = await openAuthStore(dir);
      assert.equal(reopened.recovery, 'previous_generation');
      assert.equal(reopened.isRegistered(), true);
      assert.deepEqual(Object.keys(await reopened.state.keys.get('session', ['first', 'last'])), ['first', 'last']);
      assert.equal(Object.keys(await reopened.state.keys.get('pre-key', ['0-1', '1-8999'])).length, 2);
      assert.equal(Object.keys(await reopened.state.keys.get('pre-key', Array.from({ length: 9_000 }, (_, i) => `1-${i}`))).length, 9_000);
    });
  });

  it('starts empty, says the credentials were lost, and keeps the damaged files, when no snapshot is readable', async () => {
    await withTempDir(async (dir) => {
      const auth = await linkedStore(dir);
      const preKeys: Record<string, { public: Buffer; private: Buffer }> = {};
      for (let i = 0; i < 9_000; i += 1) preKeys[String(i)] = { public: randomBytes(32), private: randomBytes(32) };
      await auth.state.keys.set({ 'pre-key': preKeys });
      await auth.flush();
      assert.ok((await readdir(dir)).includes('auth.snapshot'));
      await flipByte(join(dir, 'auth.snapshot'), 10);

      const reopened = await openAuthStore(dir);
      assert.equal(reopened.recovery, 'lost');
      assert.equal(reopened.isRegistered(), false);
      assert.ok((await readdir(dir)).some((name) => name.startsWith('auth.snapshot.damaged-')));
      // A new pairing is stored and survives the next start.
      reopened.state.creds.me = { id: '15550000002:3@s.whatsapp.net' };
      reopened.state.creds.registered = true;
      await reopened.saveCreds();
      const again = await openAuthStore(dir);
      assert.equal(again.recovery, 'intact');
      assert.equal(again.state.creds.me?.id, '15550000002:3@s.whatsapp.net');
    });
  });
});

describe('credential store on a full disk', { skip: canMountTmpfs() ? false : TMPFS_SKIP }, () => {
  it('fails the write visibly, reports it, and writes memory to disk once space returns', async () => {
    await withTmpfs(1024, async (fs) => {
      const health = new StorageHealth();
      const dir = join(fs.dir, 'auth');
      const auth = await openAuthStore(dir, undefined, { storageHealth: health, resyncIntervalMs: 50 });
      await auth.state.keys.set({ session: { before: randomBytes(16) } });
      await fs.fill();
      await assert.rejects(async () => auth.state.keys.set({ session: { during: randomBytes(8_000) } }), /ENOSPC/);
      assert.equal(health.problem()?.reason, 'storage_full');
      assert.deepEqual(health.problem()?.components, ['credentials']);

      await fs.free();
      await new Promise((resolve) => setTimeout(resolve, 200));
      await auth.flush();
      assert.equal(health.problem(), null);
      const reopened = await openAuthStore(dir);
      assert.deepEqual(Object.keys(await reopened.state.keys.get('session', ['before', 'during'])), ['before', 'during'], 'the refused key is on disk now');
    });
  });

  it('logs out on a full disk: the credentials are gone, also after a restart', async () => {
    await withTmpfs(1024, async (fs) => {
      const dir = join(fs.dir, 'auth');
      const auth = await linkedStore(dir);
      await fs.fill();
      await auth.clear();
      assert.equal(auth.isRegistered(), false);
      await fs.free();
      const reopened = await openAuthStore(dir);
      assert.equal(reopened.isRegistered(), false);
    });
  });
});
