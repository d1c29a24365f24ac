/**
 * An append-only log of framed records (see framed-records) spread over numbered files
 * `<prefix>-<n>.log`, for stores that keep only an index in memory and read a record back when it
 * is asked for. The store decides which records still matter and drops whole files older than
 * the oldest of them.
 *
 * Appends are group-committed (one write and one fsync for everything submitted meanwhile) and a
 * crash can only tear the newest file's last record, which is cut off when the log is opened.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { mkdir, open, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { fsyncDirectory, removeFileIfExists, truncateDurably, writeAll } from './atomic-file.js';
import { decodeRecord, decodeRecords, encodeRecord } from './framed-records.js';
import { GroupCommitQueue } from './group-commit.js';

export interface RecordLocation {
  file: number;
  offset: number;
  length: number;
}

export class RollingRecordLog {
  /** A batch never holds more than a file's worth, so files stay near recordsPerFile records. */
  private readonly queue: GroupCommitQueue<string, RecordLocation>;

  private constructor(
    private readonly dir: string,
    private readonly prefix: string,
    private readonly recordsPerFile: number,
    /** Oldest first. */
    private readonly files: number[],
    private current: { file: number; size: number; records: number },
  ) {
    this.queue = new GroupCommitQueue((batch) => this.write(batch), recordsPerFile);
  }

  /** Opens the log, handing every intact record to `onRecord`, oldest first. */
  static async open(
    dir: string,
    prefix: string,
    recordsPerFile: number,
    logger: Logger,
    onRecord: (payload: string, location: RecordLocation) => void,
  ): Promise<RollingRecordLog> {
    await mkdir(dir, { recursive: true });
    const pattern = new RegExp(`^${prefix}-(\\d+)\\.log$`);
    const files = (await readdir(dir))
      .flatMap((name) => {
        const match = pattern.exec(name);
        return match ? [Number(match[1])] : [];
      })
      .sort((a, b) => a - b);
    let current = { file: (files.at(-1) ?? 0) + 1, size: 0, records: Number.POSITIVE_INFINITY };
    for (const file of files) {
      const path = join(dir, `${prefix}-${file}.log`);
      const bytes = await readFile(path);
      const decoded = decodeRecords(bytes);
      for (const record of decoded.records) onRecord(record.payload, { file, offset: record.start, length: record.end - record.start });
      if (decoded.corruptRecords > 0) logger.warn({ file: path, skipped: decoded.corruptRecords }, 'skipped damaged records');
      if (file !== files.at(-1)) continue;
      if (decoded.validEnd < bytes.length) {
        logger.warn({ file: path, bytes: bytes.length - decoded.validEnd }, 'cut off a torn record');
        await truncateDurably(path, decoded.validEnd);
      }
      current = { file, size: decoded.validEnd, records: decoded.records.length };
    }
    return new RollingRecordLog(dir, prefix, recordsPerFile, files, current);
  }

  /** Resolves with where the record landed, once it is durable. */
  append(payload: string): Promise<RecordLocation> {
    return this.queue.submit(payload);
  }

  /** The record's payload, read at once from the disk; undefined when it is gone or damaged. */
  readSync(location: RecordLocation): string | undefined {
    let descriptor: number;
    try {
      descriptor = openSync(this.pathOf(location.file), 'r');
    } catch {
      return undefined;
    }
    try {
      const bytes = Buffer.allocUnsafe(location.length);
      const read = readSync(descriptor, bytes, 0, location.length, location.offset);
      return read === location.length ? decodeRecord(bytes) : undefined;
    } finally {
      closeSync(descriptor);
    }
  }

  /** Deletes every file older than `file` (never the one being appended to). */
  dropFilesBefore(file: number): Promise<void> {
    return this.queue.exclusive(async () => {
      while (this.files.length > 0 && this.files[0]! < Math.min(file, this.current.file)) {
        await removeFileIfExists(this.pathOf(this.files[0]!));
        this.files.shift();
      }
    });
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  private pathOf(file: number): string {
    return join(this.dir, `${this.prefix}-${file}.log`);
  }

  /** Opens the file for each batch, so a store that is dropped without closing leaves no handle open. */
  private async write(payloads: string[]): Promise<RecordLocation[]> {
    if (this.current.records >= this.recordsPerFile) this.startNextFile();
    const records = payloads.map((payload) => Buffer.from(encodeRecord(payload), 'utf8'));
    const bytes = Buffer.concat(records);
    const handle = await open(this.pathOf(this.current.file), 'a', 0o600);
    try {
      if (!this.files.includes(this.current.file)) {
        await fsyncDirectory(this.dir);
        this.files.push(this.current.file);
      }
      await writeAll(handle, bytes);
      await handle.datasync();
    } catch (error) {
      // Cut back whatever part of the batch made it, so a failed append cannot resurface later.
      await handle.truncate(this.current.size).catch(() => undefined);
      throw error;
    } finally {
      await handle.close();
    }
    let offset = this.current.size;
    const locations = records.map((record) => {
      const location = { file: this.current.file, offset, length: record.length };
      offset += record.length;
      return location;
    });
    this.current.size += bytes.length;
    this.current.records += records.length;
    return locations;
  }

  private startNextFile(): void {
    const file = this.files.includes(this.current.file) ? this.current.file + 1 : this.current.file;
    this.current = { file, size: 0, records: 0 };
  }
}
