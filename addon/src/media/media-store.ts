/**
 * Media bytes on disk. Uploads (`u_…`) wait to be sent and expire after a day; received media
 * (`r_<message id>`) is downloaded from WhatsApp on first request and kept in a cache bounded by a
 * size quota, least recently used first out.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, type ReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { writeFileAtomic } from '../util/atomic-file.js';

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
}

export const DEFAULT_MEDIA_OPTIONS: MediaStoreOptions = {
  maxUploadBytes: 64 * 1024 * 1024,
  cacheQuotaBytes: 200 * 1024 * 1024,
  uploadTtlMs: 24 * 60 * 60 * 1000,
};

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

  private constructor(
    private readonly dir: string,
    readonly options: MediaStoreOptions,
    private readonly logger: Logger,
  ) {}

  static async open(dir: string, options: Partial<MediaStoreOptions>, logger: Logger): Promise<MediaStore> {
    const store = new MediaStore(dir, { ...DEFAULT_MEDIA_OPTIONS, ...options }, logger);
    await mkdir(store.uploadsDir, { recursive: true });
    await mkdir(store.cacheDir, { recursive: true });
    await store.loadCacheIndex();
    await store.removeExpiredUploads();
    return store;
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

  async saveUpload(data: Buffer, mimetype: string, filename: string | null): Promise<MediaMeta> {
    const meta: MediaMeta = {
      media_id: `u_${randomBytes(16).toString('base64url')}`,
      mimetype,
      filename,
      size: data.length,
    };
    const files = this.filesOf(meta.media_id);
    await writeFileAtomic(files.data, data);
    await writeFileAtomic(files.meta, JSON.stringify({ ...meta, created: Date.now() }));
    return meta;
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

  private async evict(keep: string): Promise<void> {
    if (this.cacheBytes <= this.options.cacheQuotaBytes) return;
    const oldestFirst = [...this.cache.entries()].sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    for (const [id, entry] of oldestFirst) {
      if (this.cacheBytes <= this.options.cacheQuotaBytes) break;
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

  private async removeExpiredUploads(): Promise<void> {
    const cutoff = Date.now() - this.options.uploadTtlMs;
    let removed = 0;
    for (const name of await readdir(this.uploadsDir)) {
      if (!name.endsWith('.bin')) continue;
      const info = await stat(join(this.uploadsDir, name)).catch(() => null);
      if (info && info.mtimeMs < cutoff) {
        await this.remove(decodeURIComponent(name.slice(0, -4)));
        removed += 1;
      }
    }
    if (removed > 0) this.logger.info({ removed }, 'removed expired uploads');
  }
}
