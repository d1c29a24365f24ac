import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { appendFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { initAuthCreds, proto, type AuthenticationCreds, type SignalDataTypeMap } from 'baileys';
import { openAuthStore } from '../../src/auth/auth-store.js';

async function withTempDir<T>(run: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'wa-auth-test-'));
  try {
    return await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Ids Baileys really uses, plus ones that would break a naive file-name mapping. */
const AWKWARD_IDS = ['15550000001:12@s.whatsapp.net', '123456789012345@lid', '../../etc/passwd', 'a/b\\c', 'ünï cødé', '12345_1'];

function sampleKeys(): { [T in keyof SignalDataTypeMap]: SignalDataTypeMap[T] } {
  return {
    'pre-key': { public: randomBytes(32), private: randomBytes(32) },
    session: randomBytes(700),
    'sender-key': randomBytes(300),
    'sender-key-memory': { '15550000001:3@s.whatsapp.net': true, '15550000002@s.whatsapp.net': false },
    'app-state-sync-key': proto.Message.AppStateSyncKeyData.fromObject({
      keyData: randomBytes(32),
      fingerprint: { rawId: 7, currentIndex: 3, deviceIndexes: [0, 4, 9] },
      timestamp: 1_700_000_000_123,
    }),
    'app-state-sync-version': {
      version: 42,
      hash: randomBytes(128),
      indexValueMap: {
        [randomBytes(32).toString('base64')]: { valueMac: randomBytes(32) },
        '1abc': { valueMac: randomBytes(32) },
      },
    },
    'lid-mapping': '123456789012345@lid',
    'device-list': ['0', '12', '31'],
    tctoken: { token: randomBytes(40), timestamp: '1700000000', senderTimestamp: 1_700_000_001 },
    'identity-key': randomBytes(33),
  };
}

describe('credential store', () => {
  it('round-trips initAuthCreds() exactly', async () => {
    await withTempDir(async (dir) => {
      const auth = await openAuthStore(dir);
      const original = auth.state.creds;
      await auth.saveCreds();
      const reopened = await openAuthStore(dir);
      assert.deepStrictEqual(reopened.state.creds, original);
      assert.ok(Buffer.isBuffer(reopened.state.creds.noiseKey.private));
      assert.equal(reopened.isRegistered(), false);
    });
  });

  it('round-trips the creds of a linked account and reports it registered', async () => {
    await withTempDir(async (dir) => {
      const auth = await openAuthStore(dir);
      const creds: AuthenticationCreds = auth.state.creds;
      creds.me = { id: '15550000001:7@s.whatsapp.net', lid: '123456789012345:7@lid', name: 'Test' };
      creds.account = { details: randomBytes(60), accountSignatureKey: randomBytes(32), accountSignature: randomBytes(64), deviceSignature: randomBytes(64) };
      creds.signalIdentities = [{ identifier: { name: '15550000001:7@s.whatsapp.net', deviceId: 0 }, identifierKey: randomBytes(33) }];
      creds.platform = 'android';
      creds.routingInfo = randomBytes(12);
      creds.nextPreKeyId = 813;
      creds.firstUnuploadedPreKeyId = 813;
      const expected = creds;
      await auth.saveCreds();
      assert.equal(auth.isRegistered(), true);

      const reopened = await openAuthStore(dir);
      assert.deepStrictEqual(reopened.state.creds, expected);
      assert.equal(reopened.isRegistered(), true);
    });
  });

  it('round-trips every key type, for awkward ids too', async () => {
    await withTempDir(async (dir) => {
      const auth = await openAuthStore(dir);
      const samples = sampleKeys();
      const types = Object.keys(samples) as Array<keyof SignalDataTypeMap>;
      for (const type of types) {
        await auth.state.keys.set({ [type]: Object.fromEntries(AWKWARD_IDS.map((id) => [id, samples[type]])) });
      }
      const reopened = await openAuthStore(dir);
      for (const type of types) {
        const found = await reopened.state.keys.get(type, [...AWKWARD_IDS, 'absent']);
        assert.deepEqual(Object.keys(found).sort(), [...AWKWARD_IDS].sort(), type);
        for (const id of AWKWARD_IDS) {
          if (type === 'app-state-sync-key') {
            const key = found[id] as proto.Message.AppStateSyncKeyData;
            assert.ok(key instanceof proto.Message.AppStateSyncKeyData);
            assert.deepStrictEqual(
              proto.Message.AppStateSyncKeyData.toObject(key),
              proto.Message.AppStateSyncKeyData.toObject(samples[type] as proto.Message.AppStateSyncKeyData),
            );
            assert.ok(Buffer.isBuffer(key.keyData));
          } else {
            assert.deepStrictEqual(found[id], samples[type], `${type} ${id}`);
          }
        }
      }
    });
  });

  it('returns Uint8Array values as bytes-equal Buffers', async () => {
    await withTempDir(async (dir) => {
      const auth = await openAuthStore(dir);
      const session = new Uint8Array(randomBytes(64));
      await auth.state.keys.set({ session: { s: session } });
      const loaded = (await (await openAuthStore(dir)).state.keys.get('session', ['s'])).s!;
      assert.ok(Buffer.from(loaded).equals(Buffer.from(session)));
    });
  });

  it('deletes on null (and undefined), also after a restart', async () => {
    await withTempDir(async (dir) => {
      const auth = await openAuthStore(dir);
      await auth.state.keys.set({ session: { a: randomBytes(8), b: randomBytes(8), c: randomBytes(8) } });
      await auth.state.keys.set({ session: { a: null, b: undefined as unknown as null } });
      assert.deepEqual(Object.keys(await auth.state.keys.get('session', ['a', 'b', 'c'])), ['c']);
      const reopened = await openAuthStore(dir);
      assert.deepEqual(Object.keys(await reopened.state.keys.get('session', ['a', 'b', 'c'])), ['c']);
    });
  });

  it('applies concurrent sets in call order', async () => {
    await withTempDir(async (dir) => {
      const auth = await openAuthStore(dir);
      await Promise.all(Array.from({ length: 200 }, (_, i) => auth.state.keys.set({ 'lid-mapping': { x: String(i) } })));
      assert.equal((await (await openAuthStore(dir)).state.keys.get('lid-mapping', ['x'])).x, '199');
    });
  });

  it('stays small and loadable through many pre-key batches and session updates', async () => {
    await withTempDir(async (dir) => {
      const auth = await openAuthStore(dir);
      const started = performance.now();
      for (let batch = 0; batch < 20; batch += 1) {
        const preKeys: Record<string, SignalDataTypeMap['pre-key']> = {};
        for (let i = 0; i < 800; i += 1) preKeys[String(batch * 800 + i)] = { public: randomBytes(32), private: randomBytes(32) };
        await auth.state.keys.set({ 'pre-key': preKeys });
        auth.state.creds.nextPreKeyId = (batch + 1) * 800;
        await auth.saveCreds();
        for (let i = 0; i < 50; i += 1) await auth.state.keys.set({ session: { [`s${i % 10}@s.whatsapp.net`]: randomBytes(1_000) } });
      }
      const elapsed = performance.now() - started;
      await auth.flush();
      const files = await readdir(dir);
      assert.ok(files.includes('auth.snapshot'), `a compaction happened: ${files.join(',')}`);
      // The current generation's log, and the previous one's, kept to fall back to.
      assert.ok(files.filter((file) => file.endsWith('.log')).length <= 2, files.join(','));

      const reopened = await openAuthStore(dir);
      assert.equal(reopened.state.creds.nextPreKeyId, 16_000);
      const all = await reopened.state.keys.get('pre-key', Array.from({ length: 16_000 }, (_, i) => String(i)));
      assert.equal(Object.keys(all).length, 16_000);
      console.log(`# 20 × (800 pre-keys + creds + 50 session updates) in ${elapsed.toFixed(0)} ms`);
    });
  });

  it('ignores a torn record at the end of the log', async () => {
    await withTempDir(async (dir) => {
      const auth = await openAuthStore(dir);
      await auth.state.keys.set({ 'device-list': { u: ['0', '1'] } });
      const [log] = (await readdir(dir)).filter((file) => file.endsWith('.log'));
      await appendFile(join(dir, log!), '0123abcd {"keys":{"device-list":{"u":["0"');
      const reopened = await openAuthStore(dir);
      assert.deepEqual((await reopened.state.keys.get('device-list', ['u'])).u, ['0', '1']);
      await reopened.state.keys.set({ 'device-list': { v: ['2'] } });
      const again = await openAuthStore(dir);
      assert.deepEqual(await again.state.keys.get('device-list', ['u', 'v']), { u: ['0', '1'], v: ['2'] });
    });
  });

  it('clear() wipes creds and keys, in memory and on disk', async () => {
    await withTempDir(async (dir) => {
      const auth = await openAuthStore(dir);
      auth.state.creds.me = { id: '15550000001:7@s.whatsapp.net' };
      auth.state.creds.registered = true;
      await auth.saveCreds();
      await auth.state.keys.set({ session: { a: randomBytes(8) }, 'pre-key': { 1: { public: randomBytes(32), private: randomBytes(32) } } });
      const oldNoiseKey = auth.state.creds.noiseKey.private;
      assert.equal(auth.isRegistered(), true);

      await auth.clear();
      assert.equal(auth.isRegistered(), false);
      assert.equal(auth.state.creds.me, undefined);
      assert.ok(!Buffer.from(auth.state.creds.noiseKey.private).equals(Buffer.from(oldNoiseKey)));
      assert.deepEqual(await auth.state.keys.get('session', ['a']), {});

      const reopened = await openAuthStore(dir);
      assert.equal(reopened.isRegistered(), false);
      assert.ok(!Buffer.from(reopened.state.creds.noiseKey.private).equals(Buffer.from(oldNoiseKey)));
      assert.deepEqual(await reopened.state.keys.get('session', ['a']), {});
      assert.deepEqual(await reopened.state.keys.get('pre-key', ['1']), {});
      assert.deepEqual((await readdir(dir)).filter((file) => file.endsWith('.log')), []);
    });
  });

  it('fresh creds after clear() are new initAuthCreds()', async () => {
    await withTempDir(async (dir) => {
      const auth = await openAuthStore(dir);
      await auth.clear();
      const reference = initAuthCreds();
      assert.deepEqual(Object.keys(auth.state.creds).sort(), Object.keys(reference).sort());
      assert.equal(auth.state.creds.registered, false);
    });
  });
});
