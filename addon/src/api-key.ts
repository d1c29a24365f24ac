import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isNotFound, writeFileAtomic } from './util/atomic-file.js';

const KEY_FILE = 'api_key';

/**
 * The configured key, or one generated once (32 random bytes) and kept in the data directory with
 * mode 0600 so it survives restarts and updates.
 */
export async function resolveApiKey(configured: string, dataDir: string): Promise<{ key: string; generated: boolean }> {
  if (configured !== '') return { key: configured, generated: false };
  const path = join(dataDir, KEY_FILE);
  try {
    const stored = (await readFile(path, 'utf8')).trim();
    if (stored !== '') return { key: stored, generated: false };
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  await mkdir(dataDir, { recursive: true });
  const key = randomBytes(32).toString('base64url');
  await writeFileAtomic(path, `${key}\n`, { mode: 0o600 });
  return { key, generated: true };
}

export function apiKeyFilePath(dataDir: string): string {
  return join(dataDir, KEY_FILE);
}

/**
 * Constant-time comparison. Hashing first gives both sides the same length, so neither the content
 * nor the length of the real key leaks through timing.
 */
export function apiKeyMatches(candidate: string, key: string): boolean {
  const a = createHash('sha256').update(candidate).digest();
  const b = createHash('sha256').update(key).digest();
  return timingSafeEqual(a, b);
}
