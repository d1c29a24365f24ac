/**
 * The most recent messages, kept so Baileys can answer retry requests and decrypt poll votes
 * (its `getMessage` option) and so received media can be downloaded on demand later.
 *
 * Persisted as a snapshot-log (see util/snapshot-log): each put appends the message (concurrent puts
 * share one write), and once as many messages were appended as the store holds, the retained ones
 * become the new snapshot. It is a cache: a damaged snapshot is dropped rather than fatal.
 */
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
const STORE_NAME = 'messages';
/** Below this the log is cheaper to keep than to fold into a new snapshot. */
const MIN_COMPACTION_BYTES = 256 * 1024;

/**
 * How a message is saved. Protobuf objects serialise only schema fields, so the key (which carries
 * Baileys' extras such as remoteJidAlt) is saved beside the message as a plain object.
 */
interface SavedMessage {
  message: unknown;
  key: WAMessageKey;
}

export async function openMessageStore(
  dir: string,
  options: MessageStoreOptions = {},
  logger?: Logger,
): Promise<MessageStore> {
  const log = (logger ?? pino({ level: 'silent' })).child({ component: 'message-store' });
  const { log: storage, snapshot, records } = await openDroppingDamagedSnapshot(dir, log);
  const store = new BoundedMessageStore(storage, options.maxMessages ?? DEFAULT_MAX_MESSAGES, log);
  const saved: SavedMessage[] = snapshot === undefined ? [] : (JSON.parse(snapshot, BufferJSON.reviver) as SavedMessage[]);
  for (const payload of records) saved.push(JSON.parse(payload, BufferJSON.reviver) as SavedMessage);
  for (const entry of saved) store.remember(reviveMessage(entry));
  log.debug({ messages: store.size }, 'message store opened');
  return store;
}

async function openDroppingDamagedSnapshot(dir: string, logger: Logger): Promise<LoadedSnapshotLog> {
  try {
    return await SnapshotLog.open(dir, STORE_NAME, logger);
  } catch (error) {
    if (!(error instanceof SnapshotCorruptError)) throw error;
    logger.warn({ err: error }, 'dropping the damaged message cache');
    await removeFileIfExists(join(dir, `${STORE_NAME}.snapshot`));
    return SnapshotLog.open(dir, STORE_NAME, logger);
  }
}

class BoundedMessageStore implements MessageStore {
  /** Oldest first: a Map iterates in insertion order and put() re-inserts. */
  private readonly messages = new Map<string, WAMessage>();
  /** The store keys of the messages with each id, oldest first (usually exactly one). */
  private readonly keysById = new Map<string, string[]>();
  private compactionScheduled = false;

  constructor(
    private readonly storage: SnapshotLog,
    private readonly maxMessages: number,
    private readonly logger: Logger,
  ) {}

  get size(): number {
    return this.messages.size;
  }

  put(msg: WAMessage): void {
    if (!msg.key?.id) return;
    this.remember(msg);
    this.storage
      .append(JSON.stringify(toSaved(msg), BufferJSON.replacer))
      .then(() => this.compactIfLogOutgrewSnapshot())
      .catch((error: unknown) => this.logger.warn({ err: error }, 'could not persist a message'));
  }

  get(key: { remoteJid?: string | null; id?: string | null }): WAMessage | undefined {
    if (!key.id) return undefined;
    const candidates = (this.keysById.get(key.id) ?? []).map((storeKey) => this.messages.get(storeKey)!).reverse();
    if (!key.remoteJid) return candidates[0];
    const asked = normalisedChat(key.remoteJid);
    const sameChat = candidates.find((candidate) => chatNamesOf(candidate).includes(asked));
    if (sameChat || !isPersonJid(asked)) return sameChat;
    // Without the LID ↔ phone-number mapping the store cannot prove that a LID and a phone number
    // are the same person; message ids are random enough that the person's chat with this id is it.
    return candidates.find((candidate) => isPersonJid(normalisedChat(candidate.key.remoteJid)));
  }

  getMessageContent(key: WAMessageKey): proto.IMessage | undefined {
    return this.get(key)?.message ?? undefined;
  }

  flush(): Promise<void> {
    return this.storage.idle();
  }

  /** Adds to memory only. */
  remember(msg: WAMessage): void {
    const id = msg.key?.id;
    if (!id) return;
    const key = storeKey(msg.key.remoteJid, id);
    if (this.messages.delete(key)) this.forgetKey(id, key);
    this.messages.set(key, msg);
    const sameId = this.keysById.get(id);
    if (sameId) sameId.push(key);
    else this.keysById.set(id, [key]);
    for (const [oldestKey, oldest] of this.messages) {
      if (this.messages.size <= this.maxMessages) break;
      this.messages.delete(oldestKey);
      this.forgetKey(oldest.key.id!, oldestKey);
    }
  }

  private forgetKey(id: string, key: string): void {
    const remaining = (this.keysById.get(id) ?? []).filter((candidate) => candidate !== key);
    if (remaining.length > 0) this.keysById.set(id, remaining);
    else this.keysById.delete(id);
  }

  private compactIfLogOutgrewSnapshot(): void {
    if (this.compactionScheduled || !this.storage.needsCompaction(MIN_COMPACTION_BYTES)) return;
    this.compactionScheduled = true;
    this.storage
      .compact(() => JSON.stringify([...this.messages.values()].map(toSaved), BufferJSON.replacer))
      .catch((error: unknown) => this.logger.warn({ err: error }, 'could not compact the message cache'))
      .finally(() => {
        this.compactionScheduled = false;
      });
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

/** Every name the message's chat is known by (Baileys gives LID chats their phone jid as an alternative). */
function chatNamesOf(msg: WAMessage): string[] {
  const { remoteJid, remoteJidAlt } = msg.key;
  return [remoteJid, remoteJidAlt].filter((jid): jid is string => !!jid).map(normalisedChat);
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
