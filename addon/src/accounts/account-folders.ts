/**
 * The accounts' folders under `WA_DATA_DIR/accounts/`. Every change that a crash could leave half
 * done goes through a rename, so the next start sees either the old or the new state:
 * - a new account is built under `.creating-<id>-<rand>` and renamed to `<id>` when complete;
 * - a deleted account is first renamed to `.deleting-<id>-<rand>`, then removed;
 * leftovers of either are removed at the next start.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';

import { fsyncDirectory } from '../util/atomic-file.js';
import { ACCOUNT_ID_PATTERN, AccountExistsError } from './directory.js';

export const ACCOUNTS_FOLDER = 'accounts';
/** What one account keeps, each a folder of its own inside `accounts/<id>/`. */
export const ACCOUNT_PARTS = ['journal', 'auth', 'messages', 'media', 'idempotency'] as const;

const CREATING_PREFIX = '.creating-';
const DELETING_PREFIX = '.deleting-';
/** Where the migration from the single-account layout stages its renames (see legacy-layout.ts). */
export const MIGRATING_FOLDER = '.migrating-default';

const ACCOUNT_ID = new RegExp(ACCOUNT_ID_PATTERN);

export function isAccountId(id: string): boolean {
  return ACCOUNT_ID.test(id);
}

export function accountsRoot(dataDir: string): string {
  return join(dataDir, ACCOUNTS_FOLDER);
}

export function accountFolder(dataDir: string, id: string): string {
  return join(accountsRoot(dataDir), id);
}

function randomSuffix(): string {
  return randomBytes(4).toString('hex');
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Creates `accounts/<id>/` with its part folders in one rename, so a crash never leaves an account
 * folder that is half made. Refuses an id whose folder exists.
 */
export async function createAccountFolder(dataDir: string, id: string): Promise<string> {
  const root = accountsRoot(dataDir);
  const target = join(root, id);
  await mkdir(root, { recursive: true });
  // rename() would silently replace an existing empty folder.
  if (await exists(target)) throw new AccountExistsError(id);
  const building = join(root, `${CREATING_PREFIX}${id}-${randomSuffix()}`);
  await mkdir(building);
  try {
    for (const part of ACCOUNT_PARTS) await mkdir(join(building, part));
    await fsyncDirectory(building);
    await rename(building, target);
  } catch (error) {
    await rm(building, { recursive: true, force: true });
    if ((error as NodeJS.ErrnoException).code === 'ENOTEMPTY' || (error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new AccountExistsError(id);
    }
    throw error;
  }
  await fsyncDirectory(root);
  return target;
}

/**
 * Deletes `accounts/<id>/` so that a crash midway cannot leave a damaged account behind: the folder
 * leaves its name in one rename, and only then is its content removed.
 */
export async function removeAccountFolder(dataDir: string, id: string): Promise<void> {
  const root = accountsRoot(dataDir);
  const tombstone = join(root, `${DELETING_PREFIX}${id}-${randomSuffix()}`);
  try {
    await rename(join(root, id), tombstone);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  await fsyncDirectory(root);
  await rm(tombstone, { recursive: true, force: true });
}

/**
 * The ids of the account folders under `accounts/`, sorted. Removes what an interrupted create or
 * delete left behind; anything else that is not an account folder is left alone and logged.
 */
export async function discoverAccountFolders(dataDir: string, logger: Logger): Promise<string[]> {
  const root = accountsRoot(dataDir);
  await mkdir(root, { recursive: true });
  const ids: string[] = [];
  for (const entry of await readdir(root, { withFileTypes: true })) {
    if (entry.name.startsWith(CREATING_PREFIX) || entry.name.startsWith(DELETING_PREFIX)) {
      logger.info({ folder: entry.name }, 'removing what an interrupted account creation or deletion left behind');
      await rm(join(root, entry.name), { recursive: true, force: true });
      continue;
    }
    if (entry.isDirectory() && isAccountId(entry.name)) {
      ids.push(entry.name);
      continue;
    }
    logger.warn({ entry: entry.name }, 'ignoring an entry in the accounts folder that is not an account');
  }
  return ids.sort();
}
