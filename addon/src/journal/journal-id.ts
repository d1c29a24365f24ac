/**
 * The journal's identity: a random id fixed when the journal is created, so a client can tell a
 * wiped or replaced journal from the one its cursor belongs to, even once the new one has grown
 * past that cursor.
 *
 * The id is the name of an empty marker file (`id-<id>`): creating a file is atomic, and a file
 * without contents has no bytes a damaged disk could flip.
 */
import { randomBytes } from 'node:crypto';
import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { fsyncDirectory } from '../util/atomic-file.js';

const MARKER = /^id-([A-Za-z0-9_-]{22})$/;

export async function loadOrCreateJournalId(dir: string, logger: Logger): Promise<string> {
  const existing = (await readdir(dir))
    .map((name) => MARKER.exec(name)?.[1])
    .filter((id): id is string => id !== undefined)
    .sort();
  if (existing.length > 0) return existing[0]!;
  const id = randomBytes(16).toString('base64url');
  try {
    const handle = await open(join(dir, `id-${id}`), 'wx', 0o600);
    await handle.close();
    await fsyncDirectory(dir);
  } catch (error) {
    // Starting matters more than the id: clients see a new id after the next start and re-read.
    logger.error({ err: error }, 'could not store the journal id; using one for this run only');
  }
  return id;
}
