/**
 * The fake WhatsApp network: WhatsApp's side of the wire, for tests, benchmarks and the offline demo.
 * Selected only by WA_ENGINE=simulator. These are the seams between its parts: the transport and
 * login (server), the phone that pairs, the contacts that are real Signal peers, groups and media.
 */
import type { BinaryNode } from 'baileys';

/** One companion (linked-device) connection, as the fake server sees it after the Noise handshake. */
export interface CompanionLink {
  /** `digits:device@s.whatsapp.net` once logged in (or paired); null while unpaired. */
  readonly deviceJid: string | null;
  /** `lid:device@lid` once logged in; null while unpaired. */
  readonly lidDeviceJid: string | null;
  readonly closed: boolean;
  /** Encrypts and writes one stanza. Ignored once closed. */
  send(node: BinaryNode): void;
  /** Sends an iq (an id is assigned when absent) and resolves with the client's reply stanza. */
  query(node: BinaryNode, timeoutMs?: number): Promise<BinaryNode>;
  /** Ends the stream as WhatsApp does: `last` (a `<stream:error>` or `<failure>`) is written first. */
  terminate(last?: BinaryNode): void;
}

/**
 * Handles one stanza a client sent. Returns true when it handled it. An iq that no handler takes is
 * answered with `<error code="501">`; anything else unhandled is acknowledged and logged.
 */
export type StanzaHandler = (node: BinaryNode, link: CompanionLink) => boolean | Promise<boolean>;

export interface StanzaRouter {
  /** Handlers are asked in registration order. */
  on(handler: StanzaHandler): void;
}

/** The Signal material a linked companion uploaded at login: what a contact needs to start a session. */
export interface UploadedBundle {
  registrationId: number;
  identityKey: Uint8Array;
  signedPreKey: { keyId: number; publicKey: Uint8Array; signature: Uint8Array };
  /** Unused one-time pre-keys; a contact takes (and removes) one per new session. */
  preKeys: Array<{ keyId: number; publicKey: Uint8Array }>;
}

/** A linked account, as WhatsApp's servers remember it. */
export interface LinkedAccount {
  /** Digits of the phone number, e.g. `15550000001`. */
  phone: string;
  /** The account's LID user, digits only. */
  lid: string;
  /** The companion's device number (1 or more). */
  device: number;
  pushName: string | null;
}
