/**
 * The engine is the only part of the service that knows how WhatsApp is reached. Everything above it
 * (session state machine, journal, API) is shared by the real Baileys engine and the simulator.
 */
import type { JournalInput } from '../journal/types.js';

/** Baileys' DisconnectReason names, plus the two ways a pairing attempt can end on its own. */
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
  /** A normalised event to journal. The session serialises appends in call order. */
  onEvent(event: JournalInput): void;
}

export interface EngineConnection {
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
