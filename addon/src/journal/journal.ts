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
 */
import { mkdir, open, readdir, readFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { fsyncDirectory, removeFileIfExists, writeAll } from '../util/atomic-file.js';
import { decodeRecords, encodeRecord } from '../util/framed-records.js';
import { GroupCommitQueue } from '../util/group-commit.js';
import type { JournalEvent, JournalInput } from './types.js';

export interface JournalOptions {
  maxEvents: number;
  maxAgeMs: number;
}

export const DEFAULT_JOURNAL_OPTIONS: JournalOptions = {
  maxEvents: 50_000,
  maxAgeMs: 7 * 24 * 60 * 60 * 1000,
};

export interface JournalPage {
  events: JournalEvent[];
  lastSeq: number;
  oldestSeq: number;
  gap: boolean;
}

interface Segment {
  firstSeq: number;
  path: string;
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

const SEGMENT_NAME = /^seg-(\d{16})\.log$/;
/** Expired events must vanish even when nothing is appended. */
const MAX_TRIM_INTERVAL_MS = 60_000;
/** Drop the already-trimmed prefix of the in-memory array once it is this long (and half of it). */
const COMPACT_AFTER_TRIMMED = 4_096;

function segmentName(firstSeq: number): string {
  return `seg-${String(firstSeq).padStart(16, '0')}.log`;
}

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

  private constructor(
    private readonly dir: string,
    private readonly options: JournalOptions,
    private readonly logger: Logger,
    private readonly segments: Segment[],
    private active: ActiveSegment | null,
    private nextSeq: number,
  ) {
    this.segmentSize = segmentSizeFor(options.maxEvents);
    this.queue = new GroupCommitQueue((batch) => this.commit(batch), this.segmentSize);
    this.trimTimer = setInterval(() => this.trimAndDeleteSegments(), Math.min(MAX_TRIM_INTERVAL_MS, Math.max(1_000, options.maxAgeMs / 10)));
    this.trimTimer.unref();
  }

  static async open(dir: string, options: Partial<JournalOptions> = {}, logger?: Logger): Promise<Journal> {
    const resolved = { ...DEFAULT_JOURNAL_OPTIONS, ...options };
    const log = (logger ?? pino({ level: 'silent' })).child({ component: 'journal' });
    await mkdir(dir, { recursive: true });
    const recovered = await recover(dir, log);
    const journal = new Journal(dir, resolved, log, recovered.segments, recovered.active, recovered.nextSeq);
    journal.events = recovered.events;
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

  /** Resolves once the event is durably on disk; only then do readers and waiters see it. */
  append(input: JournalInput): Promise<JournalEvent> {
    if (this.closed) return Promise.reject(new Error('journal is closed'));
    const key = messageKey(input);
    if (key === null) return this.queue.submit({ input, at: new Date().toISOString() });
    const journalled = this.messageSeqs.get(key);
    const existing = journalled === undefined ? undefined : this.eventWithSeq(journalled);
    if (existing) return Promise.resolve(existing);
    const pending = this.pendingMessages.get(key);
    if (pending) return pending;
    const appended = this.queue.submit({ input, at: new Date().toISOString() });
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
    return {
      events: this.events.slice(from, from + count),
      lastSeq,
      oldestSeq,
      // A client ahead of us holds a seq from a journal that no longer exists; it resets on
      // seeing lastSeq < after, and must not be told that events were lost.
      gap: after <= lastSeq && after + 1 < oldestSeq,
    };
  }

  /** True as soon as an event with seq > after exists; false on timeout, abort or close. */
  waitForEvents(after: number, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (this.lastSeq > after) return Promise.resolve(true);
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
    await this.queue.idle();
    for (const waiter of this.waiters) waiter.finish(false);
    await this.active?.handle.close();
    this.active = null;
  }

  private async commit(batch: PendingAppend[]): Promise<JournalEvent[]> {
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
        this.logger.error({ err: truncateError }, 'could not cut a failed journal write back');
      });
      this.logger.error({ err: error }, 'journal write failed');
      throw error;
    }
    active.size += bytes.length;
    active.eventCount += events.length;
    this.nextSeq += events.length;
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
    const lastSeq = this.lastSeq;
    for (const waiter of this.waiters) {
      if (lastSeq > waiter.after) waiter.finish(true);
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

interface Recovered {
  segments: Segment[];
  active: ActiveSegment | null;
  events: JournalEvent[];
  nextSeq: number;
}

/** Reads every segment back; a torn tail of the newest one (a crash mid-append) is cut off. */
async function recover(dir: string, logger: Logger): Promise<Recovered> {
  const segments = (await readdir(dir))
    .flatMap((name) => {
      const match = SEGMENT_NAME.exec(name);
      return match ? [{ firstSeq: Number(match[1]), path: join(dir, name) }] : [];
    })
    .sort((a, b) => a.firstSeq - b.firstSeq);
  const events: JournalEvent[] = [];
  let nextSeq = 1;
  let active: ActiveSegment | null = null;
  for (const [index, segment] of segments.entries()) {
    const bytes = await readFile(segment.path);
    const decoded = decodeRecords(bytes);
    let eventCount = 0;
    let skipped = decoded.corruptRecords;
    for (const record of decoded.records) {
      const event = parseEvent(record.payload);
      if (!event || event.seq < Math.max(nextSeq, segment.firstSeq)) {
        skipped += 1;
        continue;
      }
      events.push(event);
      nextSeq = event.seq + 1;
      eventCount += 1;
    }
    if (skipped > 0) logger.warn({ segment: segment.path, skipped }, 'skipped damaged journal records');
    nextSeq = Math.max(nextSeq, segment.firstSeq);
    const tornBytes = bytes.length - decoded.validEnd;
    if (index < segments.length - 1) {
      if (tornBytes > 0) logger.warn({ segment: segment.path, bytes: tornBytes }, 'ignored a damaged journal segment tail');
      continue;
    }
    const handle = await open(segment.path, 'a', 0o600);
    try {
      if (tornBytes > 0) {
        logger.warn({ segment: segment.path, bytes: tornBytes }, 'cut off a torn journal record');
        await handle.truncate(decoded.validEnd);
        await handle.datasync();
      }
    } catch (error) {
      await handle.close();
      throw error;
    }
    active = { ...segment, handle, size: decoded.validEnd, eventCount: eventCount + skipped };
  }
  return { segments, active, events, nextSeq };
}

/** What makes a WhatsApp message the same message when it is delivered again. */
function messageKey(event: JournalInput): string | null {
  if (event.type !== 'message') return null;
  const { chat, sender, id } = event.data;
  return `${chat}\u0000${sender}\u0000${id}`;
}

function parseEvent(payload: string): JournalEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const candidate = value as Record<string, unknown>;
  const valid =
    Number.isSafeInteger(candidate.seq) &&
    (candidate.seq as number) > 0 &&
    typeof candidate.at === 'string' &&
    typeof candidate.type === 'string' &&
    typeof candidate.data === 'object' &&
    candidate.data !== null;
  return valid ? (candidate as unknown as JournalEvent) : undefined;
}
