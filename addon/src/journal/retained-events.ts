/**
 * What the journal keeps in memory of its retained events: the index of where each one lies on
 * disk, the newest few parsed, and which `message` events are retained (by a digest of their
 * identity), so retention and "seen this message before?" cost no disk reads.
 */
import { EventIndex, type EventLocation } from './event-index.js';
import { messageKey, messageKeyHash } from './keys.js';
import { RecentEvents } from './recent-events.js';
import type { JournalEvent } from './types.js';

export class RetainedEvents {
  private readonly index = new EventIndex();
  private readonly recent = new RecentEvents();
  /** Newest retained `message` event's seq, by messageKeyHash. */
  private readonly messageSeqs = new Map<number, number>();

  get count(): number {
    return this.index.length;
  }

  /** Seq of the oldest retained event, if any. */
  get oldestSeq(): number | undefined {
    return this.index.length > 0 ? this.index.seqAt(0) : undefined;
  }

  get newestSeq(): number | undefined {
    return this.index.length > 0 ? this.index.seqAt(this.index.length - 1) : undefined;
  }

  /** Takes in an event that is on disk at `location`; seqs must ascend. */
  remember(event: JournalEvent, location: EventLocation): void {
    const key = messageKey(event);
    const keyHash = key === null ? 0 : messageKeyHash(key);
    this.index.push({ ...location, atMs: Date.parse(event.at), keyHash });
    if (keyHash !== 0) this.messageSeqs.set(keyHash, event.seq);
    this.recent.add(event, location.length);
  }

  /** Forgets all but the newest `maxEvents`, and any journalled before `oldestAllowedMs`. */
  trim(maxEvents: number, oldestAllowedMs: number): void {
    const retained = this.index.length;
    let drop = Math.max(0, retained - maxEvents);
    while (drop < retained && this.index.atMsAt(drop) < oldestAllowedMs) drop += 1;
    for (let position = 0; position < drop; position += 1) {
      const keyHash = this.index.keyHashAt(position);
      if (keyHash !== 0 && this.messageSeqs.get(keyHash) === this.index.seqAt(position)) this.messageSeqs.delete(keyHash);
    }
    this.index.dropOldest(drop);
  }

  /**
   * Where the first `limit` events with seq > after lie, and whether they run through the newest.
   * Copies: valid after the index changes.
   */
  locationsAfter(after: number, limit: number): { locations: EventLocation[]; throughTheEnd: boolean } {
    const from = this.index.firstPositionAfter(after);
    const to = Math.min(this.index.length, from + Math.max(0, Math.floor(limit)));
    return { locations: this.index.entries(from, to), throughTheEnd: to === this.index.length };
  }

  locationOf(seq: number): EventLocation | undefined {
    const position = this.index.positionOf(seq);
    return position < 0 ? undefined : this.index.entries(position, position + 1)[0];
  }

  /** The event, when it is among the newest kept parsed. */
  cached(seq: number): JournalEvent | undefined {
    return this.recent.get(seq);
  }

  /** Seqs of retained `message` events that may have this key (equal digests), newest first. */
  messageCandidates(key: string): { newest: number | undefined; all: () => number[] } {
    const keyHash = messageKeyHash(key);
    return { newest: this.messageSeqs.get(keyHash), all: () => this.index.seqsWithKeyHash(keyHash) };
  }
}
