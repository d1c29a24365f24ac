/**
 * Crash-safe file helpers. A file replaced with writeFileAtomic is, after a crash at any instant,
 * either its complete old version or its complete new version; never a mix or a truncated file.
 */
import { randomBytes } from 'node:crypto';
import { link, open, readdir, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Temp files carry this marker so leftovers from a crash can be recognised and removed. */
const TEMP_MARKER = '.tmp-';

export interface WriteFileAtomicOptions {
  mode?: number;
  /**
   * Keep the version being replaced under this name (the one kept before is dropped). There is
   * never a moment without the file itself: the old version is hard-linked first, then replaced.
   */
  keepPreviousAs?: string;
}

export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: WriteFileAtomicOptions = {},
): Promise<void> {
  const tempPath = join(dirname(path), `${basename(path)}${TEMP_MARKER}${randomBytes(6).toString('hex')}`);
  const handle = await open(tempPath, 'w', options.mode ?? 0o600);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(tempPath).catch(() => undefined);
    throw error;
  }
  await handle.close();
  if (options.keepPreviousAs) await keepPrevious(path, options.keepPreviousAs);
  try {
    await rename(tempPath, path);
  } catch (error) {
    await unlink(tempPath).catch(() => undefined);
    throw error;
  }
  // The rename is only durable once the directory entry itself has reached the disk.
  await fsyncDirectory(dirname(path));
}

async function keepPrevious(path: string, previousPath: string): Promise<void> {
  await removeFileIfExists(previousPath);
  try {
    await link(path, previousPath);
  } catch (error) {
    // No current version yet, or a filesystem without hard links: nothing to keep.
    if (!isNotFound(error) && !['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV'].includes(String((error as NodeJS.ErrnoException).code))) throw error;
  }
}

/** Makes creations, renames and deletions inside `dir` durable. */
export async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Cuts a file back to `size` bytes and waits until the shorter length is on the disk. */
export async function truncateDurably(path: string, size: number): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.truncate(size);
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

/** The file's contents, or undefined when it does not exist. */
export async function readFileIfExists(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** Deletes a file; a file that is already gone is not an error. */
export async function removeFileIfExists(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}

/**
 * Removes temp files a crash left behind in `dir` for files named `prefix…` (a temp file is never
 * the authoritative copy). Only call it while nothing is writing such files.
 */
export async function removeStaleTempFiles(dir: string, prefix = ''): Promise<number> {
  const names = await readdir(dir);
  const stale = names.filter((name) => name.startsWith(prefix) && name.includes(TEMP_MARKER));
  await Promise.all(stale.map((name) => removeFileIfExists(join(dir, name))));
  return stale.length;
}

/** Writes all of `bytes` at the handle's position (the end, for files opened to append). */
export async function writeAll(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset);
    offset += bytesWritten;
  }
}

export function isNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as NodeJS.ErrnoException).code === 'ENOENT';
}
