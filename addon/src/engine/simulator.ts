/**
 * An in-process stand-in for WhatsApp's servers and the user's phone. It pairs through the same
 * credential store as Baileys (so a restart stays linked), rotates QR codes, turns injected messages
 * into real Baileys protobuf messages that go through the real normaliser, records what is sent and
 * can drop the connection with any DisconnectReason.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { WAMessage } from 'baileys';
import type { DurableAuthState } from '../auth/auth-store.js';
import type { MessageStore } from '../auth/message-store.js';
import { bareJid, jidToPhone } from '../util/phone.js';
import { reasonStatusCode } from './disconnect.js';
import { normaliseMessage, staticNormaliseContext, type NormaliseContext } from './normalise.js';
import type { Account, CloseInfo, ConnectionHandlers, DisconnectReasonName, Engine, EngineConnection } from './types.js';
import { buildIncomingMessage, type IncomingSpec } from './wa-message-builder.js';

export interface SimulatorTiming {
  /** Lifetime of the first QR code; WhatsApp gives about 60 s. */
  firstQrTtlMs: number;
  /** Lifetime of each later QR code; WhatsApp gives about 20 s. */
  nextQrTtlMs: number;
  /** QR codes shown before pairing gives up, as WhatsApp does. */
  qrCodes: number;
}

export const DEFAULT_SIMULATOR_TIMING: SimulatorTiming = { firstQrTtlMs: 60_000, nextQrTtlMs: 20_000, qrCodes: 6 };

export const DEFAULT_SIMULATED_PHONE = '+15550000001';

export class SimulatorStateError extends Error {}

const PAIRING_CODE_ALPHABET = '123456789ABCDEFGHJKLMNPQRSTVWXYZ';

class SimulatedConnection implements EngineConnection {
  private qrTimer: NodeJS.Timeout | null = null;
  private qrShown = 0;
  private openTimer: NodeJS.Timeout | null = null;
  closed = false;
  open = false;

  constructor(
    private readonly engine: SimulatorEngine,
    readonly handlers: ConnectionHandlers,
    private readonly timing: SimulatorTiming,
  ) {}

  begin(): void {
    // Asynchronous like a socket: callers always see the connection object before its first callback.
    this.openTimer = setTimeout(() => {
      this.openTimer = null;
      const account = this.engine.linkedAccount();
      if (account) {
        this.open = true;
        this.handlers.onOpen(account);
      } else {
        this.showNextQr();
      }
    }, 5);
  }

  get pairing(): boolean {
    return !this.closed && !this.open && this.qrShown > 0;
  }

  private showNextQr(): void {
    if (this.closed) return;
    if (this.qrShown >= this.timing.qrCodes) {
      this.drop({ reason: 'qrExpired', statusCode: reasonStatusCode('qrExpired'), message: 'QR refs attempts ended' });
      return;
    }
    const ttl = this.qrShown === 0 ? this.timing.firstQrTtlMs : this.timing.nextQrTtlMs;
    this.qrShown += 1;
    this.handlers.onQr(this.engine.qrCode(), ttl);
    this.qrTimer = setTimeout(() => this.showNextQr(), ttl);
  }

  async requestPairingCode(_phoneDigits: string): Promise<string> {
    if (this.closed || this.open) throw new SimulatorStateError('the connection is not pairing');
    const bytes = randomBytes(8);
    return Array.from(bytes, (b) => PAIRING_CODE_ALPHABET[b % PAIRING_CODE_ALPHABET.length]).join('');
  }

  /** Ends the connection from the server side: the session learns of it through onClose. */
  drop(info: CloseInfo): void {
    if (this.closed) return;
    this.stopTimers();
    this.closed = true;
    this.open = false;
    this.handlers.onClose(info);
  }

  async close(): Promise<void> {
    this.stopTimers();
    this.closed = true;
    this.open = false;
  }

  async logout(): Promise<void> {
    await this.close();
  }

  private stopTimers(): void {
    if (this.qrTimer) clearTimeout(this.qrTimer);
    if (this.openTimer) clearTimeout(this.openTimer);
    this.qrTimer = null;
    this.openTimer = null;
  }
}

export interface OutboxEntry {
  id: string;
  to: string;
  type: string;
  sent_at: string;
  [field: string]: unknown;
}

export class SimulatorEngine implements Engine {
  readonly kind = 'simulator' as const;
  private current: SimulatedConnection | null = null;
  private readonly outboxEntries: OutboxEntry[] = [];
  private readonly groupSubjects = new Map<string, string>();

  constructor(
    private readonly auth: DurableAuthState,
    private readonly messages: MessageStore,
    private readonly logger: Logger,
    private readonly timing: SimulatorTiming = DEFAULT_SIMULATOR_TIMING,
  ) {}

  isRegistered(): boolean {
    return this.auth.isRegistered();
  }

  connect(handlers: ConnectionHandlers): EngineConnection {
    if (this.current && !this.current.closed) void this.current.close();
    const connection = new SimulatedConnection(this, handlers, this.timing);
    this.current = connection;
    connection.begin();
    return connection;
  }

  async clearCredentials(): Promise<void> {
    await this.auth.clear();
  }

  linkedAccount(): Account | null {
    const me = this.auth.state.creds.me;
    if (!me?.id || !this.auth.isRegistered()) return null;
    const jid = bareJid(me.id);
    return { jid, phone: jidToPhone(jid) ?? '', name: me.name ?? null };
  }

  /** A QR payload shaped like WhatsApp's: a server ref plus this device's public keys. */
  qrCode(): string {
    const creds = this.auth.state.creds;
    return [
      `2@${randomBytes(24).toString('base64')}`,
      Buffer.from(creds.noiseKey.public).toString('base64'),
      Buffer.from(creds.signedIdentityKey.public).toString('base64'),
      creds.advSecretKey,
    ].join(',');
  }

  /** The phone scans the QR code (or confirms the pairing code): link it as WhatsApp does, then ask for a restart. */
  async scan(phoneE164: string, name: string | null = null): Promise<Account> {
    const connection = this.current;
    if (!connection || !connection.pairing) {
      throw new SimulatorStateError('There is no QR code to scan: the session is not pairing.');
    }
    const digits = phoneE164.replace(/\D/g, '');
    const creds = this.auth.state.creds;
    creds.me = { id: `${digits}:1@s.whatsapp.net`, name: name ?? undefined };
    creds.registered = true;
    await this.auth.saveCreds();
    // WhatsApp closes the pairing socket with 515 and expects a fresh login with the new credentials.
    connection.drop({ reason: 'restartRequired', statusCode: reasonStatusCode('restartRequired'), message: 'Stream Errored (restart required)' });
    return this.linkedAccount()!;
  }

  /** Deliver a message as WhatsApp would. Returns the message id. */
  async deliver(spec: IncomingSpec): Promise<string> {
    const connection = this.requireOpen();
    const account = this.linkedAccount()!;
    const message: WAMessage = buildIncomingMessage(spec, account.jid, {
      findMessage: (id, chat) => this.messages.get({ remoteJid: chat, id }),
    });
    this.messages.put(message);
    const data = await normaliseMessage(message, this.normaliseContext(account));
    if (data) connection.handlers.onEvent({ type: 'message', data });
    return message.key.id!;
  }

  setGroupSubject(jid: string, subject: string): void {
    this.groupSubjects.set(jid, subject);
  }

  /** WhatsApp drops the connection with the given reason. */
  disconnect(reason: DisconnectReasonName): void {
    const connection = this.current;
    if (!connection || connection.closed) throw new SimulatorStateError('There is no open connection to drop.');
    this.logger.info({ reason }, 'simulator: dropping the connection');
    connection.drop({ reason, statusCode: reasonStatusCode(reason), message: `simulated ${reason}` });
  }

  record(entry: Omit<OutboxEntry, 'sent_at'>): OutboxEntry {
    const recorded = { ...entry, sent_at: new Date().toISOString() } as OutboxEntry;
    this.outboxEntries.push(recorded);
    return recorded;
  }

  outbox(): OutboxEntry[] {
    return [...this.outboxEntries];
  }

  private requireOpen(): SimulatedConnection {
    const connection = this.current;
    if (!connection || connection.closed || !connection.open) {
      throw new SimulatorStateError('WhatsApp is not connected: scan the QR code first (POST /v1/simulator/scan).');
    }
    return connection;
  }

  private normaliseContext(account: Account): NormaliseContext {
    return staticNormaliseContext({
      ownJid: account.jid,
      groupSubjects: Object.fromEntries(this.groupSubjects),
      messageContent: (key) => this.messages.getMessageContent(key),
      logger: this.logger,
    });
  }
}
