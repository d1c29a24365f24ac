/**
 * The messages contacts have exchanged with linked accounts, both ways, as far as later messages
 * need them: a vote needs the poll's secret, a reaction or a quote needs the original's key and
 * content. Kept on disk beside the contact book, so a vote on a poll sent before a restart still
 * decrypts on the account's side.
 *
 * On disk it is a log, one message per line, that only grows between compactions: a message costs
 * one appended line (written together with whatever else arrived meanwhile), not a rewrite of the
 * whole history. The log is not synced to the disk: what matters is that a killed process loses
 * nothing already handed to the kernel, and a test stand-in need not survive a power cut.
 */
import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import { proto, type WAMessage, type WAMessageKey } from 'baileys';

import { readFileIfExists, removeFileIfExists, writeFileAtomic } from '../util/atomic-file.js';

const LOG_FILE = 'history.jsonl';
/** The whole history as one JSON document, as earlier versions kept it; read once, then replaced by the log. */
const LEGACY_FILE = 'history.json';
const LEGACY_VERSION = 1;
/** Enough for any test or demo session; the oldest are forgotten first. */
const MAX_MESSAGES = 2_000;
/** The log is rewritten with only the messages still kept once it holds this many lines. */
const COMPACT_AT_LINES = 2 * MAX_MESSAGES;

interface SavedMessage {
  key: WAMessageKey;
  /** `proto.Message`, base64. */
  message: string;
  timestamp: number;
}

function toSaved(message: WAMessage): SavedMessage {
  return {
    key: { ...message.key },
    message: Buffer.from(proto.Message.encode(message.message!).finish()).toString('base64'),
    timestamp: Number(message.messageTimestamp ?? 0),
  };
}

function fromSaved(entry: SavedMessage): WAMessage {
  const message = proto.Message.decode(Buffer.from(entry.message, 'base64'));
  return Object.assign(proto.WebMessageInfo.fromObject({ messageTimestamp: entry.timestamp }), { key: entry.key, message });
}

function logLine(message: WAMessage): string {
  return `${JSON.stringify(toSaved(message))}\n`;
}

/** A line of the log, or undefined for one a kill cut short (only ever the last). */
function parseLine(line: string): SavedMessage | undefined {
  try {
    const entry = JSON.parse(line) as Partial<SavedMessage>;
    return entry.key && typeof entry.message === 'string' ? (entry as SavedMessage) : undefined;
  } catch {
    return undefined;
  }
}

export class MessageHistory {
  private readonly messages = new Map<string, WAMessage>();
  /** Lines put since the last append. */
  private unwritten: string[] = [];
  private linesInLog = 0;
  private writing: Promise<void> | null = null;

  private constructor(private readonly dir: string | null) {}

  static async open(dir: string | null): Promise<MessageHistory> {
    const history = new MessageHistory(dir);
    if (!dir) return history;
    const legacy = await readFileIfExists(join(dir, LEGACY_FILE));
    if (legacy) {
      const file = JSON.parse(legacy.toString('utf8')) as { version: number; messages: SavedMessage[] };
      if (file.version === LEGACY_VERSION) for (const entry of file.messages) history.remember(fromSaved(entry));
    }
    const log = await readFileIfExists(join(dir, LOG_FILE));
    for (const line of log ? log.toString('utf8').split('\n') : []) {
      if (line === '') continue;
      history.linesInLog += 1;
      const entry = parseLine(line);
      if (entry) history.remember(fromSaved(entry));
    }
    // A log a kill cut short mid-line is rewritten whole, so the next line does not join the cut one.
    const cutShort = log !== undefined && log.length > 0 && log[log.length - 1] !== 0x0a;
    if (legacy || cutShort) await history.compact();
    if (legacy) await removeFileIfExists(join(dir, LEGACY_FILE));
    return history;
  }

  get(id: string): WAMessage | undefined {
    return this.messages.get(id);
  }

  /** Remembers a message (by id) and appends it to the log soon after. */
  put(message: WAMessage): void {
    if (!this.remember(message) || !this.dir) return;
    this.unwritten.push(logLine(message));
    this.writing ??= this.writeUnwritten();
  }

  /** Resolves once everything put so far is in the log. */
  flush(): Promise<void> {
    return this.writing ?? Promise.resolve();
  }

  private remember(message: WAMessage): boolean {
    const id = message.key.id;
    if (!id || !message.message) return false;
    this.messages.delete(id);
    this.messages.set(id, message);
    for (const oldest of this.messages.keys()) {
      if (this.messages.size <= MAX_MESSAGES) break;
      this.messages.delete(oldest);
    }
    return true;
  }

  /** Appends until nothing is left to write; puts made meanwhile share the next append. */
  private async writeUnwritten(): Promise<void> {
    const dir = this.dir!;
    try {
      await mkdir(dir, { recursive: true });
      while (this.unwritten.length > 0) {
        const lines = this.unwritten;
        this.unwritten = [];
        if (this.linesInLog + lines.length > COMPACT_AT_LINES) {
          await this.compact();
        } else {
          await appendFile(join(dir, LOG_FILE), lines.join(''));
          this.linesInLog += lines.length;
        }
      }
    } catch {
      // A history that cannot be written costs only votes and quotes of older messages after a restart.
      this.unwritten = [];
    } finally {
      this.writing = null;
    }
  }

  /** Replaces the log with one line per message still kept. */
  private async compact(): Promise<void> {
    const dir = this.dir!;
    const lines = [...this.messages.values()].map(logLine);
    await mkdir(dir, { recursive: true });
    await writeFileAtomic(join(dir, LOG_FILE), lines.join(''));
    this.linesInLog = lines.length;
  }
}

/**
 * An earlier message as a contact refers to it (reactions, votes, quotes): keys on the wire are
 * written from the sender's side, and the account's Baileys turns them around. The history keeps
 * the account's side. The contact's own messages are named by their author rather than `fromMe`,
 * which the account reads the same way.
 */
export function keySeenByContact(earlier: WAMessage, ownJid: string, group: string | undefined): WAMessage {
  const { id, fromMe, participant, remoteJid } = earlier.key;
  const author = fromMe ? ownJid : (participant ?? remoteJid ?? undefined);
  const key = { id, fromMe: false, remoteJid: group ?? ownJid, ...(author ? { participant: author } : {}) };
  return { ...earlier, key } as WAMessage;
}
