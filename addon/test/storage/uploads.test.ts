import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { pino } from 'pino';
import { MediaStore } from '../../src/media/media-store.js';
import { UploadError } from '../../src/media/upload-stream.js';
import { startService } from '../helpers/service.js';

const logger = pino({ level: 'silent' });
const MB = 1024 * 1024;

async function withStore<T>(options: Parameters<typeof MediaStore.open>[1], run: (store: MediaStore, dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'wa-uploads-'));
  const store = await MediaStore.open(dir, options, logger);
  try {
    return await run(store, dir);
  } finally {
    store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

function rssOf(pid: number): Promise<number> {
  return readFile(`/proc/${pid}/status`, 'utf8').then((status) => Number(/VmRSS:\s+(\d+)/.exec(status)![1]) * 1024);
}

describe('uploads', () => {
  it('counts a compressed upload after decompression: a gzip bomb stops at the limit and leaves nothing on disk', async () => {
    await withStore({ maxUploadBytes: MB }, async (store, dir) => {
      const bomb = gzipSync(Buffer.alloc(20 * MB));
      assert.ok(bomb.length < 64 * 1024);
      await assert.rejects(store.saveUploadStream(Readable.from([bomb]), 'gzip', 'image/png', null), (error: UploadError) => error.problem === 'too_large');
      assert.deepEqual(await readdir(join(dir, 'uploads')), []);
      assert.equal(store.uploadedBytes, 0);
      const small = await store.saveUploadStream(Readable.from([gzipSync(Buffer.from('hello'))]), 'gzip', 'text/plain', 'a.txt');
      assert.equal(small.size, 5);
      assert.equal(await readFile((await store.get(small.media_id))!.path, 'utf8'), 'hello');
    });
  });

  it('keeps all uploads together within the quota', async () => {
    await withStore({ maxUploadBytes: MB, uploadQuotaBytes: 2.5 * MB }, async (store, dir) => {
      await store.saveUploadStream(Readable.from([Buffer.alloc(MB)]), undefined, 'image/png', null);
      await store.saveUploadStream(Readable.from([Buffer.alloc(MB)]), undefined, 'image/png', null);
      await assert.rejects(store.saveUploadStream(Readable.from([Buffer.alloc(MB)]), undefined, 'image/png', null), (error: UploadError) => error.problem === 'quota_exceeded');
      assert.equal((await readdir(join(dir, 'uploads'))).filter((name) => name.endsWith('.bin')).length, 2);
      assert.equal(store.uploadedBytes, 2 * MB);
    });
  });

  it('expires uploads while running, not only at start', async () => {
    await withStore({ uploadTtlMs: 300 }, async (store) => {
      const saved = await store.saveUploadStream(Readable.from([Buffer.from('soon gone')]), undefined, 'text/plain', null);
      assert.ok(await store.get(saved.media_id));
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      assert.equal(await store.get(saved.media_id), null);
      assert.equal(store.uploadedBytes, 0);
    });
  });

  it('through HTTP: 413 for a gzip bomb, 415 for an unknown encoding, and concurrent uploads are not held in memory', async () => {
    const service = await startService({ env: { WA_MEDIA_UPLOAD_MAX_MB: '16' } });
    try {
      const bomb = gzipSync(Buffer.alloc(50 * MB));
      const refused = await service.request('POST', '/v1/media', undefined, { 'content-type': 'image/png', 'content-encoding': 'gzip' });
      assert.equal(refused.status, 400, 'an empty body is refused');
      const bombed = await fetch(`${service.url}/v1/media`, {
        method: 'POST',
        headers: service.headers({ 'content-type': 'image/png', 'content-encoding': 'gzip' }),
        body: bomb,
      });
      assert.equal(bombed.status, 413);
      assert.equal(((await bombed.json()) as { error: { code: string } }).error.code, 'payload_too_large');
      assert.deepEqual((await readdir(join(service.dataDir, 'accounts', 'default', 'media', 'uploads'))).length, 0, 'nothing of the bomb stays on disk');

      const unknown = await fetch(`${service.url}/v1/media`, {
        method: 'POST',
        headers: service.headers({ 'content-type': 'image/png', 'content-encoding': 'zstd' }),
        body: Buffer.from('abc'),
      });
      assert.equal(unknown.status, 415);

      const before = await rssOf(service.process.pid!);
      const uploads = await Promise.all(
        Array.from({ length: 4 }, async () => {
          const response = await fetch(`${service.url}/v1/media`, {
            method: 'POST',
            headers: service.headers({ 'content-type': 'video/mp4' }),
            body: Buffer.alloc(15 * MB, 7),
          });
          return response.status;
        }),
      );
      const grown = (await rssOf(service.process.pid!)) - before;
      assert.deepEqual(uploads, [200, 200, 200, 200]);
      console.log(`# 4 concurrent 15 MB uploads grew the service's RSS by ${(grown / MB).toFixed(1)} MB`);
      assert.ok(grown < 40 * MB, `RSS grew by ${(grown / MB).toFixed(1)} MB`);
    } finally {
      await service.dispose();
    }
  });
});
