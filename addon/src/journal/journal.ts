/**
 * The durable event journal that Home Assistant long-polls.
 *
 * On disk: segment files `seg-<first seq, 16 digits>.log` of framed records (see framed-records),
 * one JSON event per record. Appends go to the newest segment; a new segment starts every
 * `segmentSize` events, and an older segment is deleted once every event in it is past retention.
 * The newest segment is never deleted, so the next sequence number is always recoverable from it
 * (its name, or its last record) and is never reused, even after every event has been trimmed.
 *
 * In memory: the retained events, oldest first, so reads never touch the disk.
 *
 * A WhatsApp message is journalled once however often it is delivered: WhatsApp delivers again
 * what the add-on did not acknowledge (say, because it crashed between journalling and answering),
 * and a second `message` event with the same chat, sender and id gets the first one back.
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
import { loadOrCreateJournalId } from './journal-id.js';
import { recoverSegments, segmentName, type RecoveredSegment, type Segment } from './recovery.js';
import { messageKey, missesSeqs } from './keys.js';
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

interface ActiveSegment extends Segment {
  handle: FileHandle;
  /** Bytes known to be durable; a failed write is cut back to this. */
  size: number;
  eventCount: number;
}

interface PendingAppend {
  input: JournalInput;
  at: string;
}

interface Waiter {
  after: number;
  finish(woken: boolean): void;
}

/** Expired events must vanish even when nothing is appended. */
const MAX_TRIM_INTERVAL_MS = 60_000;
/** Drop the already-trimmed prefix of the in-memory array once it is this long (and half of it). */
const COMPACT_AFTER_TRIMMED = 4_096;

/** Small journals get small segments, so retention can actually delete files. */
function segmentSizeFor(maxEvents: number): number {
  return Math.max(64, Math.min(10_000, Math.ceil(maxEvents / 8)));
}

export class Journal {
  private readonly queue: GroupCommitQueue<PendingAppend, JournalEvent>;
  private readonly waiters = new Set<Waiter>();
  /** Seq of each retained `message` event, by messageKey. */
  private readonly messageSeqs = new Map<string, number>();
  /** `message` appends not yet committed, by messageKey. */
  private readonly pendingMessages = new Map<string, Promise<JournalEvent>>();
  private readonly trimTimer: NodeJS.Timeout;
  private readonly segmentSize: number;
  /** Retained events are `events[head..]`; the prefix before `head` is already trimmed. */
  private events: JournalEvent[] = [];
  private head = 0;
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
    private readonly segments: Segment[],
    private active: ActiveSegment | null,
    private nextSeq: number,
    /** A random id fixed when the journal was created; clients compare it to detect a replaced journal. */
    readonly id: string,
  ) {
    this.segmentSize = segmentSizeFor(options.maxEvents);
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
    const recovered = await recoverSegments(dir, log);
    const active = await openNewest(recovered.newest);
    const journal = new Journal(dir, resolved, log, recovered.segments, active, recovered.nextSeq, id);
    journal.events = recovered.events;
    journal.lastWrittenSeq = recovered.events.at(-1)?.seq ?? 0;
    journal.trim();
    for (const event of journal.events.slice(journal.head)) journal.indexMessage(event);
    await journal.deleteTrimmedSegments();
    log.info({ lastSeq: journal.lastSeq, retained: journal.retainedCount }, 'journal opened');
    return journal;
  }

  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  private get oldestSeq(): number {
    return this.head < this.events.length ? this.events[this.head]!.seq : this.nextSeq;
  }

  private get retainedCount(): number {
    return this.events.length - this.head;
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
    const journalled = this.messageSeqs.get(key);
    const existing = journalled === undefined ? undefined : this.eventWithSeq(journalled);
    if (existing) return Promise.resolve(existing);
    const pending = this.pendingMessages.get(key);
    if (pending) return pending;
    const appended = this.submit(input);
    this.pendingMessages.set(key, appended);
    const forget = (): void => {
      this.pendingMessages.delete(key);
    };
    appended.then(forget, forget);
    return appended;
  }

  read(after: number, limit: number): JournalPage {
    this.trim();
    const lastSeq = this.lastSeq;
    const oldestSeq = this.oldestSeq;
    const from = this.firstIndexAfter(after);
    const count = Math.max(0, Math.min(Math.floor(limit), this.events.length - from));
    const events = this.events.slice(from, from + count);
    const throughTheEnd = from + count === this.events.length;
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
    return new Promise<boolean>((resolve) => {
      const onAbort = (): void => waiter.finish(false);
      const timer = setTimeout(() => waiter.finish(false), timeoutMs);
      const waiter: Waiter = {
        after,
        finish: (woken) => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          this.waiters.delete(waiter);
          resolve(woken);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(waiter);
    });
  }

  /** Commits every append made so far, then releases the files; waiters are told nothing more will come. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.trimTimer);
    // A backlog waiting for space gets one last attempt; what still cannot be written is refused.
    this.writeFailures.interrupt();
    await this.queue.idle();
    for (const waiter of this.waiters) waiter.finish(false);
    await this.active?.handle.close();
    this.active = null;
  }

  private submit(input: JournalInput): Promise<JournalEvent> {
    if (this.writeFailures.failing && this.waiting >= this.options.maxBacklog) {
      this.logger.error({ type: input.type, backlog: this.waiting }, 'journal backlog full while the disk refuses writes; an event was dropped');
      return Promise.reject(
        new StorageUnavailableError(this.writeFailures.reason, 'The event journal cannot be written and its backlog is full.'),
      );
    }
    this.waiting += 1;
    const submitted = this.queue.submit({ input, at: new Date().toISOString() });
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

  private async writeBatch(batch: PendingAppend[]): Promise<JournalEvent[]> {
    if (!this.active || this.active.eventCount >= this.segmentSize) await this.startSegment(this.nextSeq);
    const active = this.active!;
    const events = batch.map(
      ({ input, at }, index) => ({ seq: this.nextSeq + index, at, type: input.type, data: input.data }) as JournalEvent,
    );
    const bytes = Buffer.from(events.map((event) => encodeRecord(JSON.stringify(event))).join(''), 'utf8');
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
    active.size += bytes.length;
    active.eventCount += events.length;
    this.nextSeq += events.length;
    this.lastWrittenSeq = events.at(-1)!.seq;
    for (const event of events) {
      this.events.push(event);
      this.indexMessage(event);
    }
    this.trim();
    this.wakeWaiters();
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
    this.segments.push({ firstSeq, path });
    this.active = { firstSeq, path, handle, size: 0, eventCount: 0 };
  }

  private wakeWaiters(): void {
    for (const waiter of this.waiters) {
      if (this.hasEventsAfter(waiter.after)) waiter.finish(true);
    }
  }

  /** Drops events past retention from memory (their files go in deleteTrimmedSegments). */
  private trim(): void {
    const oldestAllowed = Date.now() - this.options.maxAgeMs;
    let head = Math.max(this.head, this.events.length - this.options.maxEvents);
    while (head < this.events.length && Date.parse(this.events[head]!.at) < oldestAllowed) head += 1;
    for (let index = this.head; index < head; index += 1) this.unindexMessage(this.events[index]!);
    this.head = head;
    if (head >= COMPACT_AFTER_TRIMMED && head * 2 >= this.events.length) {
      this.events = this.events.slice(head);
      this.head = 0;
    }
  }

  private trimAndDeleteSegments(): void {
    this.trim();
    this.queue.exclusive(() => this.deleteTrimmedSegments()).catch(() => undefined);
  }

  /** Deletes older segments whose every event is trimmed; the newest one always stays. */
  private async deleteTrimmedSegments(): Promise<void> {
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

  private indexMessage(event: JournalEvent): void {
    const key = messageKey(event);
    if (key !== null) this.messageSeqs.set(key, event.seq);
  }

  private unindexMessage(event: JournalEvent): void {
    const key = messageKey(event);
    if (key !== null && this.messageSeqs.get(key) === event.seq) this.messageSeqs.delete(key);
  }

  private eventWithSeq(seq: number): JournalEvent | undefined {
    const event = this.events[this.firstIndexAfter(seq - 1)];
    return event?.seq === seq ? event : undefined;
  }

  /** Index of the first retained event with seq > after (seqs ascend, possibly with holes). */
  private firstIndexAfter(after: number): number {
    let low = this.head;
    let high = this.events.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.events[middle]!.seq <= after) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}

/** The newest segment, opened to append to, unless damage at its end means starting a new one. */
async function openNewest(newest: RecoveredSegment | null): Promise<ActiveSegment | null> {
  if (!newest) return null;
  const handle = await open(newest.path, 'a', 0o600);
  const eventCount = newest.damagedTail ? Number.POSITIVE_INFINITY : newest.eventCount;
  return { firstSeq: newest.firstSeq, path: newest.path, handle, size: newest.size, eventCount };
}
