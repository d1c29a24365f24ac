/**
 * Moves a data folder of the single-account releases (the account's stores directly under
 * WA_DATA_DIR) into `accounts/default/`, so an update keeps its link, journal and history.
 *
 * Every step is one rename, and the account appears under its final name only in the last one:
 * 1. each old entry is renamed into `accounts/.migrating-default/`;
 * 2. that folder is renamed to `accounts/default`.
 * A crash before step 2 leaves some entries in the old place and some in the staging folder; the
 * next start simply carries on moving. The API key file and options.json stay where they are.
 */
import { mkdir, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';

import { fsyncDirectory } from '../util/atomic-file.js';
import { accountsRoot, MIGRATING_FOLDER } from './account-folders.js';
import { DEFAULT_ACCOUNT_ID } from './directory.js';

/** What the single-account layout kept directly under WA_DATA_DIR for its one account. */
export const LEGACY_ENTRIES = ['journal', 'auth', 'messages', 'media', 'idempotency', 'idempotency.json', 'simulator'] as const;

export interface MigrationHooks {
  /** Called after each rename; tests throw here to play a crash between two renames. */
  afterRename?: (entry: string) => void | Promise<void>;
}

export type MigrationOutcome = 'nothing-to-do' | 'migrated' | 'left-old-entries';

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

export async function migrateLegacyLayout(dataDir: string, logger: Logger, hooks: MigrationHooks = {}): Promise<MigrationOutcome> {
  const root = accountsRoot(dataDir);
  const staging = join(root, MIGRATING_FOLDER);
  const target = join(root, DEFAULT_ACCOUNT_ID);
  const oldEntries: string[] = [];
  for (const entry of LEGACY_ENTRIES) if (await exists(join(dataDir, entry))) oldEntries.push(entry);

  if (await exists(target)) {
    // Migrated before (or never single-account); old entries now can only come from restoring an
    // old copy into the folder. Replacing the account with them could lose newer data: leave them.
    if (oldEntries.length > 0) {
      logger.warn({ entries: oldEntries }, 'found single-account data next to accounts/default; it is left alone and not used');
      return 'left-old-entries';
    }
    return 'nothing-to-do';
  }
  const resuming = await exists(staging);
  if (oldEntries.length === 0 && !resuming) return 'nothing-to-do';

  logger.info({ entries: oldEntries, resuming }, 'moving the data of the single-account layout into accounts/default');
  await mkdir(staging, { recursive: true });
  await fsyncDirectory(root);
  for (const entry of oldEntries) {
    const destination = join(staging, entry);
    if (await exists(destination)) {
      // Cannot happen through this code (each entry moves in one rename); keep the moved copy.
      logger.warn({ entry }, 'an old entry exists in both places; keeping the one already moved');
      continue;
    }
    await rename(join(dataDir, entry), destination);
    await fsyncDirectory(staging);
    await fsyncDirectory(dataDir);
    await hooks.afterRename?.(entry);
  }
  await rename(staging, target);
  await fsyncDirectory(root);
  logger.info('the single-account data now belongs to the account "default"');
  return 'migrated';
}
