/**
 * The messages contacts have exchanged with linked accounts, both ways, as far as later messages
 * need them: a vote needs the poll's secret, a reaction or a quote needs the original's key and
 * content. Kept on disk beside the contact book, so a vote on a poll sent before a restart still
 * decrypts on the account's side.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import { proto, type WAMessage, type WAMessageKey } from 'baileys';

import { readFileIfExists, writeFileAtomic } from '../util/atomic-file.js';

const HISTORY_FILE = 'history.json';
const HISTORY_VERSION = 1;
/** Enough for any test or demo session; the oldest are forgotten first. */
const MAX_MESSAGES = 2_000;

interface SavedMessage {
  key: WAMessageKey;
  /** `proto.Message`, base64. */
  message: string;
  timestamp: number;
}

interface HistoryFile {
  version: number;
  messages: SavedMessage[];
}

export class MessageHistory {
  private readonly messages = new Map<string, WAMessage>();
  private writing: Promise<void> = Promise.resolve();
  private dirty = false;

  private constructor(private readonly dir: string | null) {}

  static async open(dir: string | null): Promise<MessageHistory> {
    const history = new MessageHistory(dir);
    const saved = dir ? await readFileIfExists(join(dir, HISTORY_FILE)) : undefined;
    if (saved) {
      const file = JSON.parse(saved.toString('utf8')) as HistoryFile;
      if (file.version === HISTORY_VERSION) {
        for (const entry of file.messages) {
          const message = proto.Message.decode(Buffer.from(entry.message, 'base64'));
          history.remember(Object.assign(proto.WebMessageInfo.fromObject({ messageTimestamp: entry.timestamp }), { key: entry.key, message }));
        }
      }
    }
    return history;
  }

  get(id: string): WAMessage | undefined {
    return this.messages.get(id);
  }

  /** Remembers a message (by id) and saves the history soon after. */
  put(message: WAMessage): void {
    this.remember(message);
    this.dirty = true;
    this.writing = this.writing.then(() => this.writeIfDirty()).catch(() => undefined);
  }

  /** Resolves once everything put so far is on disk. */
  flush(): Promise<void> {
    return this.writing;
  }

  private remember(message: WAMessage): void {
    const id = message.key.id;
    if (!id || !message.message) return;
    this.messages.delete(id);
    this.messages.set(id, message);
    for (const oldest of this.messages.keys()) {
      if (this.messages.size <= MAX_MESSAGES) break;
      this.messages.delete(oldest);
    }
  }

  private async writeIfDirty(): Promise<void> {
    if (!this.dir || !this.dirty) return;
    this.dirty = false;
    const file: HistoryFile = {
      version: HISTORY_VERSION,
      messages: [...this.messages.values()].map((message) => ({
        key: { ...message.key },
        message: Buffer.from(proto.Message.encode(message.message!).finish()).toString('base64'),
        timestamp: Number(message.messageTimestamp ?? 0),
      })),
    };
    await mkdir(this.dir, { recursive: true });
    await writeFileAtomic(join(this.dir, HISTORY_FILE), JSON.stringify(file));
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
