/**
 * An in-memory Signal key store for one peer of the fake network, shaped like the store Baileys'
 * own repository expects, that can be written out as JSON and read back. Keeping it as plain data
 * is what lets a contact's sessions outlive a process restart.
 */
import { BufferJSON, type SignalDataSet, type SignalDataTypeMap, type SignalKeyStoreWithTransaction } from 'baileys';

type KeyType = keyof SignalDataTypeMap;

/** Every stored value by type and id; values keep Baileys' own types. */
export type SignalStoreSnapshot = Partial<Record<KeyType, Record<string, unknown>>>;

export class MemorySignalKeyStore implements SignalKeyStoreWithTransaction {
  private readonly data = new Map<KeyType, Map<string, unknown>>();
  /** Serialises transactions: libsignal's session updates are read-modify-write. */
  private queue: Promise<unknown> = Promise.resolve();
  private depth = 0;

  constructor(snapshot: SignalStoreSnapshot = {}) {
    for (const [type, values] of Object.entries(snapshot) as Array<[KeyType, Record<string, unknown> | undefined]>) {
      if (values) this.data.set(type, new Map(Object.entries(values)));
    }
  }

  get<T extends KeyType>(type: T, ids: string[]): { [id: string]: SignalDataTypeMap[T] } {
    const bucket = this.data.get(type);
    const found: { [id: string]: SignalDataTypeMap[T] } = {};
    for (const id of ids) {
      const value = bucket?.get(id);
      if (value !== undefined) found[id] = value as SignalDataTypeMap[T];
    }
    return found;
  }

  set(data: SignalDataSet): void {
    for (const [type, values] of Object.entries(data) as Array<[KeyType, Record<string, unknown> | undefined]>) {
      if (!values) continue;
      let bucket = this.data.get(type);
      if (!bucket) {
        bucket = new Map();
        this.data.set(type, bucket);
      }
      for (const [id, value] of Object.entries(values)) {
        if (value === null || value === undefined) bucket.delete(id);
        else bucket.set(id, value);
      }
    }
  }

  clear(): void {
    this.data.clear();
  }

  isInTransaction(): boolean {
    return this.depth > 0;
  }

  async transaction<T>(exec: () => Promise<T>, _key: string): Promise<T> {
    // Nested calls (Baileys nests them) run inline; only the outermost waits its turn.
    if (this.depth > 0) return exec();
    const run = this.queue.then(async () => {
      this.depth += 1;
      try {
        return await exec();
      } finally {
        this.depth -= 1;
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  snapshot(): SignalStoreSnapshot {
    const out: SignalStoreSnapshot = {};
    for (const [type, bucket] of this.data) out[type] = Object.fromEntries(bucket);
    return out;
  }

  /** JSON text that `fromJson` turns back into an equal store (binary values survive). */
  toJson(): string {
    return JSON.stringify(this.snapshot(), BufferJSON.replacer);
  }

  static fromJson(text: string): MemorySignalKeyStore {
    return new MemorySignalKeyStore(JSON.parse(text, BufferJSON.reviver) as SignalStoreSnapshot);
  }
}
