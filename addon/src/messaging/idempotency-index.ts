/**
 * Where the record of each remembered Idempotency-Key lies on disk, in typed arrays: about 24
 * bytes a key (a digest of it, when it was first used, and file, offset and length of its newest
 * record) instead of the key, fingerprint and result on the heap.
 *
 * Entries are kept in the order their keys were first used, which is time order, so expiry drops
 * from the front. A key is found through an open-addressing table of entry handles by digest (8 to
 * 16 bytes a key; a Map would cost several times that): entries that were dropped or forgotten
 * are skipped when met, and the table is rebuilt from the live entries once it is half full.
 */
import { crc32 } from 'node:zlib';
import { slideToFront } from '../util/column-queue.js';
import type { RecordLocation } from '../util/rolling-record-log.js';

/** A non-zero 32-bit digest of a key; 0 marks a forgotten entry. Equal keys, equal digests. */
export function keyDigest(key: string): number {
  return crc32(key) || 1;
}

const INITIAL_CAPACITY = 256;
const INITIAL_TABLE_SIZE = 1_024;

export class IdempotencyIndex {
  private digests = new Uint32Array(INITIAL_CAPACITY);
  private times = new Float64Array(INITIAL_CAPACITY);
  private files = new Uint32Array(INITIAL_CAPACITY);
  private offsets = new Uint32Array(INITIAL_CAPACITY);
  private lengths = new Uint32Array(INITIAL_CAPACITY);
  /** Live entries are the slots `head..tail-1`; `dropped` entries came before slot `head`. */
  private head = 0;
  private tail = 0;
  private dropped = 0;
  /** Handle + 1 of entries by digest (linear probing from `digest & mask`); 0 is an empty slot. */
  private table = new Uint32Array(INITIAL_TABLE_SIZE);
  private tableUsed = 0;

  /** Entries held, forgotten ones included until they reach the front. */
  get length(): number {
    return this.tail - this.head;
  }

  /** Adds a key first used at `atMs`; returns its entry's handle, valid until it is dropped. */
  add(digest: number, atMs: number, location: RecordLocation): number {
    if (this.tail === this.digests.length) this.makeRoom();
    if ((this.tableUsed + 1) * 2 > this.table.length) this.rebuildTable();
    const slot = this.tail;
    this.digests[slot] = digest;
    this.times[slot] = atMs;
    this.tail += 1;
    this.setLocation(slot, location);
    const handle = this.dropped + slot - this.head;
    this.insertIntoTable(digest, handle);
    return handle;
  }

  /** The key's newer record (its result) landed at `location`. */
  moveTo(handle: number, location: RecordLocation): void {
    const slot = this.slotOf(handle);
    if (slot !== undefined && this.digests[slot] !== 0) this.setLocation(slot, location);
  }

  forget(handle: number): void {
    const slot = this.slotOf(handle);
    if (slot !== undefined) this.digests[slot] = 0;
  }

  /** Handles of the entries with this digest used at or after `sinceMs`, newest first. */
  candidates(digest: number, sinceMs: number): number[] {
    const handles: number[] = [];
    const mask = this.table.length - 1;
    for (let probe = digest & mask; this.table[probe] !== 0; probe = (probe + 1) & mask) {
      const handle = this.table[probe]! - 1;
      const slot = this.slotOf(handle);
      if (slot !== undefined && this.digests[slot] === digest && this.times[slot]! >= sinceMs) handles.push(handle);
    }
    return handles.sort((a, b) => b - a);
  }

  locationOf(handle: number): RecordLocation | undefined {
    const slot = this.slotOf(handle);
    if (slot === undefined || this.digests[slot] === 0) return undefined;
    return { file: this.files[slot]!, offset: this.offsets[slot]!, length: this.lengths[slot]! };
  }

  /**
   * Drops entries from the front while they are forgotten or used before `beforeMs` and
   * `mayDrop` allows it (a send still running keeps its entry, and every later one, a little longer).
   */
  dropExpired(beforeMs: number, mayDrop: (handle: number) => boolean): number {
    let count = 0;
    while (this.head < this.tail && (this.digests[this.head] === 0 || this.times[this.head]! < beforeMs) && mayDrop(this.dropped)) {
      this.head += 1;
      this.dropped += 1;
      count += 1;
    }
    if (this.head === this.tail) this.head = this.tail = 0;
    return count;
  }

  /** The oldest file any live entry's record is in, or undefined when there is none. */
  oldestFileInUse(): number | undefined {
    let oldest: number | undefined;
    for (let slot = this.head; slot < this.tail; slot += 1) {
      if (this.digests[slot] !== 0 && (oldest === undefined || this.files[slot]! < oldest)) oldest = this.files[slot]!;
    }
    return oldest;
  }

  private insertIntoTable(digest: number, handle: number): void {
    const mask = this.table.length - 1;
    let probe = digest & mask;
    while (this.table[probe] !== 0) probe = (probe + 1) & mask;
    this.table[probe] = handle + 1;
    this.tableUsed += 1;
  }

  /** A fresh table of the live entries, a quarter full, so dropped and forgotten ones stop costing probes. */
  private rebuildTable(): void {
    let live = 1;
    for (let slot = this.head; slot < this.tail; slot += 1) if (this.digests[slot] !== 0) live += 1;
    let size = INITIAL_TABLE_SIZE;
    while (size < live * 4) size *= 2;
    this.table = new Uint32Array(size);
    this.tableUsed = 0;
    for (let slot = this.head; slot < this.tail; slot += 1) {
      if (this.digests[slot] !== 0) this.insertIntoTable(this.digests[slot]!, this.dropped + slot - this.head);
    }
  }

  private slotOf(handle: number): number | undefined {
    const slot = this.head + handle - this.dropped;
    return slot >= this.head && slot < this.tail ? slot : undefined;
  }

  private setLocation(slot: number, location: RecordLocation): void {
    this.files[slot] = location.file;
    this.offsets[slot] = location.offset;
    this.lengths[slot] = location.length;
  }

  /** Makes room at the tail for another entry (see slideToFront); handles stay valid. */
  private makeRoom(): void {
    [this.digests, this.times, this.files, this.offsets, this.lengths] = slideToFront(
      [this.digests, this.times, this.files, this.offsets, this.lengths] as const,
      this.head,
      this.tail,
    );
    this.tail -= this.head;
    this.head = 0;
  }
}
