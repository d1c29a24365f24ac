/**
 * What the journal keeps in memory of its retained events: a sparse index of where they lie on
 * disk (see event-index), the newest few hundred parsed (see recent-events), and which of the
 * newest `message` events were journalled (see recent-messages). None of it grows with retention
 * beyond under a byte an event.
 */
import { EventIndex, type EventLocation, type HeadPage, type PageSpan } from './event-index.js';
import { messageKey, messageKeyHash } from './keys.js';
import { RecentEvents } from './recent-events.js';
import { RecentMessages } from './recent-messages.js';
import type { JournalEvent } from './types.js';

/** When each event of a page was journalled (ms), in seq order; undefined for one that cannot be read. */
export type PageTimes = (page: PageSpan) => Array<number | undefined>;

export class RetainedEvents {
  private readonly index = new EventIndex();
  private readonly recent = new RecentEvents();
  private readonly messages = new RecentMessages();
  /** Times of the oldest page's events, read from disk when age trimming cuts through it. */
  private headTimes: { firstSeq: number; lastSeq: number; times: Array<number | undefined> } | undefined;

  get count(): number {
    return this.index.length;
  }

  /** Seq of the oldest retained event, if any. */
  get oldestSeq(): number | undefined {
    return this.index.oldestSeq;
  }

  get newestSeq(): number | undefined {
    return this.index.newestSeq;
  }

  /** Takes in an event that is on disk at `location`; seqs must ascend. */
  remember(event: JournalEvent, location: EventLocation): void {
    this.index.push({ ...location, atMs: Date.parse(event.at) });
    const key = messageKey(event);
    if (key !== null) this.messages.add(messageKeyHash(key), event.seq);
    this.recent.add(event, location.length);
  }

  /**
   * Forgets all but the newest `maxEvents`, and any journalled before `oldestAllowedMs`. Only when
   * the cut by age falls inside the oldest page are that page's times read (once, via `pageTimes`).
   */
  trim(maxEvents: number, oldestAllowedMs: number, pageTimes: PageTimes): void {
    this.index.dropOldest(this.index.length - maxEvents);
    let head = this.index.headPage();
    while (head && head.lastAtMs < oldestAllowedMs) {
      this.index.dropHeadPage();
      head = this.index.headPage();
    }
    if (!head || head.firstAtMs >= oldestAllowedMs) return;
    const times = this.timesOf(head, pageTimes);
    let expired = head.trimmed;
    // A time that cannot be read is kept; the whole page goes once its newest event is past retention.
    while (expired < times.length && (times[expired] ?? Number.POSITIVE_INFINITY) < oldestAllowedMs) expired += 1;
    this.index.dropOldest(expired - head.trimmed);
  }

  /**
   * The pages holding the first `limit` events with seq > after, narrowed to them, and whether
   * they run through the newest. Copies: valid after the index changes.
   */
  spansAfter(after: number, limit: number): { spans: PageSpan[]; throughTheEnd: boolean } {
    return this.index.spansAfter(after, limit);
  }

  /** The event, when it is among the newest kept parsed. */
  cached(seq: number): JournalEvent | undefined {
    return this.recent.get(seq);
  }

  /** The newest events the spans ask for that memory holds, and the spans narrowed to the rest. */
  splitCached(spans: PageSpan[]): { cachedTail: JournalEvent[]; onDisk: PageSpan[] } {
    const cachedTail: JournalEvent[] = [];
    const onDisk = spans.map((span) => ({ ...span }));
    while (onDisk.length > 0) {
      const last = onDisk.at(-1)!;
      const cached = this.recent.get(last.lastSeq);
      if (!cached) break;
      cachedTail.push(cached);
      last.lastSeq -= 1;
      if (last.lastSeq < last.firstSeq) onDisk.pop();
    }
    return { cachedTail: cachedTail.reverse(), onDisk };
  }

  /** Seqs of recent `message` events that may have this key (equal digests), newest first. */
  messageCandidates(key: string): { newest: number | undefined; all: () => number[] } {
    const digest = messageKeyHash(key);
    const oldest = this.index.oldestSeq ?? Number.POSITIVE_INFINITY;
    return { newest: this.messages.newest(digest, oldest), all: () => this.messages.all(digest, oldest) };
  }

  private timesOf(head: HeadPage, pageTimes: PageTimes): Array<number | undefined> {
    const cached = this.headTimes;
    if (cached?.firstSeq === head.firstSeq && cached.lastSeq === head.lastSeq) return cached.times;
    const times = pageTimes(head);
    this.headTimes = { firstSeq: head.firstSeq, lastSeq: head.lastSeq, times };
    return times;
  }
}
