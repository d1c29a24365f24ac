/**
 * One Baileys socket, from connect to close. It reports what happens (QR codes, open, close, the
 * events to journal) and never reconnects on its own: the session state machine decides.
 */
import { jidNormalizedUser, type WABrowserDescription, type WASocket, type WAVersion } from 'baileys';
import type { Logger } from 'pino';

import type { JournalInput } from '../journal/types.js';
import { BaileysMessenger } from './baileys-messenger.js';
import type { BaileysEngineOptions, SharedState } from './baileys-options.js';
import { endSocket, openBaileysSocket, releasePendingWaits } from './baileys-socket.js';
import { bounded, LOOKUP_TIMEOUT_MS, withTimeout } from './bounded.js';
import { StatusDeduplicator, UnreadTracker } from './chat-tracking.js';
import { ConnectionMessenger } from './connection-messenger.js';
import { closeInfoFromError } from './disconnect.js';
import type { DurableWrites } from './durable-writes.js';
import { OrderedEventQueue } from './event-queue.js';
import { GroupDirectory, type GroupMetadataLookup } from './group-directory.js';
import { phoneOfJid } from './jid-identities.js';
import { connectionNormaliseContext, type NormaliseContext } from './normalise-context.js';
import { companionBrowser, requestConfirmedPairingCode } from './pairing.js';
import { ServerAcks } from './server-acks.js';
import { journalIncomingEvents } from './socket-events.js';
import type { Account, CloseInfo, ConnectionHandlers, EngineConnection, Messenger } from './types.js';

/** WhatsApp's first QR code of a pairing lives about 60 s, each later one about 20 s. */
const FIRST_QR_TTL_MS = 60_000;
const NEXT_QR_TTL_MS = 20_000;
/** WhatsApp confirms an unlink within a second; Baileys itself would wait a minute on a dead network. */
const LOGOUT_TIMEOUT_MS = 5_000;
/** How long close() and logout() wait for events already received to be journalled. */
const DRAIN_TIMEOUT_MS = 10_000;

function accountFromCreds(me: { id: string; name?: string; verifiedName?: string } | undefined): Account | null {
  if (!me?.id) return null;
  const jid = jidNormalizedUser(me.id);
  const phone = phoneOfJid(jid);
  if (!phone) return null;
  const name = me.name && me.name !== '~' ? me.name : (me.verifiedName ?? null);
  return { jid, phone, name };
}

export class BaileysConnection extends ConnectionMessenger implements EngineConnection {
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
  private readonly queue: OrderedEventQueue;
  private readonly unread = new UnreadTracker();
  private readonly statuses = new StatusDeduplicator();
  private readonly serverAcks = new ServerAcks();
  private readonly knownGroups: GroupDirectory;
  /** Fires when the connection ends: look-ups and waits still running give up. */
  private readonly lifetime = new AbortController();
  private stopWatchdog: () => void = () => undefined;
  private normaliseContext: { me: unknown; socket: WASocket | null; context: NormaliseContext } | null = null;

  constructor(
    private readonly options: BaileysEngineOptions,
    private readonly shared: SharedState,
    private readonly handlers: ConnectionHandlers,
  ) {
    super();
    this.log = options.logger;
    this.browser = companionBrowser(options.deviceName);
    this.queue = new OrderedEventQueue(this.log);
    this.knownGroups = new GroupDirectory((jid) => this.askGroupMetadata(jid), options.groupMetadataTtlMs, shared.groupNames);
    if (shared.versions.enabled) void this.openWhenVersionKnown();
    else this.start(undefined);
  }

  private async openWhenVersionKnown(): Promise<void> {
    const version = await this.shared.versions.current();
    if (!this.stopping && !this.finished) this.start(version);
  }

  private start(version: WAVersion | undefined): void {
    try {
      const { socket, stopConnectWatchdog, writes } = openBaileysSocket({
        options: this.options,
        shared: this.shared,
        browser: this.browser,
        version,
        cachedGroupMetadata: (jid) => this.knownGroups.cachedMetadata(jid),
      });
      this.socket = socket;
      this.stopWatchdog = stopConnectWatchdog;
      this.listen(socket, writes);
      this.messenger = new BaileysMessenger({
        socket,
        messages: this.options.messages,
        logger: this.log,
        isOpen: () => this.open && !this.isEnding(),
        unreadKeys: (chat) => this.unread.take(chat),
        rememberGroup: (group) => this.knownGroups.remember(group),
        mediaReuploadTimeoutMs: this.options.mediaReuploadTimeoutMs,
        mediaDispatcher: this.options.mediaTransport?.dispatcher,
        serverAcks: this.serverAcks,
      });
    } catch (err) {
      // Reported asynchronously: callers must hold the connection object before any callback.
      const info = closeInfoFromError(err);
      setImmediate(() => this.queue.enqueue(async () => this.reportClose(info)));
    }
  }

  private listen(socket: WASocket, writes: DurableWrites): void {
    socket.ev.on('connection.update', (update) => {
      if (update.qr) this.reportQr(update.qr);
      if (update.connection === 'open') this.reportOpen();
      if (update.connection === 'close') this.onSocketClosed(socket, update.lastDisconnect?.error);
    });
    socket.ev.on('creds.update', () => {
      const saved = this.options.auth.saveCreds();
      // What Baileys sends next may rest on these credentials (a new pre-key id, the linked account).
      writes.track(saved);
      saved.catch((err: unknown) => {
        this.log.error({ err: (err as Error).message }, 'could not save WhatsApp credentials');
      });
    });
    journalIncomingEvents(socket, {
      queue: this.queue,
      journal: (event) => this.journal(event),
      context: () => this.context(),
      groups: this.knownGroups,
      messages: this.options.messages,
      unread: this.unread,
      statuses: this.statuses,
      serverAcks: this.serverAcks,
      logger: this.log,
    });
  }

  private onSocketClosed(socket: WASocket, error: unknown): void {
    this.closing = true;
    this.stopWatchdog();
    // Messages still in Baileys' buffer were decrypted and acknowledged to WhatsApp, which will
    // not send them again: they must reach the queue before Baileys destroys its event emitter.
    socket.ev.flush();
    releasePendingWaits(socket);
    const info = closeInfoFromError(error);
    if (info.reason === 'clientOutdated') this.shared.versions.forget();
    this.queue.enqueue(async () => this.reportClose(info));
  }

  private journal(event: JournalInput): void {
    if (this.finished) return;
    this.queue.track(this.handlers.onEvent(event));
  }

  private reportQr(code: string): void {
    if (this.isEnding()) return;
    // Baileys rotates to the next code after qrTimeout when one is configured, else after WhatsApp's lifetimes.
    const ttl = this.options.qrTimeoutMs ?? (this.qrCount === 0 ? FIRST_QR_TTL_MS : NEXT_QR_TTL_MS);
    this.qrCount += 1;
    this.handlers.onQr(code, ttl);
  }

  private reportOpen(): void {
    if (this.isEnding()) return;
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
    await this.queue.appended();
    if (this.finished) return;
    this.finish();
    if (!this.stopping) this.handlers.onClose(info);
  }

  private finish(): void {
    this.finished = true;
    this.lifetime.abort();
    this.stopWatchdog();
  }

  /** Undefined when WhatsApp cannot be asked: no socket yet, or the connection has ended. */
  private askGroupMetadata(jid: string): ReturnType<GroupMetadataLookup> {
    if (!this.socket || this.finished) return undefined;
    return bounded(this.socket.groupMetadata(jid), LOOKUP_TIMEOUT_MS, null, this.lifetime.signal);
  }

  /** Rebuilt only when the socket or the account changes (pairing names the account mid-connection). */
  private context(): NormaliseContext {
    const me = this.options.auth.state.creds.me;
    const cached = this.normaliseContext;
    if (cached && cached.me === me && cached.socket === this.socket) return cached.context;
    const context = this.makeContext(me);
    this.normaliseContext = { me, socket: this.socket, context };
    return context;
  }

  private makeContext(me: { id: string; lid?: string } | undefined): NormaliseContext {
    return connectionNormaliseContext({
      me,
      lidMapping: this.socket?.signalRepository.lidMapping,
      groupSubject: (jid) => this.knownGroups.subject(jid),
      messages: this.options.messages,
      logger: this.log,
      abandon: this.lifetime.signal,
    });
  }

  protected override currentMessenger(): Messenger | null {
    return this.messenger;
  }

  protected override isEnding(): boolean {
    return this.finished || this.closing || this.stopping;
  }

  async requestPairingCode(phoneDigits: string): Promise<string> {
    if (!this.socket || this.isEnding()) {
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

  /** Ends the socket; events already received are journalled before this resolves. */
  async close(): Promise<void> {
    this.stopping = true;
    this.stopWatchdog();
    // Ending first stops new input; the close handler then moves what Baileys still buffers onto the queue.
    if (this.socket) await endSocket(this.socket);
    await this.queue.drain(DRAIN_TIMEOUT_MS);
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
      await endSocket(this.socket);
      await this.queue.drain(DRAIN_TIMEOUT_MS);
      this.finish();
    }
  }
}
