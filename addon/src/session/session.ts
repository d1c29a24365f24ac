/**
 * The one WhatsApp session: a state machine over engine connections. It decides when to reconnect
 * (and when not to), journals every state change, and is the only writer of normalised events.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { EngineRequestError, type Account, type CloseInfo, type DisconnectReasonName, type Engine, type EngineConnection, type Messenger } from '../engine/types.js';
import { reconnectPolicy } from '../engine/disconnect.js';
import type { ConnectionState, JournalInput } from '../journal/types.js';
import { Backoff, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';

export interface QrView {
  code: string;
  expires_at: string;
}

export interface DisconnectView {
  reason: DisconnectReasonName;
  message: string;
  at: string;
}

export interface SessionView {
  state: ConnectionState;
  me: Account | null;
  qr: QrView | null;
  pairing_code: string | null;
  last_disconnect: DisconnectView | null;
  since: string;
}

export interface ReconnectPlan {
  delayMs: number;
  at: number;
}

export type JournalAppend = (event: JournalInput) => Promise<unknown>;

export class SessionError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

interface SessionOptions {
  engine: Engine;
  append: JournalAppend;
  logger: Logger;
  backoff?: BackoffOptions;
  random?: () => number;
  /** How long a pairing-code request waits for the socket to be ready for it. */
  pairingReadyTimeoutMs?: number;
}

export class Session extends EventEmitter<{ change: [SessionView] }> {
  private readonly engine: Engine;
  private readonly append: JournalAppend;
  private readonly logger: Logger;
  private readonly backoff: Backoff;
  private readonly pairingReadyTimeoutMs: number;
  private readonly random: () => number;

  private connection: EngineConnection | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private reconnectPlan: ReconnectPlan | null = null;
  private openedAt: number | null = null;
  private stopped = true;
  private everConnected = false;
  /**
   * Requests waiting for a state (a send during a reconnect). Kept apart from the 'change'
   * listeners: a burst of waiting sends made Node warn of an emitter leak.
   */
  private readonly waiters = new Set<(view: SessionView) => void>();

  private view: SessionView = {
    state: 'starting',
    me: null,
    qr: null,
    pairing_code: null,
    last_disconnect: null,
    since: new Date().toISOString(),
  };

  constructor(options: SessionOptions) {
    super();
    this.engine = options.engine;
    this.append = options.append;
    this.logger = options.logger;
    this.random = options.random ?? Math.random;
    this.backoff = new Backoff(options.backoff ?? DEFAULT_BACKOFF, this.random);
    this.pairingReadyTimeoutMs = options.pairingReadyTimeoutMs ?? 15_000;
  }

  snapshot(): SessionView {
    return { ...this.view };
  }

  /** Why the session starts as it does (say, damaged credentials), shown as last_disconnect until the next one. */
  noteStartupProblem(reason: DisconnectReasonName, message: string): void {
    this.view.last_disconnect = { reason, message, at: new Date().toISOString() };
  }

  get state(): ConnectionState {
    return this.view.state;
  }

  /** The automatic reconnect waiting to happen, if any: its pause and when it ends (epoch ms). */
  get scheduledReconnect(): ReconnectPlan | null {
    return this.reconnectPlan ? { ...this.reconnectPlan } : null;
  }

  start(): void {
    this.stopped = false;
    this.connect('starting');
  }

  /** Close the socket without unlinking the device; nothing reconnects afterwards. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.clearReconnectTimer();
    const connection = this.connection;
    this.connection = null;
    if (connection) await connection.close();
  }

  /** Drop and re-open the socket, keeping credentials. Also leaves `logged_out` to pair anew. */
  async restart(): Promise<void> {
    await this.stop();
    this.backoff.reset();
    this.stopped = false;
    this.connect('starting');
  }

  /** Unlink this device, wipe its credentials and start a fresh pairing. */
  async logout(): Promise<void> {
    this.stopped = true;
    this.clearReconnectTimer();
    const connection = this.connection;
    this.connection = null;
    if (connection) {
      try {
        if (this.view.state === 'connected') await connection.logout();
      } catch (err) {
        this.logger.warn({ err: (err as Error).message }, 'WhatsApp did not confirm the logout; wiping credentials anyway');
      }
      await connection.close();
    }
    await this.engine.clearCredentials();
    this.view.me = null;
    this.everConnected = false;
    this.view.last_disconnect = { reason: 'loggedOut', message: 'Logged out on request.', at: new Date().toISOString() };
    this.backoff.reset();
    this.stopped = false;
    this.connect('starting', 'loggedOut');
  }

  /** Link by typing a code on the phone instead of scanning the QR code. */
  async requestPairingCode(phoneDigits: string): Promise<string> {
    // With credentials the connection opens without pairing (also while reconnecting or stopped),
    // so waiting for a pairing state would only time out.
    if (this.view.state === 'connected' || this.engine.isRegistered()) {
      throw new SessionError('already_linked', 'This add-on is already linked to a WhatsApp account. Log out first to link another one.', 409);
    }
    if (this.view.state !== 'pairing') {
      if (this.view.state === 'logged_out' || this.stopped || this.connection === null) await this.restart();
      await this.waitForState('pairing', this.pairingReadyTimeoutMs);
    }
    const connection = this.connection;
    if (!connection) throw new SessionError('not_ready', 'The WhatsApp connection is not ready for pairing yet. Try again in a few seconds.', 503);
    const code = await connection.requestPairingCode(phoneDigits);
    this.update({ pairing_code: code });
    return code;
  }

  /**
   * The open connection, for sending. Waits through `starting`/`reconnecting` for up to `waitMs`;
   * fails at once when no account is linked, because waiting would not help.
   */
  async messenger(waitMs: number): Promise<Messenger> {
    const deadline = Date.now() + waitMs;
    await this.connectedWithin(waitMs);
    return this.messengerUntil(deadline);
  }

  private async connectedWithin(waitMs: number): Promise<EngineConnection> {
    if (this.view.state !== 'connected') {
      if (this.view.state === 'pairing' || this.view.state === 'logged_out' || this.stopped) {
        throw new SessionError('not_connected', 'WhatsApp is not linked. Link the add-on to your phone first (scan the QR code in Home Assistant).', 503);
      }
      try {
        await this.waitForState('connected', waitMs);
      } catch {
        throw new SessionError(
          'not_connected',
          `WhatsApp did not reconnect within ${Math.round(waitMs / 1000)} s (state: ${this.view.state}). The message was not sent; try again later.`,
          503,
        );
      }
    }
    if (!this.connection) {
      throw new SessionError('not_connected', 'WhatsApp is not connected. The message was not sent; try again later.', 503);
    }
    return this.connection;
  }

  /**
   * A messenger that survives the connection dropping under a request: when WhatsApp ends the
   * stream just as a request goes out (the engine reports `not_connected`; nothing was written),
   * the request waits for the next connection, until `deadline`, and is made once more there.
   */
  private messengerUntil(deadline: number): Messenger {
    const call = <T>(work: (messenger: Messenger) => Promise<T>): Promise<T> => this.onConnection(work, deadline);
    return {
      send: (message) => call((m) => m.send(message)),
      edit: (chat, messageId, text) => call((m) => m.edit(chat, messageId, text)),
      delete: (chat, messageId) => call((m) => m.delete(chat, messageId)),
      markRead: (chat, messageIds) => call((m) => m.markRead(chat, messageIds)),
      setPresence: (chat, state) => call((m) => m.setPresence(chat, state)),
      groups: () => call((m) => m.groups()),
      checkNumber: (phoneDigits) => call((m) => m.checkNumber(phoneDigits)),
      downloadMedia: (messageId) => call((m) => m.downloadMedia(messageId)),
    };
  }

  private async onConnection<T>(work: (messenger: Messenger) => Promise<T>, deadline: number): Promise<T> {
    const first = await this.connectedWithin(Math.max(0, deadline - Date.now()));
    try {
      return await work(first);
    } catch (err) {
      if (!(err instanceof EngineRequestError && err.code === 'not_connected') || this.stopped) throw err;
      this.logger.info('the WhatsApp connection closed under a request; waiting for the next one');
    }
    // The dying connection may still be the current one for a moment: wait until it is replaced.
    await this.waitUntil((view) => view.state === 'connected' && this.connection !== null && this.connection !== first, deadline);
    return work(await this.connectedWithin(0));
  }

  /** Resolves once `accept` takes the view; fails at the deadline, or at once when no reconnect will come. */
  private waitUntil(accept: (view: SessionView) => boolean, deadline: number): Promise<void> {
    if (accept(this.view)) return Promise.resolve();
    const notConnected = (): SessionError =>
      new SessionError('not_connected', `WhatsApp is not connected (state: ${this.view.state}). The message was not sent; try again later.`, 503);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(listener);
        reject(notConnected());
      }, Math.max(0, deadline - Date.now()));
      const listener = (view: SessionView): void => {
        const hopeless = view.state === 'logged_out' || view.state === 'pairing';
        if (!accept(view) && !hopeless) return;
        clearTimeout(timer);
        this.waiters.delete(listener);
        if (hopeless) reject(notConnected());
        else resolve();
      };
      this.waiters.add(listener);
    });
  }

  private waitForState(state: ConnectionState, timeoutMs: number): Promise<void> {
    if (this.view.state === state) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(listener);
        reject(new SessionError('not_ready', 'WhatsApp did not become ready for pairing in time. Try again in a minute.', 503));
      }, timeoutMs);
      const listener = (view: SessionView): void => {
        if (view.state !== state) return;
        clearTimeout(timer);
        this.waiters.delete(listener);
        resolve();
      };
      this.waiters.add(listener);
    });
  }

  private connect(state: ConnectionState, reason: string | null = null): void {
    this.clearReconnectTimer();
    this.setState(state, reason, { qr: null, pairing_code: null });
    this.openedAt = null;
    const connection = this.engine.connect({
      onQr: (code, ttlMs) => {
        if (this.connection !== connection) return;
        this.setState('pairing', null, {
          qr: { code, expires_at: new Date(Date.now() + ttlMs).toISOString() },
        });
      },
      onOpen: (account) => {
        if (this.connection !== connection) return;
        this.openedAt = Date.now();
        this.everConnected = true;
        this.logger.info('WhatsApp connected');
        this.setState('connected', null, { me: account, qr: null, pairing_code: null });
      },
      onClose: (info) => {
        if (this.connection !== connection) return;
        this.connection = null;
        void this.handleClose(info);
      },
      onEvent: (event) =>
        this.append(event).then(
          () => true,
          (err: unknown) => {
            this.logger.error({ err: (err as Error).message, type: event.type }, 'could not journal an event');
            return false;
          },
        ),
    });
    this.connection = connection;
  }

  private async handleClose(info: CloseInfo): Promise<void> {
    const upFor = this.openedAt === null ? 0 : Date.now() - this.openedAt;
    this.openedAt = null;
    this.backoff.connectionEnded(upFor);
    const policy = reconnectPolicy(info.reason);
    this.view.last_disconnect = { reason: info.reason, message: policy.explanation, at: new Date().toISOString() };
    this.logger.info({ reason: info.reason, statusCode: info.statusCode, action: policy.action }, 'WhatsApp connection closed');
    if (this.stopped) return;

    if (policy.wipeCredentials) {
      await this.engine.clearCredentials();
      this.view.me = null;
      this.everConnected = false;
    }
    switch (policy.action) {
      case 'reconnect-now':
        this.connect(this.everConnected ? 'reconnecting' : 'starting', info.reason);
        return;
      case 'reconnect-backoff': {
        const delay = this.backoff.nextDelayMs();
        this.logger.info({ delayMs: delay, attempt: this.backoff.attempts }, 'reconnecting to WhatsApp after a pause');
        this.scheduleReconnect(delay, info.reason);
        this.setState('reconnecting', info.reason, { qr: null, pairing_code: null });
        return;
      }
      case 'reconnect-later': {
        // Spread over ±20 % so the add-ons WhatsApp refused at the same moment do not return together.
        const base = policy.delayMs ?? this.backoff.nextDelayMs();
        const delay = Math.round(base * (0.8 + 0.4 * this.random()));
        this.logger.warn({ delayMs: delay, reason: info.reason }, 'WhatsApp refused this client; trying again much later');
        this.scheduleReconnect(delay, info.reason);
        this.setState('reconnecting', info.reason, { qr: null, pairing_code: null });
        return;
      }
      case 'logged-out':
      case 'stop':
        this.setState('logged_out', info.reason, { qr: null, pairing_code: null });
        return;
    }
  }

  private scheduleReconnect(delayMs: number, reason: DisconnectReasonName): void {
    this.clearReconnectTimer();
    this.reconnectPlan = { delayMs, at: Date.now() + delayMs };
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.reconnectPlan = null;
      if (!this.stopped) this.connect('reconnecting', reason);
    }, delayMs);
  }

  private clearReconnectTimer(): void {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.reconnectPlan = null;
  }

  private setState(state: ConnectionState, reason: string | null, patch: Partial<SessionView> = {}): void {
    const changed = state !== this.view.state;
    this.view = { ...this.view, ...patch, state, since: changed ? new Date().toISOString() : this.view.since };
    if (changed) {
      this.append({ type: 'connection', data: { state, reason } }).catch((err: unknown) => {
        this.logger.error({ err: (err as Error).message }, 'could not journal a connection change');
      });
    }
    this.changed();
  }

  private changed(): void {
    const view = this.snapshot();
    for (const waiter of [...this.waiters]) waiter(view);
    this.emit('change', view);
  }

  private update(patch: Partial<SessionView>): void {
    this.view = { ...this.view, ...patch };
    this.changed();
  }
}
