/**
 * The engine is the only part of the service that knows how WhatsApp is reached. Everything above it
 * (session state machine, journal, API) is shared by the real Baileys engine and the simulator.
 */
import type { JournalInput } from '../journal/types.js';

/**
 * Baileys' DisconnectReason names, plus the two ways a pairing attempt can end on its own and
 * `clientOutdated`: WhatsApp refused the client version (`<failure reason="405">`).
 */
export type DisconnectReasonName =
  | 'connectionClosed'
  | 'connectionLost'
  | 'connectionReplaced'
  | 'timedOut'
  | 'loggedOut'
  | 'badSession'
  | 'restartRequired'
  | 'multideviceMismatch'
  | 'forbidden'
  | 'unavailableService'
  | 'qrExpired'
  | 'clientOutdated'
  | 'unknown';

export interface Account {
  /** The phone-number jid of the linked account, without device suffix: `15550000001@s.whatsapp.net`. */
  jid: string;
  /** E.164: `+15550000001`. */
  phone: string;
  name: string | null;
}

export interface CloseInfo {
  reason: DisconnectReasonName;
  /** The numeric status code WhatsApp/Baileys reported, when there was one. */
  statusCode: number | null;
  message: string;
}

export interface ConnectionHandlers {
  /** A (new) QR code to show; called again each time it rotates. */
  onQr(code: string, ttlMs: number): void;
  onOpen(account: Account): void;
  /** The connection is gone. Called exactly once per connection, after which it is dead. */
  onClose(info: CloseInfo): void;
  /**
   * A normalised event to journal. The session serialises appends in call order. The session's
   * handler resolves once the event is durably journalled (false when it could not be; never
   * rejects), so an engine can hold WhatsApp's acknowledgement until then.
   */
  onEvent(event: JournalInput): Promise<boolean> | void;
}

/** A connection to WhatsApp; sending works once it is open. */
export interface EngineConnection extends Messenger {
  /** Ask WhatsApp for an 8-character code to type on the phone instead of scanning the QR. */
  requestPairingCode(phoneDigits: string): Promise<string>;
  /** End the socket without unlinking the device. Does not call onClose. */
  close(): Promise<void>;
  /** Unlink the device on WhatsApp's side. Does not call onClose. */
  logout(): Promise<void>;
}

export interface Engine {
  readonly kind: 'baileys' | 'simulator';
  /** Whether the credential store holds a linked account (so connecting will not need pairing). */
  isRegistered(): boolean;
  connect(handlers: ConnectionHandlers): EngineConnection;
  /** Forget the linked account: wipe credentials and keys. */
  clearCredentials(): Promise<void>;
}

/** WhatsApp (or the simulator) refused a request for a reason the caller can act on. */
export class EngineRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A message to send, already validated; recipients are jids. */
export type OutgoingContent =
  | { type: 'text'; text: string }
  | {
      type: 'image' | 'video' | 'audio' | 'document' | 'sticker';
      media: OutgoingMedia;
      caption: string | null;
      filename: string | null;
      /** Audio only: send as a voice note (push-to-talk). */
      voice: boolean;
    }
  | { type: 'location'; latitude: number; longitude: number; name: string | null; address: string | null }
  | { type: 'contact'; name: string; phone: string }
  | { type: 'poll'; question: string; options: string[]; multiple: boolean }
  | { type: 'reaction'; messageId: string; emoji: string };

export type OutgoingType = OutgoingContent['type'];

export interface OutgoingMedia {
  /** The bytes to send. */
  path: string;
  mimetype: string;
  size: number;
}

export interface OutgoingMessage {
  to: string;
  content: OutgoingContent;
  /** Message id this one replies to (quotes). */
  replyTo: string | null;
  /** Mentioned users as jids. */
  mentions: string[];
}

export interface SentMessage {
  id: string;
  /** The jid it went to. */
  to: string;
  /** ISO 8601. */
  timestamp: string;
}

export type PresenceState = 'composing' | 'recording' | 'paused' | 'available' | 'unavailable';

export interface GroupSummary {
  jid: string;
  subject: string;
  participants: number;
  announce: boolean;
  restrict: boolean;
  owner: string | null;
  description: string | null;
  created: string | null;
}

export interface NumberCheck {
  exists: boolean;
  jid: string | null;
}

/** What can be done over an open connection. Every call needs the state to be `connected`. */
export interface Messenger {
  send(message: OutgoingMessage): Promise<SentMessage>;
  edit(chat: string, messageId: string, text: string): Promise<void>;
  delete(chat: string, messageId: string): Promise<void>;
  markRead(chat: string, messageIds: string[]): Promise<void>;
  setPresence(chat: string, state: PresenceState): Promise<void>;
  groups(): Promise<GroupSummary[]>;
  checkNumber(phoneDigits: string): Promise<NumberCheck>;
  /** Download and decrypt the media of a received message; null when the message is unknown or has none. */
  downloadMedia(messageId: string): Promise<{ data: Buffer; mimetype: string | null; filename: string | null } | null>;
}
