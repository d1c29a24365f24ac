/**
 * The Idempotency-Key records earlier versions kept, read once so an update loses none of them:
 * - a snapshot-log named `idempotency` (snapshot plus change log) in the store's folder;
 * - before that, a single JSON file of `[key, record]` pairs.
 * Both are deleted (with `remove`) once their records are in the current store.
 */
import { readdir, readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { removeFileIfExists } from '../util/atomic-file.js';
import { SnapshotLog } from '../util/snapshot-log.js';

export interface Remembered<T> {
  fingerprint: string;
  /** Absent while the work runs (or ran when the service stopped): the outcome is not known. */
  result?: T;
  /** When the key was first used, in ms since the epoch. */
  at: number;
}

/** One change, as appended to a log: `r` remembers a key, `f` forgets it. */
export interface Change<T> {
  k: string;
  r?: Remembered<T>;
  f?: true;
}

const SNAPSHOT_LOG_NAME = 'idempotency';
const SNAPSHOT_LOG_FILE = /^idempotency(\.prev)?\.snapshot$|^idempotency-\d+\.log$/;

export function isRemembered<T>(value: Remembered<T> | undefined): value is Remembered<T> {
  return typeof value?.fingerprint === 'string' && typeof value.at === 'number';
}

export function parseChange<T>(payload: string): Change<T> | undefined {
  try {
    const change = JSON.parse(payload) as Change<T>;
    return typeof change?.k === 'string' ? change : undefined;
  } catch {
    return undefined;
  }
}

/** Whether an earlier version's store is still in `dir` or at `legacyFile`. */
export async function hasLegacyStores(dir: string, legacyFile: string | undefined): Promise<boolean> {
  const names = await readdir(dir);
  if (names.some((name) => SNAPSHOT_LOG_FILE.test(name))) return true;
  if (!legacyFile) return false;
  return readFile(legacyFile).then(
    () => true,
    () => false,
  );
}

export interface LegacyRecords<T> {
  /** Every key the earlier stores remember, in the order they were used. */
  remembered: Map<string, Remembered<T>>;
  /** Deletes the earlier stores' files. */
  remove: () => Promise<void>;
}

export async function readLegacyStores<T>(dir: string, legacyFile: string | undefined, logger: Logger): Promise<LegacyRecords<T>> {
  const remembered = new Map<string, Remembered<T>>();
  const apply = (changes: Array<Change<T>>): void => {
    for (const change of changes) {
      if (typeof change?.k !== 'string') continue;
      remembered.delete(change.k);
      if (isRemembered(change.r)) remembered.set(change.k, change.r);
    }
  };
  const { log, snapshot, records } = await SnapshotLog.open(dir, SNAPSHOT_LOG_NAME, logger);
  const parseEach = (payload: string, parse: (text: string) => Array<Change<T>>): void => {
    try {
      apply(parse(payload));
    } catch {
      logger.warn('skipped an unreadable idempotency record');
    }
  };
  if (snapshot !== undefined) parseEach(snapshot, (text) => JSON.parse(text) as Array<Change<T>>);
  for (const record of records) parseEach(record, (text) => [JSON.parse(text) as Change<T>]);
  if (legacyFile) {
    const text = await readFile(legacyFile, 'utf8').catch(() => undefined);
    if (text !== undefined) {
      parseEach(text, (json) => (JSON.parse(json) as Array<[string, Remembered<T>]>).map(([k, r]) => ({ k, r })));
    }
  }
  const remove = async (): Promise<void> => {
    await log.reset();
    if (legacyFile) await removeFileIfExists(legacyFile);
  };
  return { remembered, remove };
}
