import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isNotFound, writeFileAtomic } from './util/atomic-file.js';

const KEY_FILE = 'api_key';

/** Shorter keys can be guessed; a generated key is 43 characters. */
export const MIN_API_KEY_LENGTH = 16;

export interface ResolvedApiKey {
  key: string;
  generated: boolean;
  /** The configured key was too short and is not used; the stored or generated one is. */
  refusedTooShort: boolean;
}

/**
 * The configured key, or one generated once (32 random bytes) and kept in the data directory with
 * mode 0600 so it survives restarts and updates. With `enforceMinimum` (the add-on option), a key
 * shorter than MIN_API_KEY_LENGTH is refused in favour of the stored one rather than stopping the
 * add-on: Home Assistant's integration gets the key in use by discovery and keeps working, and the
 * log says why the chosen key fails. A key set in WA_API_KEY is the operator's explicit choice for a
 * standalone service and its clients; it is used as given, and the caller warns when it is short.
 */
export async function resolveApiKey(configured: string, dataDir: string, enforceMinimum = true): Promise<ResolvedApiKey> {
  if (configured.length >= MIN_API_KEY_LENGTH || (!enforceMinimum && configured !== '')) {
    return { key: configured, generated: false, refusedTooShort: false };
  }
  const refusedTooShort = configured !== '';
  const path = join(dataDir, KEY_FILE);
  try {
    const stored = (await readFile(path, 'utf8')).trim();
    if (stored !== '') return { key: stored, generated: false, refusedTooShort };
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  await mkdir(dataDir, { recursive: true });
  const key = randomBytes(32).toString('base64url');
  await writeFileAtomic(path, `${key}\n`, { mode: 0o600 });
  return { key, generated: true, refusedTooShort };
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
