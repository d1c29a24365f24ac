/**
 * The real engine: one Baileys socket per connect(). It reports what happens (QR codes, open,
 * close, normalised events) and never reconnects on its own: the session state machine decides.
 */
import makeWASocket, {
  DisconnectReason,
  isLidUser,
  jidNormalizedUser,
  makeCacheableSignalKeyStore,
  type GroupMetadata,
  type MessageUserReceiptUpdate,
  type UserFacingSocketConfig,
  type WABrowserDescription,
  type WAMessage,
  type WAMessageKey,
  type WAMessageUpdate,
  type WASocket,
  type WAVersion,
} from 'baileys';
import type { Agent as HttpsAgent } from 'node:https';
import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';

import type { DurableAuthState } from '../auth/auth-store.js';
import type { MessageStore } from '../auth/message-store.js';
import type { JournalInput } from '../journal/types.js';
import { BaileysMessenger } from './baileys-messenger.js';
import { bounded, withTimeout } from './bounded.js';
import { createSharedSocketCaches, type SharedSocketCaches } from './cache-store.js';
import { StatusDeduplicator, UnreadTracker } from './chat-tracking.js';
import { watchConnect } from './connect-watchdog.js';
import { reasonFromClose } from './disconnect.js';
import { GroupMetadataCache } from './group-cache.js';
import { companionBrowser, requestConfirmedPairingCode } from './pairing.js';
import { ServerAcks, watchServerAcks } from './server-acks.js';
import { acknowledgeStatusesUnopened } from './status-broadcasts.js';
import { WaVersionSource, type VersionFetcher } from './wa-version.js';
import { phoneOfJid } from './jid-identities.js';
import { normaliseMessage } from './normalise.js';
import type { NormaliseContext } from './normalise-context.js';
import { normaliseGroupParticipants, normaliseGroupUpdate, type GroupParticipantsUpdate } from './normalise-groups.js';
import { normaliseReceipt } from './normalise-receipts.js';
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
  /** How long the WebSocket may take to open before the connection is given up. */
  connectTimeoutMs?: number;
  /** Makes the socket; tests wrap Baileys' own to reach the real socket's event emitter. */
  createSocket?: (config: UserFacingSocketConfig) => WASocket;
  /**
   * Ask WhatsApp Web for the current client version before connecting (briefly; the built-in
   * version is the fallback). Off unless the caller turns it on, and never done when
   * `waWebSocketUrl` is set: tests and the fake network must not reach WhatsApp.
   */
  fetchLatestVersion?: boolean;
  /** Replaces the fetch from WhatsApp Web (tests). */
  versionFetcher?: VersionFetcher;
  versionFetchTimeoutMs?: number;
  /** How long to wait for WhatsApp to accept or refuse a pairing-code request. */
  pairingReplyTimeoutMs?: number;
  /** How long group metadata is trusted before Baileys asks WhatsApp again. */
  groupMetadataTtlMs?: number;
  /** How long the sender's phone gets to upload expired media again. */
  mediaReuploadTimeoutMs?: number;
  /** How media reaches WhatsApp's media hosts; the fake network routes them to its loopback host. */
  mediaTransport?: MediaTransport;
  /** Lifetime of each QR code; WhatsApp's own (60 s, then 20 s) when absent. */
  qrTimeoutMs?: number;
  /** How often Baileys pings WhatsApp; it gives up on a silent connection after this plus 5 s. */
  keepAliveIntervalMs?: number;
  /** How long a logout waits for WhatsApp to confirm the unlink before the device is forgotten anyway. */
  logoutTimeoutMs?: number;
}

export interface MediaTransport {
  /** Carries Baileys' uploads (`https.request`). */
  uploadAgent: HttpsAgent;
  /** Carries downloads (`fetch`). */
  dispatcher: Dispatcher;
}

export { StatusDeduplicator } from './chat-tracking.js';

/** WhatsApp's first QR code of a pairing lives about 60 s, each later one about 20 s. */
const FIRST_QR_TTL_MS = 60_000;
const NEXT_QR_TTL_MS = 20_000;
/** Look-ups made while normalising must not hold up the event queue for long. */
const LOOKUP_TIMEOUT_MS = 5_000;
/** A group whose subject could not be fetched is not asked about again for this long. */
const GROUP_RETRY_AFTER_MS = 60_000;
/** Baileys' own default: how long the WebSocket may take to open. */
const DEFAULT_CONNECT_TIMEOUT_MS = 20_000;
/** WhatsApp confirms an unlink within a second; Baileys itself would wait a minute on a dead network. */
const LOGOUT_TIMEOUT_MS = 5_000;
/** How long close() and logout() wait for events already received to be journalled. */
const DRAIN_TIMEOUT_MS = 10_000;

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

/**
 * Baileys' end() detaches its 'close' listeners before closing the WebSocket, so a handshake step
 * or query still waiting keeps its timer (up to a minute) after the socket is gone. Their 'error'
 * listeners stay attached: failing them ends those waits now.
 */
function releasePendingWaits(socket: WASocket): void {
  if (socket.ws.listenerCount('error') > 0) socket.ws.emit('error', new Error('Connection ended'));
}

/** Baileys' error for a write or query on a socket that has closed (428, "Connection Closed"). */
function isConnectionClosedError(error: unknown): boolean {
  return errorDetails(error).statusCode === DisconnectReason.connectionClosed;
}

/** What one engine's connections share: what must survive a reconnect. */
interface SharedState {
  caches: SharedSocketCaches;
  versions: WaVersionSource;
}

class BaileysConnection implements EngineConnection {
  private readonly log: Logger;
  private socket: WASocket | null = null;
  private messenger: BaileysMessenger | null = null;
  /** Given to Baileys; pairing by code swaps its first element for one request. */
  private readonly browser: WABrowserDescription;
  /** Set once onClose was reported or close()/logout() finished: nothing is reported after. */
  private finished = false;
  /** close()/logout() was asked for: events still get journalled, but no onClose is reported. */
  private stopping = false;
  /** Baileys said the socket closed; onClose follows once the events before it are journalled. */
  private closing = false;
  private qrCount = 0;
  /** WhatsApp accepted the login and the socket has not closed since. */
  private open = false;
  private readonly unread = new UnreadTracker();
  private queue: Promise<void> = Promise.resolve();
  /** Journal appends not yet durable; onClose waits for them. */
  private readonly journalling = new Set<Promise<unknown>>();
  private readonly statuses = new StatusDeduplicator();
  private readonly serverAcks = new ServerAcks();
  private readonly groupMetadata: GroupMetadataCache;
  /** Group names, also for groups whose full metadata is not known. */
  private readonly subjects = new Map<string, string>();
  private readonly groupFailures = new Map<string, number>();
  /** Fires when the connection ends: look-ups and waits still running give up. */
  private readonly lifetime = new AbortController();
  private stopWatchdog: () => void = () => undefined;

  constructor(
    private readonly options: BaileysEngineOptions,
    private readonly shared: SharedState,
    private readonly handlers: ConnectionHandlers,
  ) {
    this.log = options.logger;
    this.browser = companionBrowser(options.deviceName);
    this.groupMetadata = new GroupMetadataCache(options.groupMetadataTtlMs);
    if (shared.versions.enabled) void this.openWhenVersionKnown();
    else this.start(undefined);
  }

  private async openWhenVersionKnown(): Promise<void> {
    const version = await this.shared.versions.current();
    if (!this.stopping && !this.finished) this.start(version);
  }

  private start(version: WAVersion | undefined): void {
    try {
      this.socket = this.openSocket(version);
      this.messenger = new BaileysMessenger({
        socket: this.socket,
        messages: this.options.messages,
        logger: this.log,
        isOpen: () => this.open && !this.finished && !this.closing && !this.stopping,
        unreadKeys: (chat) => this.unread.take(chat),
        rememberGroup: (group) => this.rememberGroup(group),
        mediaReuploadTimeoutMs: this.options.mediaReuploadTimeoutMs,
        mediaDispatcher: this.options.mediaTransport?.dispatcher,
        serverAcks: this.serverAcks,
      });
    } catch (err) {
      // Reported asynchronously: callers must hold the connection object before any callback.
      const { statusCode, message } = errorDetails(err);
      setImmediate(() => this.enqueue(async () => this.reportClose({ reason: reasonFromClose(statusCode, message), statusCode, message })));
    }
  }

  private openSocket(version: WAVersion | undefined): WASocket {
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
    const connectTimeoutMs = this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const socket = createSocket({
      auth: { creds: auth.state.creds, keys: makeCacheableSignalKeyStore(auth.state.keys, baileysLogger) },
      logger: baileysLogger,
      browser: this.browser,
      ...(version ? { version } : {}),
      markOnlineOnConnect: this.options.markOnline ?? false,
      syncFullHistory: false,
      // The messenger keeps what this service sends; echoed back as events, those messages would
      // look as if written on the phone.
      emitOwnEvents: false,
      getMessage: async (key) => messages.getMessageContent(key),
      cachedGroupMetadata: async (jid) => this.groupMetadata.get(jid),
      msgRetryCounterCache: this.shared.caches.msgRetryCounter,
      // Baileys' own per-socket retry manager would overwrite the shared counts on every connection;
      // our message store answers retries instead.
      enableRecentMessageCache: false,
      userDevicesCache: this.shared.caches.userDevices,
      connectTimeoutMs,
      ...(this.options.waWebSocketUrl ? { waWebSocketUrl: this.options.waWebSocketUrl } : {}),
      ...(this.options.qrTimeoutMs ? { qrTimeout: this.options.qrTimeoutMs } : {}),
      ...(this.options.keepAliveIntervalMs ? { keepAliveIntervalMs: this.options.keepAliveIntervalMs } : {}),
      ...(this.options.mediaTransport
        ? { fetchAgent: this.options.mediaTransport.uploadAgent, options: { dispatcher: this.options.mediaTransport.dispatcher } }
        : {}),
    });
    acknowledgeStatusesUnopened(socket, () => auth.state.creds.me?.id, this.log);
    this.stopWatchdog = watchConnect(socket, connectTimeoutMs, this.log);
    this.listen(socket);
    return socket;
  }

  private listen(socket: WASocket): void {
    const { ev } = socket;
    // Queued at once: receipts for the same message only reach the queue after Baileys processed them.
    watchServerAcks(socket, this.serverAcks, ({ id, chat }) =>
      this.enqueue(async () => {
        if (this.statuses.accept(id, 'sent')) this.emit({ type: 'message_status', data: { id, chat, status: 'sent' } });
      }),
    );
    ev.on('connection.update', (update) => {
      if (update.qr) this.reportQr(update.qr);
      if (update.connection === 'open') this.reportOpen();
      if (update.connection === 'close') this.onSocketClosed(socket, update.lastDisconnect?.error);
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
      for (const update of updates) {
        this.groupMetadata.patch(update);
        this.enqueue(() => this.handleGroupUpdate(update));
      }
    });
    ev.on('group-participants.update', (update) => {
      // Whoever joined or left changes who must receive the next message to the group.
      this.groupMetadata.forget(update.id);
      void this.refreshGroup(update.id);
      this.enqueue(async () => {
        this.emit({ type: 'group', data: await normaliseGroupParticipants(update satisfies GroupParticipantsUpdate, this.context()) });
      });
    });
  }

  private onSocketClosed(socket: WASocket, error: unknown): void {
    this.closing = true;
    this.stopWatchdog();
    // Messages still in Baileys' buffer were decrypted and acknowledged to WhatsApp, which will
    // not send them again: they must reach the queue before Baileys destroys its event emitter.
    socket.ev.flush();
    releasePendingWaits(socket);
    const { statusCode, message } = errorDetails(error);
    const reason = reasonFromClose(statusCode, message);
    if (reason === 'clientOutdated') this.shared.versions.forget();
    this.enqueue(async () => this.reportClose({ reason, statusCode, message }));
  }

  /** Events are normalised one after another so the journal sees them in WhatsApp's order. */
  private enqueue(task: () => Promise<void>): void {
    this.queue = this.queue.then(task).catch((err: unknown) => {
      this.log.error({ err: (err as Error).message }, 'could not process a WhatsApp event');
    });
  }

  private emit(event: JournalInput): void {
    if (this.finished) return;
    const journalled = this.handlers.onEvent(event);
    if (!journalled) return;
    this.journalling.add(journalled);
    void journalled.finally(() => this.journalling.delete(journalled));
  }

  /** Resolves once the queue is through and what it reported is journalled, or after `ms`. */
  private async drain(ms = DRAIN_TIMEOUT_MS): Promise<void> {
    const done = this.queue.then(() => Promise.allSettled([...this.journalling])).then(() => undefined);
    await bounded(done, ms, undefined, new AbortController().signal);
  }

  private reportQr(code: string): void {
    if (this.finished || this.closing || this.stopping) return;
    // Baileys rotates to the next code after qrTimeout when one is configured, else after WhatsApp's lifetimes.
    const ttl = this.options.qrTimeoutMs ?? (this.qrCount === 0 ? FIRST_QR_TTL_MS : NEXT_QR_TTL_MS);
    this.qrCount += 1;
    this.handlers.onQr(code, ttl);
  }

  private reportOpen(): void {
    if (this.finished || this.closing || this.stopping) return;
    const account = accountFromCreds(this.options.auth.state.creds.me);
    if (!account) {
      this.log.error('WhatsApp opened the connection but the credentials name no account');
      return;
    }
    this.open = true;
    this.handlers.onOpen(account);
  }

  /** Runs on the queue, after every event before the close. */
  private async reportClose(info: CloseInfo): Promise<void> {
    if (this.finished) return;
    await Promise.allSettled([...this.journalling]);
    if (this.finished) return;
    this.finish();
    if (!this.stopping) this.handlers.onClose(info);
  }

  private finish(): void {
    this.finished = true;
    this.lifetime.abort();
    this.stopWatchdog();
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
    this.emit({ type: 'group', data });
  }

  private rememberGroup(group: GroupMetadata): void {
    this.groupMetadata.remember(group);
    this.subjects.set(group.id, group.subject);
  }

  private async refreshGroup(jid: string): Promise<void> {
    if (!this.socket || this.finished) return;
    const metadata = await bounded(this.socket.groupMetadata(jid), LOOKUP_TIMEOUT_MS, null, this.lifetime.signal);
    if (metadata) this.rememberGroup(metadata);
  }

  private context(): NormaliseContext {
    const me = this.options.auth.state.creds.me;
    const lidMapping = this.socket?.signalRepository.lidMapping;
    const { signal } = this.lifetime;
    return {
      ownJid: me?.id ? jidNormalizedUser(me.id) : null,
      ownLid: me?.lid ? jidNormalizedUser(me.lid) : null,
      phoneJidForLid: async (lid) => {
        if (!lidMapping || !isLidUser(lid)) return null;
        const pn = await bounded(lidMapping.getPNForLID(lid), LOOKUP_TIMEOUT_MS, null, signal);
        return pn ? jidNormalizedUser(pn) : null;
      },
      lidForPhoneJid: async (pn) => {
        if (!lidMapping) return null;
        const lid = await bounded(lidMapping.getLIDForPN(pn), LOOKUP_TIMEOUT_MS, null, signal);
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
    const metadata = await bounded(this.socket.groupMetadata(jid), LOOKUP_TIMEOUT_MS, null, this.lifetime.signal);
    if (!metadata) {
      this.groupFailures.set(jid, Date.now());
      return null;
    }
    this.rememberGroup(metadata);
    return metadata.subject;
  }

  async requestPairingCode(phoneDigits: string): Promise<string> {
    if (!this.socket || this.finished || this.stopping || this.closing) {
      throw new Error('The WhatsApp connection is closed; it cannot request a pairing code.');
    }
    return requestConfirmedPairingCode({
      socket: this.socket,
      browser: this.browser,
      phoneDigits: phoneDigits.replace(/\D/g, ''),
      replyTimeoutMs: this.options.pairingReplyTimeoutMs,
      abandon: this.lifetime.signal,
      logger: this.log,
    });
  }

  /**
   * Runs `work` on the open socket. When the socket closes under it (WhatsApp ended the stream a
   * moment before), Baileys' own error becomes `not_connected`, so the session can wait for the next
   * connection instead of the caller seeing an internal error.
   */
  private async connected<T>(work: (messenger: Messenger) => Promise<T>): Promise<T> {
    const notConnected = (): EngineRequestError =>
      new EngineRequestError(503, 'not_connected', 'WhatsApp is not connected. Try again when the add-on shows "connected".');
    if (!this.messenger) throw notConnected();
    try {
      return await work(this.messenger);
    } catch (err) {
      if (err instanceof EngineRequestError) throw err;
      if (this.closing || this.finished || this.stopping || isConnectionClosedError(err)) throw notConnected();
      throw err;
    }
  }

  send(message: OutgoingMessage): Promise<SentMessage> {
    return this.connected((messenger) => messenger.send(message));
  }

  edit(chat: string, messageId: string, text: string): Promise<void> {
    return this.connected((messenger) => messenger.edit(chat, messageId, text));
  }

  delete(chat: string, messageId: string): Promise<void> {
    return this.connected((messenger) => messenger.delete(chat, messageId));
  }

  markRead(chat: string, messageIds: string[]): Promise<void> {
    return this.connected((messenger) => messenger.markRead(chat, messageIds));
  }

  setPresence(chat: string, state: PresenceState): Promise<void> {
    return this.connected((messenger) => messenger.setPresence(chat, state));
  }

  groups(): Promise<GroupSummary[]> {
    return this.connected((messenger) => messenger.groups());
  }

  checkNumber(phoneDigits: string): Promise<NumberCheck> {
    return this.connected((messenger) => messenger.checkNumber(phoneDigits));
  }

  downloadMedia(messageId: string): Promise<{ data: Buffer; mimetype: string | null; filename: string | null } | null> {
    return this.connected((messenger) => messenger.downloadMedia(messageId));
  }

  /** Ends the socket; events already received are journalled before this resolves. */
  async close(): Promise<void> {
    this.stopping = true;
    this.stopWatchdog();
    if (this.socket) {
      // Baileys ignores a second end(). Ending first stops new input; the close handler then moves
      // what Baileys still buffers onto the queue.
      await this.socket.end(undefined);
      releasePendingWaits(this.socket);
    }
    await this.drain();
    this.finish();
  }

  async logout(): Promise<void> {
    if (!this.socket || this.finished || this.stopping) throw new Error('The WhatsApp connection is closed; it cannot log out.');
    this.stopping = true;
    try {
      const waitMs = this.options.logoutTimeoutMs ?? LOGOUT_TIMEOUT_MS;
      await withTimeout(this.socket.logout(), waitMs, () => new Error(`WhatsApp did not confirm the logout within ${Math.round(waitMs / 1000)} s`));
    } finally {
      // logout() only ends the socket after WhatsApp accepted the request.
      await this.socket.end(undefined);
      releasePendingWaits(this.socket);
      await this.drain();
      this.finish();
    }
  }
}

export class BaileysEngine implements Engine {
  readonly kind = 'baileys' as const;
  private readonly shared: SharedState;

  constructor(private readonly options: BaileysEngineOptions) {
    const fetchVersion = (options.fetchLatestVersion ?? false) && !options.waWebSocketUrl;
    this.shared = {
      caches: createSharedSocketCaches(),
      versions: new WaVersionSource({
        enabled: fetchVersion,
        fetcher: options.versionFetcher,
        timeoutMs: options.versionFetchTimeoutMs,
        logger: options.logger,
      }),
    };
  }

  isRegistered(): boolean {
    return this.options.auth.isRegistered();
  }

  connect(handlers: ConnectionHandlers): EngineConnection {
    return new BaileysConnection(this.options, this.shared, handlers);
  }

  async clearCredentials(): Promise<void> {
    // Retry counters and device lists belong to the account being forgotten.
    this.shared.caches.msgRetryCounter.flushAll();
    this.shared.caches.userDevices.flushAll();
    await this.options.auth.clear();
  }
}
