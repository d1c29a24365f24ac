/**
 * Which `message` events are among the newest MESSAGE_WINDOW journalled, by a digest of their
 * identity (see keys), so a redelivered message is recognised without reading the disk.
 *
 * Bounded on purpose, whatever the retention: WhatsApp delivers a message again only when the
 * add-on did not acknowledge it, which happens to the messages being handled when it stopped —
 * the newest ones. A window of this many covers even a crash while taking in a long offline
 * backlog; a message older than that is journalled again rather than looked for among millions.
 */

export const MESSAGE_WINDOW = 16_384;

export class RecentMessages {
  /** A ring of the window's digests and seqs; slot `next` is the oldest once it is full. */
  private readonly digests: Uint32Array;
  private readonly seqs: Float64Array;
  private next = 0;
  private size = 0;
  /** The newest seq in the window with each digest. */
  private readonly newestSeqs = new Map<number, number>();

  constructor(private readonly capacity = MESSAGE_WINDOW) {
    this.digests = new Uint32Array(capacity);
    this.seqs = new Float64Array(capacity);
  }

  /** Seqs must ascend. */
  add(digest: number, seq: number): void {
    if (this.size === this.capacity) {
      const evicted = this.digests[this.next]!;
      if (this.newestSeqs.get(evicted) === this.seqs[this.next]) this.newestSeqs.delete(evicted);
    } else {
      this.size += 1;
    }
    this.digests[this.next] = digest;
    this.seqs[this.next] = seq;
    this.newestSeqs.set(digest, seq);
    this.next = (this.next + 1) % this.capacity;
  }

  /** The newest seq with this digest at or after `oldestSeq`, if any. */
  newest(digest: number, oldestSeq: number): number | undefined {
    const seq = this.newestSeqs.get(digest);
    return seq !== undefined && seq >= oldestSeq ? seq : undefined;
  }

  /** Every seq with this digest at or after `oldestSeq`, newest first (equal digests need not be equal messages). */
  all(digest: number, oldestSeq: number): number[] {
    const seqs: number[] = [];
    for (let back = 1; back <= this.size; back += 1) {
      const slot = (this.next - back + this.capacity) % this.capacity;
      if (this.seqs[slot]! < oldestSeq) break;
      if (this.digests[slot] === digest) seqs.push(this.seqs[slot]!);
    }
    return seqs;
  }
}
