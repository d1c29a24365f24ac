/**
 * An in-process stand-in for WhatsApp's servers and the user's phone. It pairs through the same
 * credential store as Baileys (so a restart stays linked), rotates QR codes, turns injected messages
 * into real Baileys protobuf messages that go through the real normaliser, records what is sent and
 * can drop the connection with any DisconnectReason.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { WAMessage } from 'baileys';
import type { DurableAuthState } from '../auth/auth-store.js';
import type { MessageStore } from '../auth/message-store.js';
import { bareJid, jidToPhone } from '../util/phone.js';
import { reasonStatusCode } from './disconnect.js';
import { normaliseMessage, staticNormaliseContext, type NormaliseContext } from './normalise.js';
import {
  EngineRequestError,
  type Account,
  type CloseInfo,
  type ConnectionHandlers,
  type DisconnectReasonName,
  type Engine,
  type EngineConnection,
  type GroupSummary,
  type NumberCheck,
  type OutgoingContent,
  type OutgoingMessage,
  type PresenceState,
  type SentMessage,
} from './types.js';
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

  private requireOpen(): void {
    if (this.closed || !this.open) throw new EngineRequestError(503, 'not_connected', 'WhatsApp is not connected. Try again when the add-on shows "connected".');
  }

  async send(message: OutgoingMessage): Promise<SentMessage> {
    this.requireOpen();
    const id = newMessageId();
    const entry = this.engine.record({
      id,
      to: message.to,
      type: message.content.type,
      ...(await outboxFields(message.content)),
      reply_to: message.replyTo,
      mentions: message.mentions,
    });
    this.reportStatus(id, message.to, 'sent', 0);
    this.reportStatus(id, message.to, 'delivered', 30);
    return { id, to: message.to, timestamp: entry.sent_at };
  }

  async edit(chat: string, messageId: string, text: string): Promise<void> {
    this.requireOpen();
    this.engine.requireSent(chat, messageId);
    this.engine.record({ id: newMessageId(), to: chat, type: 'edit', message_id: messageId, text });
  }

  async delete(chat: string, messageId: string): Promise<void> {
    this.requireOpen();
    this.engine.requireSent(chat, messageId);
    this.engine.record({ id: newMessageId(), to: chat, type: 'delete', message_id: messageId });
  }

  async markRead(chat: string, messageIds: string[]): Promise<void> {
    this.requireOpen();
    this.engine.record({ id: newMessageId(), to: chat, type: 'read', message_ids: messageIds });
  }

  async setPresence(chat: string, state: PresenceState): Promise<void> {
    this.requireOpen();
    this.engine.record({ id: newMessageId(), to: chat, type: 'presence', state });
  }

  async groups(): Promise<GroupSummary[]> {
    this.requireOpen();
    return this.engine.groupList();
  }

  async checkNumber(phoneDigits: string): Promise<NumberCheck> {
    this.requireOpen();
    // Simulated rule, documented for tests and demos: numbers ending in 0000 are not on WhatsApp.
    const exists = !phoneDigits.endsWith('0000');
    return { exists, jid: exists ? `${phoneDigits}@s.whatsapp.net` : null };
  }

  async downloadMedia(messageId: string): Promise<{ data: Buffer; mimetype: string | null; filename: string | null } | null> {
    this.requireOpen();
    return this.engine.receivedMedia(messageId);
  }

  private reportStatus(id: string, chat: string, status: 'sent' | 'delivered', afterMs: number): void {
    setTimeout(() => {
      if (!this.closed) this.handlers.onEvent({ type: 'message_status', data: { id, chat, status } });
    }, afterMs).unref();
  }

  private stopTimers(): void {
    if (this.qrTimer) clearTimeout(this.qrTimer);
    if (this.openTimer) clearTimeout(this.openTimer);
    this.qrTimer = null;
    this.openTimer = null;
  }
}

function newMessageId(): string {
  return `3EB0${randomBytes(9).toString('hex').toUpperCase()}`;
}

/** What the outbox shows of a message: its content, and for media a digest of the bytes sent. */
async function outboxFields(content: OutgoingContent): Promise<Record<string, unknown>> {
  switch (content.type) {
    case 'text':
      return { text: content.text };
    case 'location':
      return { latitude: content.latitude, longitude: content.longitude, name: content.name, address: content.address };
    case 'contact':
      return { name: content.name, phone: content.phone };
    case 'poll':
      return { question: content.question, options: content.options, multiple: content.multiple };
    case 'reaction':
      return { message_id: content.messageId, emoji: content.emoji };
    default: {
      const bytes = await readFile(content.media.path);
      return {
        caption: content.caption,
        filename: content.filename,
        voice: content.voice,
        mimetype: content.media.mimetype,
        size: bytes.length,
        sha256: createHash('sha256').update(bytes).digest('hex'),
      };
    }
  }
}

const SEEDED_GROUPS: ReadonlyArray<{ jid: string; subject: string; participants: number }> = [
  { jid: '120363000000000001@g.us', subject: 'Family', participants: 4 },
  { jid: '120363000000000002@g.us', subject: 'Neighbours', participants: 12 },
];

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
  private readonly groupSubjects = new Map<string, string>(SEEDED_GROUPS.map((g) => [g.jid, g.subject]));

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

  /** Deliver a message as WhatsApp would. Returns the message id once the add-on has journalled it. */
  async deliver(spec: IncomingSpec): Promise<string> {
    const connection = this.requireOpen();
    const account = this.linkedAccount()!;
    const message: WAMessage = buildIncomingMessage(spec, account.jid, {
      findMessage: (id, chat) => this.messages.get({ remoteJid: chat, id }),
    });
    this.messages.put(message);
    if (spec.chat && !this.groupSubjects.has(spec.chat)) this.groupSubjects.set(spec.chat, `Group ${spec.chat.slice(-8, -5)}`);
    const data = await normaliseMessage(message, this.normaliseContext(account));
    // WhatsApp keeps a message until the device acknowledges it, so the answer (the acknowledgement)
    // waits until the message is durably journalled: a crash before that must not lose it.
    if (data && (await connection.handlers.onEvent({ type: 'message', data })) === false) {
      throw new Error('the message could not be journalled');
    }
    return message.key.id!;
  }

  groupList(): GroupSummary[] {
    return [...this.groupSubjects].map(([jid, subject]) => ({
      jid,
      subject,
      participants: SEEDED_GROUPS.find((g) => g.jid === jid)?.participants ?? 2,
      announce: false,
      restrict: false,
      owner: null,
      description: null,
      created: null,
    }));
  }

  /** Edits and deletes only work on our own messages, as on WhatsApp. */
  requireSent(chat: string, messageId: string): void {
    const sent = this.outboxEntries.some((e) => e.id === messageId && e.to === chat);
    if (!sent) {
      throw new EngineRequestError(404, 'message_not_found', `No message ${messageId} was sent to that chat: only your own messages can be edited or deleted.`);
    }
  }

  /** Bytes for a received media message, standing in for WhatsApp's encrypted media download. */
  async receivedMedia(messageId: string): Promise<{ data: Buffer; mimetype: string | null; filename: string | null } | null> {
    const message = this.messages.get({ id: messageId });
    const account = this.linkedAccount();
    if (!message || !account) return null;
    const data = await normaliseMessage(message, this.normaliseContext(account));
    if (!data?.media) return null;
    const size = Math.min(data.media.size ?? 1024, 8 * 1024 * 1024);
    const seed = createHash('sha256').update(messageId).digest();
    const bytes = Buffer.alloc(size);
    for (let i = 0; i < size; i += seed.length) seed.copy(bytes, i);
    return { data: bytes, mimetype: data.media.mimetype, filename: data.media.filename };
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
