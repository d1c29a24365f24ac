/**
 * Where each retained journal event lives on disk, and what trimming and de-duplication need to
 * know of it without reading it back: about 40 bytes an event in typed arrays, instead of the
 * event itself on the heap.
 *
 * Positions are 0 for the oldest retained event up to `length - 1` for the newest; dropping the
 * oldest shifts them, so callers copy what they need (see `entries`) before awaiting anything.
 */

export interface EventLocation {
  seq: number;
  /** Which segment holds it (see Journal's segment ordinals). */
  segment: number;
  /** Byte offset of its record in the segment, and the record's length including its newline. */
  offset: number;
  length: number;
}

export interface IndexedEvent extends EventLocation {
  /** When it was journalled, in ms since the epoch: age-based trimming needs no disk read. */
  atMs: number;
  /** messageKeyHash of a `message` event, 0 for any other type. */
  keyHash: number;
}

const INITIAL_CAPACITY = 1_024;

export class EventIndex {
  private seqs = new Float64Array(INITIAL_CAPACITY);
  private segments = new Uint32Array(INITIAL_CAPACITY);
  private offsets = new Float64Array(INITIAL_CAPACITY);
  private lengths = new Uint32Array(INITIAL_CAPACITY);
  private times = new Float64Array(INITIAL_CAPACITY);
  private hashes = new Uint32Array(INITIAL_CAPACITY);
  /** Retained entries are the slots `head..tail-1`. */
  private head = 0;
  private tail = 0;

  get length(): number {
    return this.tail - this.head;
  }

  /** Seqs must ascend. */
  push(event: IndexedEvent): void {
    if (this.tail === this.seqs.length) this.makeRoom();
    const slot = this.tail;
    this.seqs[slot] = event.seq;
    this.segments[slot] = event.segment;
    this.offsets[slot] = event.offset;
    this.lengths[slot] = event.length;
    this.times[slot] = event.atMs;
    this.hashes[slot] = event.keyHash;
    this.tail += 1;
  }

  /** Forgets the `count` oldest entries. */
  dropOldest(count: number): void {
    this.head = Math.min(this.tail, this.head + Math.max(0, count));
    if (this.head === this.tail) this.head = this.tail = 0;
  }

  seqAt(position: number): number {
    return this.seqs[this.head + position]!;
  }

  atMsAt(position: number): number {
    return this.times[this.head + position]!;
  }

  keyHashAt(position: number): number {
    return this.hashes[this.head + position]!;
  }

  /** Position of the first entry with seq > after (seqs ascend, possibly with holes); `length` if none. */
  firstPositionAfter(after: number): number {
    let low = this.head;
    let high = this.tail;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.seqs[middle]! <= after) low = middle + 1;
      else high = middle;
    }
    return low - this.head;
  }

  /** Position of the entry with exactly this seq, or -1. */
  positionOf(seq: number): number {
    const position = this.firstPositionAfter(seq - 1);
    return position < this.length && this.seqAt(position) === seq ? position : -1;
  }

  /** Copies of the locations at positions `from..to-1`, safe to use after the index changes. */
  entries(from: number, to: number): EventLocation[] {
    const locations: EventLocation[] = [];
    for (let slot = this.head + from; slot < this.head + to; slot += 1) {
      locations.push({ seq: this.seqs[slot]!, segment: this.segments[slot]!, offset: this.offsets[slot]!, length: this.lengths[slot]! });
    }
    return locations;
  }

  /** Seqs of the entries with this key hash, newest first. */
  seqsWithKeyHash(keyHash: number): number[] {
    const seqs: number[] = [];
    for (let slot = this.tail - 1; slot >= this.head; slot -= 1) {
      if (this.hashes[slot] === keyHash) seqs.push(this.seqs[slot]!);
    }
    return seqs;
  }

  /** Slides the entries to the front, growing the arrays only when more than half of them is in use. */
  private makeRoom(): void {
    const used = this.length;
    const capacity = used * 2 > this.seqs.length ? this.seqs.length * 2 : this.seqs.length;
    const move = <A extends Float64Array | Uint32Array>(array: A, make: (size: number) => A): A => {
      if (capacity === array.length) {
        array.copyWithin(0, this.head, this.tail);
        return array;
      }
      const grown = make(capacity);
      grown.set(array.subarray(this.head, this.tail));
      return grown;
    };
    this.seqs = move(this.seqs, (size) => new Float64Array(size));
    this.segments = move(this.segments, (size) => new Uint32Array(size));
    this.offsets = move(this.offsets, (size) => new Float64Array(size));
    this.lengths = move(this.lengths, (size) => new Uint32Array(size));
    this.times = move(this.times, (size) => new Float64Array(size));
    this.hashes = move(this.hashes, (size) => new Uint32Array(size));
    this.head = 0;
    this.tail = used;
  }
}
