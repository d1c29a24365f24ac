/**
 * The fake network's media storage: encrypted blobs, addressed by the SHA-256 of their bytes, and
 * the direct paths that point at them. A path can expire (WhatsApp forgets it) while the blob stays,
 * so a re-upload can hand out a new path for the same bytes, as the phone's re-upload does.
 *
 * Blobs live in memory up to a byte budget (least recently used leave first). With a directory,
 * blobs and paths are also written to disk, so a restarted network still serves what it stored.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface MediaBlobStoreOptions {
  /** Memory budget for blob bytes; older blobs are dropped from memory (not from disk) beyond it. */
  maxMemoryBytes?: number;
  /** Where blobs and paths persist; memory only when absent. */
  dir?: string;
}

export interface PathBinding {
  /** Hex SHA-256 of the encrypted blob. */
  blobId: string;
  /** Epoch ms after which the path answers 404, as expired media does. */
  expiresAt: number;
}

const DEFAULT_MAX_MEMORY_BYTES = 64 * 1024 * 1024;

export function blobIdOf(encrypted: Uint8Array): string {
  return createHash('sha256').update(encrypted).digest('hex');
}

export class MediaBlobStore {
  private readonly blobs = new Map<string, Buffer>();
  private readonly paths = new Map<string, PathBinding>();
  private memoryBytes = 0;
  private readonly maxMemoryBytes: number;
  private readonly dir: string | null;

  constructor(options: MediaBlobStoreOptions = {}) {
    this.maxMemoryBytes = options.maxMemoryBytes ?? DEFAULT_MAX_MEMORY_BYTES;
    this.dir = options.dir ?? null;
  }

  /** Bytes of blobs currently held in memory. */
  get bytesInMemory(): number {
    return this.memoryBytes;
  }

  async putBlob(encrypted: Uint8Array): Promise<string> {
    const blobId = blobIdOf(encrypted);
    const bytes = Buffer.from(encrypted);
    if (this.dir && !this.blobs.has(blobId)) {
      await this.writeAtomically(this.blobFile(blobId), bytes);
    }
    this.remember(blobId, bytes);
    return blobId;
  }

  async getBlob(blobId: string): Promise<Buffer | null> {
    const cached = this.blobs.get(blobId);
    if (cached) {
      this.remember(blobId, cached);
      return cached;
    }
    if (!this.dir) return null;
    const fromDisk = await readOrNull(this.blobFile(blobId));
    if (fromDisk) this.remember(blobId, fromDisk);
    return fromDisk;
  }

  async bindPath(pathname: string, binding: PathBinding): Promise<void> {
    this.paths.set(pathname, binding);
    if (this.dir) {
      await this.writeAtomically(this.pathFile(pathname), Buffer.from(JSON.stringify(binding)));
    }
  }

  /** The binding of a path that has not expired, or null. Expired paths are forgotten on the way. */
  async resolvePath(pathname: string, now = Date.now()): Promise<PathBinding | null> {
    let binding = this.paths.get(pathname) ?? null;
    if (!binding && this.dir) {
      const raw = await readOrNull(this.pathFile(pathname));
      binding = raw ? parseBinding(raw) : null;
      if (binding) this.paths.set(pathname, binding);
    }
    if (!binding) return null;
    if (binding.expiresAt <= now) {
      await this.unbindPath(pathname);
      return null;
    }
    return binding;
  }

  async unbindPath(pathname: string): Promise<boolean> {
    const known = this.paths.delete(pathname);
    if (this.dir) {
      await rm(this.pathFile(pathname), { force: true });
    }
    return known;
  }

  private remember(blobId: string, bytes: Buffer): void {
    if (this.blobs.delete(blobId)) this.memoryBytes -= bytes.length;
    this.blobs.set(blobId, bytes);
    this.memoryBytes += bytes.length;
    // Map iteration is insertion order, so the first entries are the least recently used.
    for (const [oldestId, oldest] of this.blobs) {
      if (this.memoryBytes <= this.maxMemoryBytes || oldestId === blobId) break;
      this.blobs.delete(oldestId);
      this.memoryBytes -= oldest.length;
    }
  }

  private blobFile(blobId: string): string {
    return join(this.requireDir(), 'blobs', `${blobId}.enc`);
  }

  private pathFile(pathname: string): string {
    const name = createHash('sha256').update(pathname).digest('hex');
    return join(this.requireDir(), 'paths', `${name}.json`);
  }

  private requireDir(): string {
    if (!this.dir) throw new Error('media store has no directory');
    return this.dir;
  }

  private async writeAtomically(file: string, bytes: Buffer): Promise<void> {
    await mkdir(join(file, '..'), { recursive: true });
    const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(temporary, bytes);
    await rename(temporary, file);
  }
}

async function readOrNull(file: string): Promise<Buffer | null> {
  try {
    return await readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

function parseBinding(raw: Buffer): PathBinding | null {
  try {
    const value: unknown = JSON.parse(raw.toString('utf8'));
    if (typeof value !== 'object' || value === null) return null;
    const { blobId, expiresAt } = value as Record<string, unknown>;
    if (typeof blobId !== 'string' || typeof expiresAt !== 'number') return null;
    return { blobId, expiresAt };
  } catch {
    return null;
  }
}
