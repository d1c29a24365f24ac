/**
 * The newest journal events, kept parsed so a client following the tail (the usual long-poll)
 * and a redelivered message's de-duplication are answered without reading the disk. Bounded by
 * count and by bytes, whatever the journal's retention.
 */
import type { JournalEvent } from './types.js';

export interface RecentEventsLimits {
  maxEvents: number;
  maxBytes: number;
}

export const DEFAULT_RECENT_EVENTS_LIMITS: RecentEventsLimits = { maxEvents: 512, maxBytes: 1024 * 1024 };

export class RecentEvents {
  /** Oldest first, seqs ascending; the prefix before `head` is evicted. */
  private events: JournalEvent[] = [];
  private sizes: number[] = [];
  private head = 0;
  private bytes = 0;

  constructor(private readonly limits: RecentEventsLimits = DEFAULT_RECENT_EVENTS_LIMITS) {}

  /** `size` is the event's size on disk, which bounds what it costs here. */
  add(event: JournalEvent, size: number): void {
    this.events.push(event);
    this.sizes.push(size);
    this.bytes += size;
    while (this.events.length - this.head > this.limits.maxEvents || (this.bytes > this.limits.maxBytes && this.events.length - this.head > 1)) {
      this.bytes -= this.sizes[this.head]!;
      this.head += 1;
    }
    if (this.head >= 1_024 && this.head * 2 >= this.events.length) {
      this.events = this.events.slice(this.head);
      this.sizes = this.sizes.slice(this.head);
      this.head = 0;
    }
  }

  get(seq: number): JournalEvent | undefined {
    let low = this.head;
    let high = this.events.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.events[middle]!.seq < seq) low = middle + 1;
      else high = middle;
    }
    const event = this.events[low];
    return event?.seq === seq ? event : undefined;
  }
}
