/**
 * The most recent messages, kept so Baileys can answer retry requests and decrypt poll votes
 * (its `getMessage` option) and so received media can be downloaded on demand later.
 *
 * On disk: a rolling log of the messages as they are put (see util/rolling-record-log; concurrent
 * puts share one write). In memory: where each retained message lies, its id and its chat's
 * names, and only the newest few parsed; an older one is read back when asked for. A message with
 * a media thumbnail is tens of kilobytes as objects, so keeping all of them would cost the heap
 * far more than the index does. It is a cache: a damaged record is skipped rather than fatal.
 *
 * Lookups stay synchronous for their callers: a miss costs one small positioned read, and misses
 * are rare (a retry request or a vote for an older message, a reply to one).
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  BufferJSON,
  isJidBroadcast,
  isJidGroup,
  isJidNewsletter,
  jidNormalizedUser,
  proto,
  type WAMessage,
  type WAMessageKey,
} from 'baileys';
import { pino, type Logger } from 'pino';
import { removeFileIfExists } from '../util/atomic-file.js';
import { RollingRecordLog, type RecordLocation } from '../util/rolling-record-log.js';
import { SnapshotCorruptError, SnapshotLog, type LoadedSnapshotLog } from '../util/snapshot-log.js';

export interface MessageStore {
  /** Remembers the message (replacing one with the same chat and id); the oldest beyond the limit are forgotten. */
  put(msg: WAMessage): void;
  /**
   * By id. When `remoteJid` is given, a message in that chat is preferred; a person's chat matches
   * whatever form the jid takes (phone number or LID, with or without a device suffix), because
   * WhatsApp asks about one conversation under each of them. A group or broadcast chat must match.
   */
  get(key: { remoteJid?: string | null; id?: string | null }): WAMessage | undefined;
  /** The content Baileys' `getMessage` option must return. */
  getMessageContent(key: WAMessageKey): proto.IMessage | undefined;
  /** Resolves when every put so far is durable. */
  flush(): Promise<void>;
}

export interface MessageStoreOptions {
  maxMessages?: number;
}

export const DEFAULT_MAX_MESSAGES = 5_000;
/** Messages kept parsed in memory: the newest, which retries and votes ask for most. */
const RECENT_PARSED = 200;
/** The store of earlier versions (a snapshot and logs named after it), taken over once. */
const LEGACY_STORE_NAME = 'messages';
const LOG_PREFIX = 'recent';

/**
 * How a message is saved. Protobuf objects serialise only schema fields, so the key (which carries
 * Baileys' extras such as remoteJidAlt) is saved beside the message as a plain object.
 */
interface SavedMessage {
  message: unknown;
  key: WAMessageKey;
}

/** What memory holds of a retained message. */
interface Entry {
  id: string;
  /** Every name its chat is known by, normalised (see chatNamesOf). */
  chats: string[];
  /** Where it is on disk; absent until its write has landed. */
  location?: RecordLocation;
  /** Parsed, while it is among the newest or not yet on disk. */
  message?: WAMessage;
  /** put() count when it was put: it stays parsed while it is among the newest RECENT_PARSED. */
  putNumber: number;
}

export async function openMessageStore(
  dir: string,
  options: MessageStoreOptions = {},
  logger?: Logger,
): Promise<MessageStore> {
  const log = (logger ?? pino({ level: 'silent' })).child({ component: 'message-store' });
  const maxMessages = options.maxMessages ?? DEFAULT_MAX_MESSAGES;
  // Only keys and locations are kept while opening; messages are read back when asked for.
  const found: Array<{ key: WAMessageKey; location: RecordLocation }> = [];
  const records = await RollingRecordLog.open(dir, LOG_PREFIX, Math.max(16, Math.ceil(maxMessages / 4)), log, (payload, location) => {
    const saved = parseSaved(payload);
    if (saved) found.push({ key: saved.key, location });
  });
  const store = new BoundedMessageStore(records, maxMessages, log);
  for (const { key, location } of found) store.remember(key, location);
  await adoptLegacyStore(dir, store, log);
  log.debug({ messages: store.size }, 'message store opened');
  return store;
}

/** Moves the messages of the previous format into the log, then deletes its files. */
async function adoptLegacyStore(dir: string, store: BoundedMessageStore, logger: Logger): Promise<void> {
  const legacy = (await readdir(dir)).filter((name) => name.startsWith(`${LEGACY_STORE_NAME}.`) || name.startsWith(`${LEGACY_STORE_NAME}-`));
  if (legacy.length === 0) return;
  let loaded: LoadedSnapshotLog | undefined;
  try {
    loaded = await SnapshotLog.open(dir, LEGACY_STORE_NAME, logger);
  } catch (error) {
    if (!(error instanceof SnapshotCorruptError)) throw error;
    logger.warn({ err: error }, 'dropping the damaged message cache of the previous version');
  }
  if (loaded) {
    const saved: unknown[] = loaded.snapshot === undefined ? [] : (JSON.parse(loaded.snapshot) as unknown[]);
    for (const record of loaded.records) saved.push(JSON.parse(record));
    for (const entry of saved) {
      const parsed = parseSaved(JSON.stringify(entry));
      if (parsed) store.putSaved(parsed);
    }
    await store.flush();
  }
  for (const name of legacy) await removeFileIfExists(join(dir, name));
}

function parseSaved(payload: string): SavedMessage | undefined {
  try {
    const saved = JSON.parse(payload, BufferJSON.reviver) as SavedMessage;
    return typeof saved?.key?.id === 'string' && typeof saved.message === 'object' ? saved : undefined;
  } catch {
    return undefined;
  }
}

class BoundedMessageStore implements MessageStore {
  /** Oldest first: a Map iterates in insertion order and put() re-inserts. */
  private readonly entries = new Map<string, Entry>();
  /** The store keys of the messages with each id, oldest first (usually exactly one). */
  private readonly keysById = new Map<string, string[]>();
  private puts = 0;
  /** The newest entries put, oldest first: they keep their parsed message. */
  private readonly recent: Entry[] = [];
  /** The oldest log file that still holds a retained message; older ones are deleted. */
  private oldestFileInUse = 0;

  constructor(
    private readonly records: RollingRecordLog,
    private readonly maxMessages: number,
    private readonly logger: Logger,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  put(msg: WAMessage): void {
    if (!msg.key?.id) return;
    this.putSaved(toSaved(msg), msg);
  }

  /** Remembers and writes; `msg` is the parsed form when the caller has it. */
  putSaved(saved: SavedMessage, msg: WAMessage = reviveMessage(saved)): void {
    const entry = this.remember(saved.key, undefined, msg);
    if (!entry) return;
    this.records
      .append(JSON.stringify(saved, BufferJSON.replacer))
      .then((location) => {
        entry.location = location;
        if (!this.isRecent(entry)) delete entry.message;
        this.dropUnusedFiles();
      })
      .catch((error: unknown) => this.logger.warn({ err: error }, 'could not persist a message'));
  }

  get(key: { remoteJid?: string | null; id?: string | null }): WAMessage | undefined {
    if (!key.id) return undefined;
    const candidates = (this.keysById.get(key.id) ?? []).map((storeKey) => this.entries.get(storeKey)!).reverse();
    let chosen: Entry | undefined;
    if (!key.remoteJid) {
      chosen = candidates[0];
    } else {
      const asked = normalisedChat(key.remoteJid);
      chosen = candidates.find((candidate) => candidate.chats.includes(asked));
      // Without the LID ↔ phone-number mapping the store cannot prove that a LID and a phone number
      // are the same person; message ids are random enough that the person's chat with this id is it.
      if (!chosen && isPersonJid(asked)) chosen = candidates.find((candidate) => isPersonJid(candidate.chats[0] ?? ''));
    }
    return chosen ? this.messageOf(chosen) : undefined;
  }

  getMessageContent(key: WAMessageKey): proto.IMessage | undefined {
    return this.get(key)?.message ?? undefined;
  }

  flush(): Promise<void> {
    return this.records.idle();
  }

  /** Adds to memory only; returns the entry, or undefined for a message without an id. */
  remember(messageKey: WAMessageKey, location?: RecordLocation, msg?: WAMessage): Entry | undefined {
    const id = messageKey.id;
    if (!id) return undefined;
    const key = storeKey(messageKey.remoteJid, id);
    if (this.entries.delete(key)) this.forgetKey(id, key);
    this.puts += 1;
    const chats = [messageKey.remoteJid, messageKey.remoteJidAlt].filter((jid): jid is string => !!jid).map(normalisedChat);
    const entry: Entry = { id, chats: chats.length > 0 ? chats : [''], putNumber: this.puts };
    if (location) entry.location = location;
    if (msg) {
      entry.message = msg;
      this.recent.push(entry);
      // The entry leaving the newest keeps only its location (once it has one; see putSaved).
      const leaving = this.recent.length > RECENT_PARSED ? this.recent.shift() : undefined;
      if (leaving?.location) delete leaving.message;
    }
    this.entries.set(key, entry);
    const sameId = this.keysById.get(id);
    if (sameId) sameId.push(key);
    else this.keysById.set(id, [key]);
    this.evictBeyondLimits();
    return entry;
  }

  private evictBeyondLimits(): void {
    for (const [oldestKey, oldest] of this.entries) {
      if (this.entries.size <= this.maxMessages) break;
      this.entries.delete(oldestKey);
      this.forgetKey(oldest.id, oldestKey);
    }
  }

  private isRecent(entry: Entry): boolean {
    return entry.putNumber > this.puts - RECENT_PARSED;
  }

  private messageOf(entry: Entry): WAMessage | undefined {
    if (entry.message) return entry.message;
    const payload = entry.location ? this.records.readSync(entry.location) : undefined;
    const saved = payload === undefined ? undefined : parseSaved(payload);
    if (!saved) {
      this.logger.warn('a stored message could not be read back');
      return undefined;
    }
    return reviveMessage(saved);
  }

  private forgetKey(id: string, key: string): void {
    const remaining = (this.keysById.get(id) ?? []).filter((candidate) => candidate !== key);
    if (remaining.length > 0) this.keysById.set(id, remaining);
    else this.keysById.delete(id);
  }

  private dropUnusedFiles(): void {
    const oldest = this.entries.values().next().value as Entry | undefined;
    const file = oldest?.location?.file;
    if (file === undefined || file <= this.oldestFileInUse) return;
    this.oldestFileInUse = file;
    this.records.dropFilesBefore(file).catch((error: unknown) => this.logger.warn({ err: error }, 'could not delete an old message file'));
  }
}

function storeKey(remoteJid: string | null | undefined, id: string): string {
  return `${normalisedChat(remoteJid)}\u0000${id}`;
}

/** The chat without a device suffix: `123:3@s.whatsapp.net` and `123@s.whatsapp.net` are one chat. */
function normalisedChat(jid: string | null | undefined): string {
  if (!jid) return '';
  return jidNormalizedUser(jid) || jid;
}

/** A person's chat (phone number or LID), not a group, broadcast list, status or channel. */
function isPersonJid(jid: string): boolean {
  return jid.includes('@') && !isJidGroup(jid) && !isJidBroadcast(jid) && !isJidNewsletter(jid);
}

function toSaved(msg: WAMessage): SavedMessage {
  return { message: msg, key: { ...msg.key } };
}

/** Protobuf classes serialise bytes as base64 and 64-bit numbers as strings; fromObject undoes that. */
function reviveMessage(saved: SavedMessage): WAMessage {
  const message = proto.WebMessageInfo.fromObject(saved.message as Record<string, unknown>) as WAMessage;
  message.key = saved.key;
  return message;
}
