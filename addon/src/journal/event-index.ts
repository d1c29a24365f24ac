/**
 * Where the retained journal events lie on disk, one entry per page of up to EVENTS_PER_PAGE
 * events rather than one per event: about 48 bytes a page, under a byte an event, so the index
 * stays small at any retention (ten million events: about 12 MB with room to grow, instead of 575).
 *
 * A page is a run of consecutive seqs whose records follow one another in one segment, so the
 * seq of its n-th record is `firstSeq + n`, and finding one event costs a read of its page (a few
 * tens of kB) from the page's offset. A hole in the seqs (records lost to damage) or a new segment
 * starts a new page.
 */
import { slideToFront } from '../util/column-queue.js';

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
}

/** Consecutive records of one segment: the bytes `offset..end-1` hold seqs `firstSeq..lastSeq`. */
export interface PageSpan {
  segment: number;
  offset: number;
  end: number;
  firstSeq: number;
  lastSeq: number;
}

/** The oldest page, with how many of its events are already trimmed and its time range. */
export interface HeadPage extends PageSpan {
  trimmed: number;
  firstAtMs: number;
  lastAtMs: number;
}

/** Small enough that finding one event reads little, large enough that the index costs under a byte an event. */
export const EVENTS_PER_PAGE = 64;
const INITIAL_CAPACITY = 64;

export class EventIndex {
  private firstSeqs = new Float64Array(INITIAL_CAPACITY);
  private segments = new Uint32Array(INITIAL_CAPACITY);
  private offsets = new Float64Array(INITIAL_CAPACITY);
  private ends = new Float64Array(INITIAL_CAPACITY);
  private counts = new Uint32Array(INITIAL_CAPACITY);
  /** Earliest and latest time of the page's events. */
  private firstTimes = new Float64Array(INITIAL_CAPACITY);
  private lastTimes = new Float64Array(INITIAL_CAPACITY);
  /** Pages are the slots `head..tail-1`; the first `headTrimmed` events of the head page are trimmed. */
  private head = 0;
  private tail = 0;
  private headTrimmed = 0;
  private retained = 0;

  /** Retained events. */
  get length(): number {
    return this.retained;
  }

  get oldestSeq(): number | undefined {
    return this.retained > 0 ? this.firstSeqs[this.head]! + this.headTrimmed : undefined;
  }

  get newestSeq(): number | undefined {
    return this.retained > 0 ? this.lastSeqOf(this.tail - 1) : undefined;
  }

  /** Seqs must ascend. */
  push(event: IndexedEvent): void {
    const last = this.tail - 1;
    const extends_ =
      this.tail > this.head &&
      this.counts[last]! < EVENTS_PER_PAGE &&
      this.segments[last] === event.segment &&
      this.ends[last] === event.offset &&
      this.lastSeqOf(last) + 1 === event.seq;
    if (extends_) {
      this.counts[last] += 1;
      this.ends[last] = event.offset + event.length;
      this.firstTimes[last] = Math.min(this.firstTimes[last]!, event.atMs);
      this.lastTimes[last] = Math.max(this.lastTimes[last]!, event.atMs);
    } else {
      if (this.tail === this.firstSeqs.length) this.makeRoom();
      const slot = this.tail;
      this.firstSeqs[slot] = event.seq;
      this.segments[slot] = event.segment;
      this.offsets[slot] = event.offset;
      this.ends[slot] = event.offset + event.length;
      this.counts[slot] = 1;
      this.firstTimes[slot] = event.atMs;
      this.lastTimes[slot] = event.atMs;
      this.tail += 1;
    }
    this.retained += 1;
  }

  /** Forgets the `count` oldest events. */
  dropOldest(count: number): void {
    let remaining = Math.min(this.retained, Math.max(0, Math.floor(count)));
    while (remaining > 0) {
      const inHead = this.counts[this.head]! - this.headTrimmed;
      if (remaining < inHead) {
        this.headTrimmed += remaining;
        this.retained -= remaining;
        return;
      }
      remaining -= inHead;
      this.dropHeadPage();
    }
  }

  headPage(): HeadPage | undefined {
    if (this.retained === 0) return undefined;
    const slot = this.head;
    return { ...this.spanOf(slot), trimmed: this.headTrimmed, firstAtMs: this.firstTimes[slot]!, lastAtMs: this.lastTimes[slot]! };
  }

  /** Forgets every retained event of the oldest page. */
  dropHeadPage(): void {
    if (this.retained === 0) return;
    this.retained -= this.counts[this.head]! - this.headTrimmed;
    this.head += 1;
    this.headTrimmed = 0;
    if (this.head === this.tail) this.head = this.tail = 0;
  }

  /**
   * The pages holding the first `limit` retained events with seq > after, each narrowed to those
   * seqs, and whether they run through the newest. Copies: valid after the index changes.
   */
  spansAfter(after: number, limit: number): { spans: PageSpan[]; throughTheEnd: boolean } {
    const spans: PageSpan[] = [];
    let wanted = Math.max(0, Math.floor(limit));
    let from = Math.max(after + 1, this.oldestSeq ?? Number.POSITIVE_INFINITY);
    for (let slot = this.firstSlotEndingAtOrAfter(from); slot < this.tail && wanted > 0; slot += 1) {
      const span = this.spanOf(slot);
      const firstSeq = Math.max(from, span.firstSeq);
      const lastSeq = Math.min(span.lastSeq, firstSeq + wanted - 1);
      spans.push({ ...span, firstSeq, lastSeq });
      wanted -= lastSeq - firstSeq + 1;
      from = lastSeq + 1;
    }
    const newest = this.newestSeq;
    return { spans, throughTheEnd: newest === undefined || from > newest };
  }

  private lastSeqOf(slot: number): number {
    return this.firstSeqs[slot]! + this.counts[slot]! - 1;
  }

  private spanOf(slot: number): PageSpan {
    return {
      segment: this.segments[slot]!,
      offset: this.offsets[slot]!,
      end: this.ends[slot]!,
      firstSeq: this.firstSeqs[slot]!,
      lastSeq: this.lastSeqOf(slot),
    };
  }

  /** The first page whose last seq is >= seq (pages ascend); `tail` if none. */
  private firstSlotEndingAtOrAfter(seq: number): number {
    let low = this.head;
    let high = this.tail;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.lastSeqOf(middle) < seq) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** Makes room at the tail for another page (see slideToFront). */
  private makeRoom(): void {
    [this.firstSeqs, this.segments, this.offsets, this.ends, this.counts, this.firstTimes, this.lastTimes] = slideToFront(
      [this.firstSeqs, this.segments, this.offsets, this.ends, this.counts, this.firstTimes, this.lastTimes] as const,
      this.head,
      this.tail,
    );
    this.tail -= this.head;
    this.head = 0;
  }
}
