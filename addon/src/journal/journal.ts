/**
 * The durable event journal that Home Assistant long-polls.
 *
 * On disk: segment files `seg-<first seq, 16 digits>.log` of framed records (see framed-records),
 * one JSON event per record. Appends go to the newest segment; a new segment starts every
 * `segmentSize` events, and an older segment is deleted once every event in it is past retention.
 * The newest segment is never deleted, so the next sequence number is always recoverable from it
 * (its name, or its last record) and is never reused, even after every event has been trimmed.
 *
 * In memory: a sparse index of the retained events (one entry per page of 64 events: segment,
 * byte offset, seqs and times; see event-index), under a byte an event, plus the few hundred
 * newest events parsed (see recent-events). Reads further back are served from the segment files,
 * so memory does not follow `maxEvents`.
 *
 * A WhatsApp message is journalled once however often it is delivered: WhatsApp delivers again
 * what the add-on did not acknowledge (say, because it crashed between journalling and answering),
 * and a second `message` event with the same chat, sender and id, among the newest messages (see
 * recent-messages), gets the first one back. A message whose digest matches none of them (nearly
 * all) is queued at once, so appends keep their order.
 *
 * When the disk is full (or a write fails otherwise), WhatsApp has already been told it got the
 * message, so dropping the event would lose it for good: appends wait in memory, up to
 * `maxBacklog`, and are written in order as soon as a retry succeeds. Meanwhile the journal reports
 * the problem to StorageHealth, so `/health` says why.
 *
 * Seqs are never reused (see recovery), and every seq missing between the events a reader gets is
 * reported as a gap, whether it was trimmed or lost to damage.
 */
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { fsyncDirectory, removeFileIfExists, writeAll } from '../util/atomic-file.js';
import { encodeRecord } from '../util/framed-records.js';
import { GroupCommitQueue } from '../util/group-commit.js';
import { StorageUnavailableError, type StorageHealth } from '../util/storage-health.js';
import type { PageSpan } from './event-index.js';
import { loadOrCreateJournalId } from './journal-id.js';
import { messageKey, missesSeqs } from './keys.js';
import { RetainedEvents } from './retained-events.js';
import { recoverSegments, segmentName, type RecoveredSegment, type Segment } from './recovery.js';
import { readEvents, readPageTimesSync } from './segment-reads.js';
import { Waiters } from './waiters.js';
import { WriteFailures } from './write-failures.js';
import type { JournalEvent, JournalInput } from './types.js';

export interface JournalOptions {
  maxEvents: number;
  maxAgeMs: number;
  /** Events kept in memory, in order, while the disk cannot take them; more are refused. */
  maxBacklog: number;
  /** Pause between attempts to write the backlog while writes fail. */
  retryIntervalMs: number;
  /** Told when the journal cannot be written, and when it can again. */
  storageHealth?: StorageHealth;
}

export const DEFAULT_JOURNAL_OPTIONS: JournalOptions = {
  maxEvents: 50_000,
  maxAgeMs: 7 * 24 * 60 * 60 * 1000,
  maxBacklog: 10_000,
  retryIntervalMs: 2_000,
};

export interface JournalPage {
  events: JournalEvent[];
  lastSeq: number;
  oldestSeq: number;
  gap: boolean;
}

/** `ordinal` counts the segments this journal opened or created, so the index can name one in 4 bytes. */
interface StoredSegment extends Segment {
  ordinal: number;
}

interface ActiveSegment extends StoredSegment {
  handle: FileHandle;
  /** Bytes known to be durable; a failed write is cut back to this. */
  size: number;
  eventCount: number;
}

interface PendingAppend {
  input: JournalInput;
  at: Date;
}

/** Expired events must vanish even when nothing is appended. */
const MAX_TRIM_INTERVAL_MS = 60_000;

/** Small journals get small segments, so retention can actually delete files. */
function segmentSizeFor(maxEvents: number): number {
  return Math.max(64, Math.min(10_000, Math.ceil(maxEvents / 8)));
}

export class Journal {
  private readonly queue: GroupCommitQueue<PendingAppend, JournalEvent>;
  private readonly waiters = new Waiters();
  /** `message` appends not yet committed, by messageKey. */
  private readonly pendingMessages = new Map<string, Promise<JournalEvent>>();
  private readonly trimTimer: NodeJS.Timeout;
  private readonly segmentSize: number;
  /** Segment files are not deleted while a read may be about to open one. */
  private readsInFlight = 0;
  private nextOrdinal: number;
  private closed = false;
  /** Seq of the newest event written (0 before the first); seqs up to nextSeq - 1 may be lost to damage. */
  private lastWrittenSeq = 0;
  /** Appends submitted and not yet written or refused: the in-memory backlog while writes fail. */
  private waiting = 0;
  /** Set while writes fail: when the first failure of the current run happened. */
  private readonly writeFailures: WriteFailures;

  private constructor(
    private readonly dir: string,
    private readonly options: JournalOptions,
    private readonly logger: Logger,
    private readonly segments: StoredSegment[],
    private readonly retained: RetainedEvents,
    private active: ActiveSegment | null,
    private nextSeq: number,
    /** A random id fixed when the journal was created; clients compare it to detect a replaced journal. */
    readonly id: string,
  ) {
    this.segmentSize = segmentSizeFor(options.maxEvents);
    this.nextOrdinal = segments.length;
    this.writeFailures = new WriteFailures(logger, options.retryIntervalMs, options.storageHealth);
    this.queue = new GroupCommitQueue((batch) => this.commit(batch), this.segmentSize);
    this.trimTimer = setInterval(() => this.trimAndDeleteSegments(), Math.min(MAX_TRIM_INTERVAL_MS, Math.max(1_000, options.maxAgeMs / 10)));
    this.trimTimer.unref();
  }

  static async open(dir: string, options: Partial<JournalOptions> = {}, logger?: Logger): Promise<Journal> {
    const resolved = { ...DEFAULT_JOURNAL_OPTIONS, ...options };
    const log = (logger ?? pino({ level: 'silent' })).child({ component: 'journal' });
    await mkdir(dir, { recursive: true });
    const id = await loadOrCreateJournalId(dir, log);
    const retained = new RetainedEvents();
    // Indexed as read, so only one segment's events are ever parsed at once.
    const recovered = await recoverSegments(dir, log, (event, location) =>
      retained.remember(event, { seq: event.seq, segment: location.segmentIndex, offset: location.offset, length: location.length }),
    );
    const segments = recovered.segments.map((segment, ordinal) => ({ ...segment, ordinal }));
    const active = await openNewest(recovered.newest, segments.length - 1);
    const journal = new Journal(dir, resolved, log, segments, retained, active, recovered.nextSeq, id);
    journal.lastWrittenSeq = retained.newestSeq ?? 0;
    journal.trim();
    await journal.deleteTrimmedSegments();
    log.info({ lastSeq: journal.lastSeq, retained: retained.count }, 'journal opened');
    return journal;
  }

  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  private get oldestSeq(): number {
    return this.retained.oldestSeq ?? this.nextSeq;
  }

  /** Whether writes are failing right now (the backlog waits in memory). */
  get writable(): boolean {
    return !this.writeFailures.failing;
  }

  /** Whether an event with seq > after has been written (and so can be read, unless trimmed). */
  hasEventsAfter(after: number): boolean {
    return this.lastWrittenSeq > after;
  }

  /**
   * Resolves once the event is durably on disk; only then do readers and waiters see it. While the
   * disk refuses writes it waits (in order, bounded by maxBacklog) until a retry succeeds.
   */
  append(input: JournalInput): Promise<JournalEvent> {
    if (this.closed) return Promise.reject(new Error('journal is closed'));
    const key = messageKey(input);
    if (key === null) return this.submit(input);
    const pending = this.pendingMessages.get(key);
    if (pending) return pending;
    const appended = this.appendMessageOnce(input, key);
    this.pendingMessages.set(key, appended);
    const forget = (): void => {
      this.pendingMessages.delete(key);
    };
    appended.then(forget, forget);
    return appended;
  }

  /** Up to `limit` events with seq > after, oldest first; the newest come from memory, older ones from disk. */
  async read(after: number, limit: number): Promise<JournalPage> {
    this.trim();
    const lastSeq = this.lastSeq;
    const oldestSeq = this.oldestSeq;
    const { spans, throughTheEnd } = this.retained.spansAfter(after, limit);
    const events = await this.eventsIn(spans);
    return {
      events,
      lastSeq,
      oldestSeq,
      // A client ahead of us holds a seq from a journal that no longer exists; it resets on
      // seeing lastSeq < after, and must not be told that events were lost.
      gap: after <= lastSeq && (after + 1 < oldestSeq || missesSeqs(after, events, throughTheEnd ? lastSeq : null)),
    };
  }

  /** True as soon as an event with seq > after exists; false on timeout, abort or close. */
  waitForEvents(after: number, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (this.hasEventsAfter(after)) return Promise.resolve(true);
    if (this.closed || signal?.aborted || timeoutMs <= 0) return Promise.resolve(false);
    return this.waiters.wait(after, timeoutMs, signal);
  }

  /** Commits every append made so far, then releases the files; waiters are told nothing more will come. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.trimTimer);
    // A backlog waiting for space gets one last attempt; what still cannot be written is refused.
    this.writeFailures.interrupt();
    await this.queue.idle();
    this.waiters.releaseAll();
    await this.active?.handle.close();
    this.active = null;
  }

  private appendMessageOnce(input: JournalInput, key: string): Promise<JournalEvent> {
    const candidates = this.retained.messageCandidates(key);
    if (candidates.newest === undefined) return this.submit(input);
    const cached = this.retained.cached(candidates.newest);
    if (cached && messageKey(cached) === key) return Promise.resolve(cached);
    // An older redelivery, or another message with the same digest: only the stored events can tell.
    return this.findMessage(key, candidates.all()).then((found) => found ?? this.submit(input));
  }

  private async findMessage(key: string, seqs: number[]): Promise<JournalEvent | undefined> {
    for (const seq of seqs) {
      const [event] = await this.eventsIn(this.retained.spansAfter(seq - 1, 1).spans);
      if (event?.seq === seq && messageKey(event) === key) return event;
    }
    return undefined;
  }

  /** The events the spans ask for: the newest from memory, the rest read from disk in one go. */
  private async eventsIn(spans: PageSpan[]): Promise<JournalEvent[]> {
    const { cachedTail, onDisk } = this.retained.splitCached(spans);
    if (onDisk.length === 0) return cachedTail;
    this.readsInFlight += 1;
    try {
      const read = await readEvents(onDisk, (ordinal) => this.segmentPath(ordinal), this.logger);
      return read.concat(cachedTail);
    } finally {
      this.readsInFlight -= 1;
    }
  }

  /** When each event of the page was journalled; nothing is known of a page whose segment is gone. */
  private pageTimes(page: PageSpan): Array<number | undefined> {
    const segment = this.segments[page.segment - (this.segments[0]?.ordinal ?? 0)];
    return segment?.ordinal === page.segment ? readPageTimesSync(segment.path, page) : [];
  }

  private segmentPath(ordinal: number): string {
    const segment = this.segments[ordinal - (this.segments[0]?.ordinal ?? 0)];
    if (segment?.ordinal !== ordinal) throw new Error(`journal segment ${ordinal} is gone`);
    return segment.path;
  }

  private submit(input: JournalInput): Promise<JournalEvent> {
    if (this.writeFailures.failing && this.waiting >= this.options.maxBacklog) {
      this.logger.error({ type: input.type, backlog: this.waiting }, 'journal backlog full while the disk refuses writes; an event was dropped');
      return Promise.reject(
        new StorageUnavailableError(this.writeFailures.reason, 'The event journal cannot be written and its backlog is full.'),
      );
    }
    this.waiting += 1;
    const submitted = this.queue.submit({ input, at: new Date() });
    const settle = (): void => {
      this.waiting -= 1;
    };
    submitted.then(settle, settle);
    return submitted;
  }

  /** Writes the batch, retrying while the disk refuses it; gives up only once the journal is closing. */
  private async commit(batch: PendingAppend[]): Promise<JournalEvent[]> {
    for (;;) {
      try {
        const events = await this.writeBatch(batch);
        this.writeFailures.succeeded();
        return events;
      } catch (error) {
        this.writeFailures.failed(error);
        if (this.closed) throw error;
        await this.pauseBeforeRetry();
      }
    }
  }

  /** Waits before the next attempt; trimmed segments are deleted meanwhile, which may free the space needed. */
  private async pauseBeforeRetry(): Promise<void> {
    this.trim();
    await this.deleteTrimmedSegments();
    if (!this.closed) await this.writeFailures.pause();
  }

  /** One write and one fsync for the whole batch: a burst costs one flush, not one per event. */
  private async writeBatch(batch: PendingAppend[]): Promise<JournalEvent[]> {
    if (!this.active || this.active.eventCount >= this.segmentSize) await this.startSegment(this.nextSeq);
    const active = this.active!;
    const events = batch.map(
      ({ input, at }, index) => ({ seq: this.nextSeq + index, at: at.toISOString(), type: input.type, data: input.data }) as JournalEvent,
    );
    const records = events.map((event) => Buffer.from(encodeRecord(JSON.stringify(event)), 'utf8'));
    const bytes = records.length === 1 ? records[0]! : Buffer.concat(records);
    try {
      await writeAll(active.handle, bytes);
      await active.handle.datasync();
    } catch (error) {
      // Cut off whatever part of the batch reached the file, so those seqs are free for the next
      // batch and no unacknowledged event can reappear after a restart.
      await active.handle.truncate(active.size).catch((truncateError: unknown) => {
        // The next write goes to a new segment, so it is not glued to the unfinished bytes (which
        // recovery skips as old seqs).
        active.eventCount = Number.POSITIVE_INFINITY;
        this.logger.error({ err: truncateError }, 'could not cut a failed journal write back');
      });
      throw error;
    }
    let offset = active.size;
    events.forEach((event, index) => {
      const length = records[index]!.length;
      this.retained.remember(event, { seq: event.seq, segment: active.ordinal, offset, length });
      offset += length;
    });
    active.size += bytes.length;
    active.eventCount += events.length;
    this.nextSeq += events.length;
    this.lastWrittenSeq = events.at(-1)!.seq;
    this.trim();
    this.waiters.wake(this.lastWrittenSeq);
    await this.deleteTrimmedSegments();
    return events;
  }

  private async startSegment(firstSeq: number): Promise<void> {
    const path = join(this.dir, segmentName(firstSeq));
    const handle = await open(path, 'a', 0o600);
    try {
      // The segment's name carries the next seq across restarts, so its entry must be durable.
      await fsyncDirectory(this.dir);
    } catch (error) {
      await handle.close();
      throw error;
    }
    await this.active?.handle.close();
    const ordinal = this.nextOrdinal++;
    this.segments.push({ firstSeq, path, ordinal });
    this.active = { firstSeq, path, ordinal, handle, size: 0, eventCount: 0 };
  }

  /** Drops events past retention from memory (their files go in deleteTrimmedSegments). */
  private trim(): void {
    this.retained.trim(this.options.maxEvents, Date.now() - this.options.maxAgeMs, (page) => this.pageTimes(page));
  }

  private trimAndDeleteSegments(): void {
    this.trim();
    this.queue.exclusive(() => this.deleteTrimmedSegments()).catch(() => undefined);
  }

  /** Deletes older segments whose every event is trimmed; the newest one always stays. */
  private async deleteTrimmedSegments(): Promise<void> {
    // A read under way may be about to open one; the next append or trim tick deletes it.
    if (this.readsInFlight > 0) return;
    const oldestSeq = this.oldestSeq;
    while (this.segments.length > 1 && this.segments[1]!.firstSeq <= oldestSeq) {
      const segment = this.segments[0]!;
      try {
        await removeFileIfExists(segment.path);
      } catch (error) {
        this.logger.warn({ err: error, segment: segment.path }, 'could not delete a trimmed journal segment');
        return;
      }
      this.segments.shift();
    }
  }
}

/** The newest segment, opened to append to, unless damage at its end means starting a new one. */
async function openNewest(newest: RecoveredSegment | null, ordinal: number): Promise<ActiveSegment | null> {
  if (!newest) return null;
  const handle = await open(newest.path, 'a', 0o600);
  const eventCount = newest.damagedTail ? Number.POSITIVE_INFINITY : newest.eventCount;
  return { firstSeq: newest.firstSeq, path: newest.path, ordinal, handle, size: newest.size, eventCount };
}
