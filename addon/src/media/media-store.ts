/**
 * Media bytes on disk. Uploads (`u_…`) wait to be sent and expire after a day (checked while the
 * service runs, not only at start), and all of them together stay within a quota; received media
 * (`r_<message id>`) is downloaded from WhatsApp on first request and kept in a cache bounded by a
 * size quota, least recently used first out.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, type ReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { fsyncDirectory, removeFileIfExists, writeFileAtomic } from '../util/atomic-file.js';
import { writeUpload } from './upload-stream.js';

export interface MediaMeta {
  media_id: string;
  mimetype: string;
  filename: string | null;
  size: number;
}

export interface StoredMedia extends MediaMeta {
  path: string;
}

export interface MediaStoreOptions {
  /** Largest upload accepted, bytes. */
  maxUploadBytes: number;
  /** Total size of cached received media, bytes. */
  cacheQuotaBytes: number;
  /** How long an upload is kept for sending. */
  uploadTtlMs: number;
  /** Total size of all uploads kept (and arriving) at once, bytes; by default four of the largest, at least 256 MB. */
  uploadQuotaBytes?: number;
}

export const DEFAULT_MEDIA_OPTIONS: MediaStoreOptions = {
  maxUploadBytes: 64 * 1024 * 1024,
  cacheQuotaBytes: 200 * 1024 * 1024,
  uploadTtlMs: 24 * 60 * 60 * 1000,
};

/** Expired uploads are looked for this often at most (and at least every quarter of their lifetime). */
const MAX_EXPIRY_SWEEP_MS = 10 * 60 * 1000;
const PARTIAL_SUFFIX = '.partial';

const UPLOAD_ID = /^u_[A-Za-z0-9_-]{16,64}$/;
const RECEIVED_ID = /^r_[A-Za-z0-9._:-]{1,128}$/;

export function isMediaId(id: string): boolean {
  return UPLOAD_ID.test(id) || RECEIVED_ID.test(id);
}

export function receivedMediaId(messageId: string): string {
  return `r_${messageId}`;
}

interface CacheEntry {
  size: number;
  lastUsed: number;
}

export class MediaStore {
  private readonly cache = new Map<string, CacheEntry>();
  private cacheBytes = 0;
  /** Size of every kept upload, by id. */
  private readonly uploads = new Map<string, number>();
  /** Bytes of kept uploads plus those still arriving. */
  private uploadBytes = 0;
  readonly uploadQuotaBytes: number;
  /** Starts as options.cacheQuotaBytes; the account registry re-shares it when accounts come and go. */
  private cacheQuota: number;
  private readonly sweepTimer: NodeJS.Timeout;

  private constructor(
    private readonly dir: string,
    readonly options: MediaStoreOptions,
    private readonly logger: Logger,
  ) {
    this.uploadQuotaBytes = options.uploadQuotaBytes ?? Math.max(256 * 1024 * 1024, 4 * options.maxUploadBytes);
    this.cacheQuota = options.cacheQuotaBytes;
    const sweepEvery = Math.max(1_000, Math.min(MAX_EXPIRY_SWEEP_MS, options.uploadTtlMs / 4));
    this.sweepTimer = setInterval(() => {
      this.removeExpiredUploads().catch((error: unknown) => this.logger.warn({ err: error }, 'could not remove expired uploads'));
    }, sweepEvery);
    this.sweepTimer.unref();
  }

  static async open(dir: string, options: Partial<MediaStoreOptions>, logger: Logger): Promise<MediaStore> {
    const store = new MediaStore(dir, { ...DEFAULT_MEDIA_OPTIONS, ...options }, logger);
    await mkdir(store.uploadsDir, { recursive: true });
    await mkdir(store.cacheDir, { recursive: true });
    await store.loadCacheIndex();
    await store.loadUploadIndex();
    await store.removeExpiredUploads();
    return store;
  }

  /** Stops the expiry timer. */
  close(): void {
    clearInterval(this.sweepTimer);
  }

  private get uploadsDir(): string {
    return join(this.dir, 'uploads');
  }

  private get cacheDir(): string {
    return join(this.dir, 'cache');
  }

  private filesOf(id: string): { data: string; meta: string } {
    const dir = id.startsWith('u_') ? this.uploadsDir : this.cacheDir;
    // Ids are validated against a strict pattern; encoding keeps ':' and '.' out of file names anyway.
    const name = encodeURIComponent(id).replace(/\./g, '%2E');
    return { data: join(dir, `${name}.bin`), meta: join(dir, `${name}.json`) };
  }

  /**
   * Stores an upload as it arrives (see upload-stream): decoded per `encoding`, at most
   * maxUploadBytes, and only while all uploads together stay within the quota.
   */
  async saveUploadStream(body: Readable, encoding: string | undefined, mimetype: string, filename: string | null): Promise<MediaMeta> {
    const id = `u_${randomBytes(16).toString('base64url')}`;
    const files = this.filesOf(id);
    const partial = `${files.data}${PARTIAL_SUFFIX}`;
    let reserved = 0;
    try {
      const size = await writeUpload(body, encoding, partial, {
        maxBytes: this.options.maxUploadBytes,
        reserve: (bytes) => {
          if (this.uploadBytes + bytes > this.uploadQuotaBytes) return false;
          this.uploadBytes += bytes;
          reserved += bytes;
          return true;
        },
      });
      const meta: MediaMeta = { media_id: id, mimetype, filename, size };
      // Data first: a crash before the meta file leaves bytes that expire, never a meta without bytes.
      await rename(partial, files.data);
      await fsyncDirectory(this.uploadsDir);
      await writeFileAtomic(files.meta, JSON.stringify({ ...meta, created: Date.now() }));
      this.uploads.set(id, size);
      return meta;
    } catch (error) {
      this.uploadBytes -= reserved;
      await removeFileIfExists(partial).catch(() => undefined);
      await removeFileIfExists(files.meta).catch(() => undefined);
      throw error;
    }
  }

  /** Bytes all kept uploads take (plus those arriving right now). */
  get uploadedBytes(): number {
    return this.uploadBytes;
  }

  /** Stored media by id, or null. Touches cached media so it stays in the cache. */
  async get(id: string): Promise<StoredMedia | null> {
    if (!isMediaId(id)) return null;
    const files = this.filesOf(id);
    try {
      const meta = JSON.parse(await readFile(files.meta, 'utf8')) as MediaMeta;
      await stat(files.data);
      const cached = this.cache.get(id);
      if (cached) cached.lastUsed = Date.now();
      return { ...meta, path: files.data };
    } catch {
      return null;
    }
  }

  async cacheReceived(id: string, data: Buffer, mimetype: string, filename: string | null): Promise<StoredMedia> {
    const files = this.filesOf(id);
    const meta: MediaMeta = { media_id: id, mimetype, filename, size: data.length };
    await writeFileAtomic(files.data, data);
    await writeFileAtomic(files.meta, JSON.stringify(meta));
    const previous = this.cache.get(id);
    if (previous) this.cacheBytes -= previous.size;
    this.cache.set(id, { size: data.length, lastUsed: Date.now() });
    this.cacheBytes += data.length;
    await this.evict(id);
    return { ...meta, path: files.data };
  }

  stream(media: StoredMedia): ReadStream {
    return createReadStream(media.path);
  }

  get cachedBytes(): number {
    return this.cacheBytes;
  }

  get cacheQuotaBytes(): number {
    return this.cacheQuota;
  }

  /** Changes the received-media quota; a smaller one evicts the least recently used media at once. */
  async setCacheQuota(bytes: number): Promise<void> {
    this.cacheQuota = bytes;
    await this.evict(null);
  }

  private async evict(keep: string | null): Promise<void> {
    if (this.cacheBytes <= this.cacheQuota) return;
    const oldestFirst = [...this.cache.entries()].sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    for (const [id, entry] of oldestFirst) {
      if (this.cacheBytes <= this.cacheQuota) break;
      if (id === keep) continue;
      await this.remove(id);
      this.cache.delete(id);
      this.cacheBytes -= entry.size;
    }
  }

  private async remove(id: string): Promise<void> {
    const files = this.filesOf(id);
    await rm(files.data, { force: true });
    await rm(files.meta, { force: true });
  }

  private async loadCacheIndex(): Promise<void> {
    for (const name of await readdir(this.cacheDir)) {
      if (!name.endsWith('.bin')) continue;
      const id = decodeURIComponent(name.slice(0, -4));
      try {
        const info = await stat(join(this.cacheDir, name));
        this.cache.set(id, { size: info.size, lastUsed: info.mtimeMs });
        this.cacheBytes += info.size;
      } catch {
        // removed meanwhile
      }
    }
  }

  private async loadUploadIndex(): Promise<void> {
    for (const name of await readdir(this.uploadsDir)) {
      // Left by uploads cut short by a crash.
      if (name.endsWith(PARTIAL_SUFFIX)) {
        await removeFileIfExists(join(this.uploadsDir, name));
        continue;
      }
      if (!name.endsWith('.bin')) continue;
      const info = await stat(join(this.uploadsDir, name)).catch(() => null);
      if (!info) continue;
      this.uploads.set(decodeURIComponent(name.slice(0, -4)), info.size);
      this.uploadBytes += info.size;
    }
  }

  private async removeExpiredUploads(): Promise<void> {
    const cutoff = Date.now() - this.options.uploadTtlMs;
    let removed = 0;
    for (const name of await readdir(this.uploadsDir)) {
      if (!name.endsWith('.bin')) continue;
      const info = await stat(join(this.uploadsDir, name)).catch(() => null);
      if (info && info.mtimeMs < cutoff) {
        const id = decodeURIComponent(name.slice(0, -4));
        await this.remove(id);
        this.uploadBytes -= this.uploads.get(id) ?? 0;
        this.uploads.delete(id);
        removed += 1;
      }
    }
    if (removed > 0) this.logger.info({ removed }, 'removed expired uploads');
  }
}
