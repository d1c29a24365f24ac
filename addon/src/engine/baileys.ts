/**
 * The real engine: one Baileys socket per connect(). It reports what happens (QR codes, open,
 * close, normalised events) and never reconnects on its own: the session state machine decides.
 */
import makeWASocket, {
  isLidUser,
  jidNormalizedUser,
  makeCacheableSignalKeyStore,
  type GroupMetadata,
  type MessageUserReceiptUpdate,
  type UserFacingSocketConfig,
  type WAMessage,
  type WAMessageKey,
  type WAMessageUpdate,
  type WASocket,
} from 'baileys';
import type { Logger } from 'pino';

import type { DurableAuthState } from '../auth/auth-store.js';
import type { MessageStore } from '../auth/message-store.js';
import type { JournalInput, MessageStatus } from '../journal/types.js';
import { BaileysMessenger } from './baileys-messenger.js';
import { reasonFromClose } from './disconnect.js';
import {
  normaliseGroupParticipants,
  normaliseGroupUpdate,
  normaliseMessage,
  normaliseReceipt,
  phoneOfJid,
  type GroupParticipantsUpdate,
  type NormaliseContext,
} from './normalise.js';
import {
  EngineRequestError,
  type Account,
  type CloseInfo,
  type ConnectionHandlers,
  type Engine,
  type EngineConnection,
  type GroupSummary,
  type Messenger,
  type NumberCheck,
  type OutgoingMessage,
  type PresenceState,
  type SentMessage,
} from './types.js';

export interface BaileysEngineOptions {
  auth: DurableAuthState;
  messages: MessageStore;
  logger: Logger;
  /** Show this device as online. Off by default so the phone keeps getting notifications. */
  markOnline?: boolean;
  /** Where to reach WhatsApp; tests point it at a loopback server. */
  waWebSocketUrl?: string;
  /** The name the phone lists under "Linked devices". */
  deviceName?: string;
  connectTimeoutMs?: number;
  /** Makes the socket; tests wrap Baileys' own to reach the real socket's event emitter. */
  createSocket?: (config: UserFacingSocketConfig) => WASocket;
}

/** WhatsApp's first QR code of a pairing lives about 60 s, each later one about 20 s. */
const FIRST_QR_TTL_MS = 60_000;
const NEXT_QR_TTL_MS = 20_000;
/** Look-ups made while normalising must not hold up the event queue for long. */
const LOOKUP_TIMEOUT_MS = 5_000;
/** A group whose subject could not be fetched is not asked about again for this long. */
const GROUP_RETRY_AFTER_MS = 60_000;
/** Message statuses remembered to drop duplicates (every group member sends receipts). */
const REMEMBERED_STATUSES = 5_000;
/** Received messages remembered per chat for "mark the chat read". */
const UNREAD_PER_CHAT = 50;
const CHATS_WITH_UNREAD = 500;

const STATUS_RANK: Readonly<Record<MessageStatus, number>> = { failed: 0, sent: 1, delivered: 2, read: 3, played: 4 };

/** Passes on each status of a message once, and only forward (delivered never follows read). */
export class StatusDeduplicator {
  private readonly seen = new Map<string, number>();

  constructor(private readonly capacity = REMEMBERED_STATUSES) {}

  accept(messageId: string, status: MessageStatus): boolean {
    const rank = STATUS_RANK[status];
    const previous = this.seen.get(messageId);
    if (status !== 'failed' && previous !== undefined && previous >= rank) return false;
    this.seen.delete(messageId);
    this.seen.set(messageId, rank);
    if (this.seen.size > this.capacity) {
      const oldest = this.seen.keys().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
    return true;
  }
}

/** Baileys is chatty at info level: below debug it only gets to say warnings and worse. */
function baileysLogLevel(logger: Logger): string {
  if (logger.isLevelEnabled('debug') || !logger.isLevelEnabled('info')) return logger.level;
  return 'warn';
}

function accountFromCreds(me: { id: string; name?: string; verifiedName?: string } | undefined): Account | null {
  if (!me?.id) return null;
  const jid = jidNormalizedUser(me.id);
  const phone = phoneOfJid(jid);
  if (!phone) return null;
  const name = me.name && me.name !== '~' ? me.name : (me.verifiedName ?? null);
  return { jid, phone, name };
}

function errorDetails(error: unknown): { statusCode: number | null; message: string } {
  if (!(error instanceof Error)) return { statusCode: null, message: 'Connection closed' };
  const output = (error as { output?: { statusCode?: unknown } }).output;
  const statusCode = typeof output?.statusCode === 'number' ? output.statusCode : null;
  return { statusCode, message: error.message };
}

/** Resolves with `fallback` when `promise` takes longer than `ms` or `abandon` settles first. */
function bounded<T>(promise: Promise<T>, ms: number, fallback: T, abandon: Promise<void>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
  });
  return Promise.race([promise.catch(() => fallback), timeout, abandon.then(() => fallback)]).finally(() =>
    clearTimeout(timer),
  );
}

/**
 * Baileys' end() detaches its 'close' listeners before closing the WebSocket, so a handshake step
 * or query still waiting keeps its timer (up to a minute) after the socket is gone. Their 'error'
 * listeners stay attached: failing them ends those waits now.
 */
function releasePendingWaits(socket: WASocket): void {
  if (socket.ws.listenerCount('error') > 0) socket.ws.emit('error', new Error('Connection ended'));
}

/** Keys of received messages per chat, until they are marked read. Bounded: old chats are forgotten. */
class UnreadTracker {
  private readonly chats = new Map<string, WAMessageKey[]>();

  add(chat: string, key: WAMessageKey): void {
    const keys = this.chats.get(chat) ?? [];
    this.chats.delete(chat);
    keys.push(key);
    this.chats.set(chat, keys.slice(-UNREAD_PER_CHAT));
    if (this.chats.size > CHATS_WITH_UNREAD) {
      const oldest = this.chats.keys().next().value;
      if (oldest !== undefined) this.chats.delete(oldest);
    }
  }

  /** Everything unread in the chat; forgotten once taken. */
  take(chat: string): WAMessageKey[] {
    const keys = this.chats.get(chat) ?? [];
    this.chats.delete(chat);
    return keys;
  }
}

class BaileysConnection implements EngineConnection {
  private readonly log: Logger;
  private readonly socket: WASocket | null = null;
  /** Set once onClose was reported or close()/logout() was asked for: nothing is reported after. */
  private finished = false;
  /** Baileys said the socket closed; onClose follows once the events before it are through. */
  private closing = false;
  private qrCount = 0;
  /** WhatsApp accepted the login and the socket has not closed since. */
  private open = false;
  private readonly unread = new UnreadTracker();
  private readonly messenger: BaileysMessenger | null = null;
  private queue: Promise<void> = Promise.resolve();
  private readonly statuses = new StatusDeduplicator();
  /** Full metadata WhatsApp sent or we fetched; Baileys reuses it when sending to the group. */
  private readonly groupMetadata = new Map<string, GroupMetadata>();
  /** Group names, also for groups whose full metadata is not known. */
  private readonly subjects = new Map<string, string>();
  private readonly groupFailures = new Map<string, number>();
  private markEnded!: () => void;
  private readonly ended = new Promise<void>((resolve) => {
    this.markEnded = resolve;
  });

  constructor(
    private readonly options: BaileysEngineOptions,
    private readonly handlers: ConnectionHandlers,
  ) {
    this.log = options.logger;
    try {
      this.socket = this.openSocket();
      this.messenger = new BaileysMessenger({
        socket: this.socket,
        messages: options.messages,
        logger: this.log,
        isOpen: () => this.open && !this.finished && !this.closing,
        unreadKeys: (chat) => this.unread.take(chat),
        rememberGroup: (group) => this.rememberGroup(group),
      });
    } catch (err) {
      // Reported asynchronously: callers must hold the connection object before any callback.
      const { statusCode, message } = errorDetails(err);
      setImmediate(() => this.reportClose({ reason: reasonFromClose(statusCode, message), statusCode, message }));
    }
  }

  private openSocket(): WASocket {
    const { auth, messages, logger } = this.options;
    if (auth.state.creds.me && !auth.isRegistered()) {
      // Left by a pairing-code request that was never confirmed on the phone. With `me` set Baileys
      // would try to log in as an account that was never linked, instead of pairing afresh.
      auth.state.creds.me = undefined;
      void auth.saveCreds().catch((err: unknown) => {
        this.log.error({ err: (err as Error).message }, 'could not save WhatsApp credentials');
      });
    }
    const baileysLogger = logger.child({ component: 'baileys' }, { level: baileysLogLevel(logger) });
    const createSocket = this.options.createSocket ?? makeWASocket;
    const socket = createSocket({
      auth: { creds: auth.state.creds, keys: makeCacheableSignalKeyStore(auth.state.keys, baileysLogger) },
      logger: baileysLogger,
      browser: [this.options.deviceName ?? 'Home Assistant', 'Chrome', '1.0'],
      markOnlineOnConnect: this.options.markOnline ?? false,
      syncFullHistory: false,
      // The messenger keeps what this service sends; echoed back as events, those messages would
      // look as if written on the phone.
      emitOwnEvents: false,
      getMessage: async (key) => messages.getMessageContent(key),
      cachedGroupMetadata: async (jid) => this.groupMetadata.get(jid),
      ...(this.options.waWebSocketUrl ? { waWebSocketUrl: this.options.waWebSocketUrl } : {}),
      ...(this.options.connectTimeoutMs ? { connectTimeoutMs: this.options.connectTimeoutMs } : {}),
    });
    this.listen(socket);
    return socket;
  }

  private listen(socket: WASocket): void {
    const { ev } = socket;
    ev.on('connection.update', (update) => {
      if (update.qr) this.reportQr(update.qr);
      if (update.connection === 'open') this.reportOpen();
      if (update.connection === 'close') {
        this.closing = true;
        releasePendingWaits(socket);
        const { statusCode, message } = errorDetails(update.lastDisconnect?.error);
        this.enqueue(async () => this.reportClose({ reason: reasonFromClose(statusCode, message), statusCode, message }));
      }
    });
    ev.on('creds.update', () => {
      this.options.auth.saveCreds().catch((err: unknown) => {
        this.log.error({ err: (err as Error).message }, 'could not save WhatsApp credentials');
      });
    });
    ev.on('messages.upsert', ({ messages }) => {
      for (const message of messages) this.enqueue(() => this.handleMessage(message));
    });
    ev.on('messages.update', (updates) => {
      for (const update of updates) this.enqueue(() => this.handleReceipt(update));
    });
    ev.on('message-receipt.update', (updates) => {
      for (const update of updates) this.enqueue(() => this.handleReceipt(update));
    });
    ev.on('groups.upsert', (groups) => {
      for (const group of groups) this.rememberGroup(group);
    });
    ev.on('groups.update', (updates) => {
      for (const update of updates) this.enqueue(() => this.handleGroupUpdate(update));
    });
    ev.on('group-participants.update', (update) => {
      this.enqueue(async () => {
        this.emit({ type: 'group', data: await normaliseGroupParticipants(update satisfies GroupParticipantsUpdate, this.context()) });
      });
    });
  }

  /** Events are normalised one after another so the journal sees them in WhatsApp's order. */
  private enqueue(task: () => Promise<void>): void {
    this.queue = this.queue.then(task).catch((err: unknown) => {
      this.log.error({ err: (err as Error).message }, 'could not process a WhatsApp event');
    });
  }

  private emit(event: JournalInput): void {
    if (!this.finished) this.handlers.onEvent(event);
  }

  private reportQr(code: string): void {
    if (this.finished || this.closing) return;
    const ttl = this.qrCount === 0 ? FIRST_QR_TTL_MS : NEXT_QR_TTL_MS;
    this.qrCount += 1;
    this.handlers.onQr(code, ttl);
  }

  private reportOpen(): void {
    if (this.finished || this.closing) return;
    const account = accountFromCreds(this.options.auth.state.creds.me);
    if (!account) {
      this.log.error('WhatsApp opened the connection but the credentials name no account');
      return;
    }
    this.open = true;
    this.handlers.onOpen(account);
  }

  private reportClose(info: CloseInfo): void {
    if (this.finished) return;
    this.finished = true;
    this.markEnded();
    this.handlers.onClose(info);
  }

  private async handleMessage(message: WAMessage): Promise<void> {
    const data = await normaliseMessage(message, this.context());
    if (!data) return;
    // Kept so media can be downloaded later, polls can decrypt their votes and WhatsApp's retry
    // requests can be answered.
    this.options.messages.put(message);
    if (!data.from_me) this.unread.add(data.chat, message.key);
    this.log.debug({ id: data.id, kind: data.kind }, 'message received');
    this.emit({ type: 'message', data });
  }

  private async handleReceipt(update: WAMessageUpdate | MessageUserReceiptUpdate): Promise<void> {
    const data = await normaliseReceipt(update, this.context());
    if (data && this.statuses.accept(data.id, data.status)) this.emit({ type: 'message_status', data });
  }

  private async handleGroupUpdate(update: Partial<GroupMetadata>): Promise<void> {
    const data = normaliseGroupUpdate(update);
    if (!data?.subject) return;
    this.subjects.set(data.jid, data.subject);
    const known = this.groupMetadata.get(data.jid);
    if (known) this.groupMetadata.set(data.jid, { ...known, subject: data.subject });
    this.emit({ type: 'group', data });
  }

  private rememberGroup(group: GroupMetadata): void {
    this.groupMetadata.set(group.id, group);
    this.subjects.set(group.id, group.subject);
  }

  private context(): NormaliseContext {
    const me = this.options.auth.state.creds.me;
    const lidMapping = this.socket?.signalRepository.lidMapping;
    return {
      ownJid: me?.id ? jidNormalizedUser(me.id) : null,
      ownLid: me?.lid ? jidNormalizedUser(me.lid) : null,
      phoneJidForLid: async (lid) => {
        if (!lidMapping || !isLidUser(lid)) return null;
        const pn = await bounded(lidMapping.getPNForLID(lid), LOOKUP_TIMEOUT_MS, null, this.ended);
        return pn ? jidNormalizedUser(pn) : null;
      },
      lidForPhoneJid: async (pn) => {
        if (!lidMapping) return null;
        const lid = await bounded(lidMapping.getLIDForPN(pn), LOOKUP_TIMEOUT_MS, null, this.ended);
        return lid ? jidNormalizedUser(lid) : null;
      },
      groupSubject: (jid) => this.groupSubject(jid),
      messageContent: (key: WAMessageKey) => this.options.messages.getMessageContent(key),
      logger: this.log,
    };
  }

  private async groupSubject(jid: string): Promise<string | null> {
    const known = this.subjects.get(jid);
    if (known !== undefined) return known;
    const failedAt = this.groupFailures.get(jid);
    if (!this.socket || this.finished || (failedAt !== undefined && Date.now() - failedAt < GROUP_RETRY_AFTER_MS)) {
      return null;
    }
    const metadata = await bounded(this.socket.groupMetadata(jid), LOOKUP_TIMEOUT_MS, null, this.ended);
    if (!metadata) {
      this.groupFailures.set(jid, Date.now());
      return null;
    }
    this.rememberGroup(metadata);
    return metadata.subject;
  }

  async requestPairingCode(phoneDigits: string): Promise<string> {
    if (!this.socket || this.finished) throw new Error('The WhatsApp connection is closed; it cannot request a pairing code.');
    return this.socket.requestPairingCode(phoneDigits.replace(/\D/g, ''));
  }

  private get connected(): Messenger {
    if (!this.messenger) {
      throw new EngineRequestError(503, 'not_connected', 'WhatsApp is not connected. Try again when the add-on shows "connected".');
    }
    return this.messenger;
  }

  send(message: OutgoingMessage): Promise<SentMessage> {
    return this.connected.send(message);
  }

  edit(chat: string, messageId: string, text: string): Promise<void> {
    return this.connected.edit(chat, messageId, text);
  }

  delete(chat: string, messageId: string): Promise<void> {
    return this.connected.delete(chat, messageId);
  }

  markRead(chat: string, messageIds: string[]): Promise<void> {
    return this.connected.markRead(chat, messageIds);
  }

  setPresence(chat: string, state: PresenceState): Promise<void> {
    return this.connected.setPresence(chat, state);
  }

  groups(): Promise<GroupSummary[]> {
    return this.connected.groups();
  }

  checkNumber(phoneDigits: string): Promise<NumberCheck> {
    return this.connected.checkNumber(phoneDigits);
  }

  downloadMedia(messageId: string): Promise<{ data: Buffer; mimetype: string | null; filename: string | null } | null> {
    return this.connected.downloadMedia(messageId);
  }

  async close(): Promise<void> {
    this.finished = true;
    this.markEnded();
    if (!this.socket) return;
    // Baileys ignores a second end(), so this is safe after WhatsApp already closed the socket.
    await this.socket.end(undefined);
    releasePendingWaits(this.socket);
  }

  async logout(): Promise<void> {
    if (!this.socket || this.finished) throw new Error('The WhatsApp connection is closed; it cannot log out.');
    this.finished = true;
    this.markEnded();
    try {
      await this.socket.logout();
    } finally {
      // logout() only ends the socket after WhatsApp accepted the request.
      await this.socket.end(undefined);
      releasePendingWaits(this.socket);
    }
  }
}

export class BaileysEngine implements Engine {
  readonly kind = 'baileys' as const;

  constructor(private readonly options: BaileysEngineOptions) {}

  isRegistered(): boolean {
    return this.options.auth.isRegistered();
  }

  connect(handlers: ConnectionHandlers): EngineConnection {
    return new BaileysConnection(this.options, handlers);
  }

  async clearCredentials(): Promise<void> {
    await this.options.auth.clear();
  }
}
