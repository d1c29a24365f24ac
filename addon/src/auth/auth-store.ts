/**
 * Durable Baileys credentials and Signal keys.
 *
 * Everything lives in memory and on disk as a snapshot-log (see util/snapshot-log): each
 * `saveCreds()` or `keys.set()` appends one record and resolves once it is fsynced, so a batch of
 * 800 pre-keys is one write and a session update on every message is a few hundred bytes, not a
 * rewrite of the store. Ids are only ever JSON strings inside files, so any jid is safe.
 * Buffers are encoded with Baileys' BufferJSON, exactly as Baileys' own stores do.
 *
 * A write the disk refuses is reported to the caller (Baileys) and to StorageHealth, and memory,
 * which is then ahead of the disk, is written as a whole new snapshot as soon as the disk takes
 * it. The previous snapshot generation is kept: a damaged snapshot falls back to it; when no
 * snapshot can be read the store starts empty (the phone must be linked again) and says so in
 * `recovery`, instead of the service refusing to start.
 */
import {
  BufferJSON,
  initAuthCreds,
  proto,
  type AuthenticationCreds,
  type AuthenticationState,
  type SignalDataSet,
  type SignalDataTypeMap,
  type SignalKeyStore,
} from 'baileys';
import { pino, type Logger } from 'pino';
import { SnapshotLog, type SnapshotRecovery } from '../util/snapshot-log.js';
import { SnapshotUpkeep } from '../util/snapshot-upkeep.js';
import type { StorageHealth } from '../util/storage-health.js';

export interface DurableAuthState {
  /** Pass straight to makeWASocket({ auth }). `creds` is replaced by clear(). */
  state: AuthenticationState;
  /** Persists the current state.creds (call it on Baileys' 'creds.update'). */
  saveCreds(): Promise<void>;
  /** Whether a linked account is stored. */
  isRegistered(): boolean;
  /** Forgets the account: creds and every key, on disk and in memory. */
  clear(): Promise<void>;
  /** Resolves when every write started so far is durable. */
  flush(): Promise<void>;
  /** How the stored credentials were found at start: whole, rebuilt from the previous generation, or lost. */
  readonly recovery?: SnapshotRecovery;
}

export interface AuthStoreOptions {
  storageHealth?: StorageHealth;
  /** Pause between attempts to write memory to disk after a write failed. */
  resyncIntervalMs?: number;
}

type KeyType = keyof SignalDataTypeMap;
/** Keys by type, then id. Types Baileys may add later are kept as they are. */
type KeyTables = Map<string, Map<string, unknown>>;

interface StoredState {
  creds?: AuthenticationCreds | null;
  keys?: Record<string, Record<string, unknown>>;
}

const STORE_NAME = 'auth';
/** Below this the log is cheaper to keep than to fold into a new snapshot. */
const MIN_COMPACTION_BYTES = 1024 * 1024;
const RESYNC_INTERVAL_MS = 5_000;

export async function openAuthStore(dir: string, logger?: Logger, options: AuthStoreOptions = {}): Promise<DurableAuthState> {
  const log = (logger ?? pino({ level: 'silent' })).child({ component: 'auth-store' });
  const { log: storage, snapshot, records, recovery } = await SnapshotLog.open(dir, STORE_NAME, log, { keepPrevious: true });
  let creds: AuthenticationCreds | undefined;
  const tables: KeyTables = new Map();
  for (const payload of snapshot === undefined ? records : [snapshot, ...records]) {
    const stored = JSON.parse(payload, BufferJSON.reviver) as StoredState;
    if (stored.creds !== undefined) creds = stored.creds ?? undefined;
    for (const [type, entries] of Object.entries(stored.keys ?? {})) applyKeyChanges(tables, type, entries);
  }
  const store = new AuthStore(storage, restoreCreds(creds), tables, log, recovery, options);
  if (recovery === 'previous_generation') {
    // A good current snapshot again, so a second damage does not find only old generations.
    await storage.compact(() => store.serialiseSnapshot()).catch((error: unknown) => log.warn({ err: error }, 'could not rewrite the recovered credentials'));
  }
  log.debug({ registered: store.isRegistered(), keyTypes: tables.size, recovery }, 'credential store opened');
  return store;
}

class AuthStore implements DurableAuthState {
  readonly state: AuthenticationState;
  private readonly upkeep: SnapshotUpkeep;

  constructor(
    private readonly storage: SnapshotLog,
    creds: AuthenticationCreds,
    private readonly tables: KeyTables,
    private readonly logger: Logger,
    readonly recovery: SnapshotRecovery,
    private readonly options: AuthStoreOptions,
  ) {
    const keys: SignalKeyStore = {
      get: <T extends KeyType>(type: T, ids: string[]) => this.getKeys(type, ids),
      set: (data: SignalDataSet) => this.setKeys(data),
    };
    this.state = { creds, keys };
    this.upkeep = new SnapshotUpkeep(storage, {
      serialise: () => this.serialiseSnapshot(),
      minCompactionBytes: MIN_COMPACTION_BYTES,
      resyncIntervalMs: options.resyncIntervalMs ?? RESYNC_INTERVAL_MS,
      onResynced: () => {
        this.options.storageHealth?.recovered('credentials');
        this.logger.warn('credentials are stored again');
      },
      onCompactionFailed: (error) => this.logger.error({ err: error }, 'could not compact the credential store'),
    });
  }

  saveCreds(): Promise<void> {
    return this.append({ creds: this.state.creds });
  }

  isRegistered(): boolean {
    const { me, registered, account } = this.state.creds;
    return Boolean(me?.id) && (registered || Boolean(account));
  }

  async clear(): Promise<void> {
    // Memory first, so nothing set after this call can be wiped by the reset below.
    this.tables.clear();
    this.state.creds = initAuthCreds();
    this.upkeep.cancelResync();
    // Deleting needs no free space, so logging out works on a full disk too, and no previous
    // generation is left behind to bring the old account back.
    await this.storage.reset();
    this.options.storageHealth?.recovered('credentials');
    this.logger.info('credentials cleared');
  }

  async flush(): Promise<void> {
    await this.storage.idle();
    await this.upkeep.settled();
  }

  private getKeys<T extends KeyType>(type: T, ids: string[]): { [id: string]: SignalDataTypeMap[T] } {
    const table = this.tables.get(type);
    const found: { [id: string]: SignalDataTypeMap[T] } = {};
    if (!table) return found;
    for (const id of ids) {
      const value = table.get(id);
      if (value !== undefined) found[id] = value as SignalDataTypeMap[T];
    }
    return found;
  }

  private setKeys(data: SignalDataSet): Promise<void> {
    const changes: Record<string, Record<string, unknown>> = {};
    for (const [type, entries] of Object.entries(data)) {
      if (!entries) continue;
      const normalised: Record<string, unknown> = {};
      // JSON drops undefined, which would turn a delete into a no-op after a restart.
      for (const [id, value] of Object.entries(entries)) normalised[id] = value ?? null;
      changes[type] = normalised;
      applyKeyChanges(this.tables, type, normalised);
    }
    return this.append({ keys: changes });
  }

  private async append(change: StoredState): Promise<void> {
    try {
      await this.storage.append(JSON.stringify(change, BufferJSON.replacer));
    } catch (error) {
      this.logger.error({ err: error }, 'could not store a credential change; it is kept in memory and written when the disk takes it');
      this.options.storageHealth?.failed('credentials', error);
      this.upkeep.scheduleResync();
      throw error;
    }
    this.upkeep.compactIfLogOutgrewSnapshot();
  }

  serialiseSnapshot(): string {
    const keys: Record<string, Record<string, unknown>> = {};
    for (const [type, table] of this.tables) keys[type] = Object.fromEntries(table);
    const snapshot: StoredState = { creds: this.state.creds, keys };
    return JSON.stringify(snapshot, BufferJSON.replacer);
  }
}

function applyKeyChanges(tables: KeyTables, type: string, entries: Record<string, unknown>): void {
  let table = tables.get(type);
  if (!table) {
    table = new Map();
    tables.set(type, table);
  }
  for (const [id, value] of Object.entries(entries)) {
    if (value === null || value === undefined) table.delete(id);
    else table.set(id, reviveKey(type, value));
  }
}

/** JSON cannot carry protobuf classes; Baileys expects app-state sync keys as proto objects. */
function reviveKey(type: string, value: unknown): unknown {
  if (type === 'app-state-sync-key') {
    return proto.Message.AppStateSyncKeyData.fromObject(value as Record<string, unknown>);
  }
  return value;
}

/**
 * JSON drops properties whose value is undefined, but AuthenticationCreds declares some as always
 * present (`pairingCode: string | undefined`); put them back so loaded creds equal saved ones.
 */
function restoreCreds(stored: AuthenticationCreds | undefined): AuthenticationCreds {
  const fresh = initAuthCreds();
  if (!stored) return fresh;
  const restored = stored as unknown as Record<string, unknown>;
  for (const [field, value] of Object.entries(fresh)) {
    if (value === undefined && !(field in restored)) restored[field] = undefined;
  }
  return stored;
}
