/**
 * The people on the fake network: each contact has a phone number, a LID and one Signal peer per
 * device. Anyone can be written to (WhatsApp numbers are looked up on demand), except numbers
 * ending in 0000, which are documented as "not on WhatsApp" for tests and demos.
 *
 * The book is saved as one JSON file, replaced atomically after every change of Signal state, so
 * a restarted network continues the same sessions (the next message is a `msg`, not a `pkmsg`).
 */
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import { BufferJSON, jidDecode } from 'baileys';

import { readFileIfExists, writeFileAtomic } from '../util/atomic-file.js';
import { SignalPeer, type SignalPeerSnapshot } from './signal-peer.js';

export type Addressing = 'lid' | 'pn';

export interface ContactProfile {
  /** Digits only. */
  phone: string;
  /** LID user, digits only. */
  lid: string;
  name: string;
}

/** Contacts every network starts with (they are also the seeded groups' members). */
export const SEEDED_CONTACTS: readonly ContactProfile[] = [
  { phone: '4917612345678', lid: '123456789012345', name: 'Alice' },
  { phone: '447700900123', lid: '222222222222222', name: 'Bob' },
  { phone: '15550000002', lid: '333333333333333', name: 'Carol' },
  { phone: '15550000003', lid: '444444444444444', name: 'Dave' },
];

const BOOK_FILE = 'contacts.json';
const BOOK_VERSION = 1;

export class Contact {
  constructor(
    readonly profile: ContactProfile,
    private readonly peers: Map<number, SignalPeer>,
  ) {}

  get phone(): string {
    return this.profile.phone;
  }

  get lid(): string {
    return this.profile.lid;
  }

  get name(): string {
    return this.profile.name;
  }

  get pnJid(): string {
    return `${this.phone}@s.whatsapp.net`;
  }

  get lidJid(): string {
    return `${this.lid}@lid`;
  }

  /** The user jid in the given addressing mode. */
  userJid(addressing: Addressing): string {
    return addressing === 'lid' ? this.lidJid : this.pnJid;
  }

  /** A device's jid as WhatsApp writes it (device 0 carries no suffix). */
  deviceJid(device: number, addressing: Addressing): string {
    const user = addressing === 'lid' ? this.lid : this.phone;
    const server = addressing === 'lid' ? 'lid' : 's.whatsapp.net';
    return device === 0 ? `${user}@${server}` : `${user}:${device}@${server}`;
  }

  /** Device numbers, primary (0) first. */
  devices(): number[] {
    return [...this.peers.keys()].sort((a, b) => a - b);
  }

  hasDevice(device: number): boolean {
    return this.peers.has(device);
  }

  /** The device's Signal peer; a companion device (non-zero) is linked on first use. */
  device(device = 0): SignalPeer {
    let peer = this.peers.get(device);
    if (!peer) {
      peer = SignalPeer.create();
      this.peers.set(device, peer);
    }
    return peer;
  }

  /** True when `jid` (any device, either addressing mode) names this contact. */
  owns(jid: string): boolean {
    const decoded = jidDecode(jid);
    if (!decoded?.user) return false;
    if (decoded.server === 'lid') return decoded.user === this.lid;
    return decoded.server === 's.whatsapp.net' && decoded.user === this.phone;
  }

  snapshot(): { profile: ContactProfile; devices: Record<string, SignalPeerSnapshot> } {
    const devices: Record<string, SignalPeerSnapshot> = {};
    for (const [device, peer] of this.peers) devices[device.toString()] = peer.snapshot();
    return { profile: { ...this.profile }, devices };
  }
}

/** A stable LID for a number that is not seeded, so the same person keeps the same LID across restarts. */
export function lidForPhone(phone: string): string {
  const digest = createHash('sha256').update(`lid:${phone}`).digest();
  const digits = Array.from(digest.subarray(0, 14), (byte) => (byte % 10).toString()).join('');
  return `1${digits}`;
}

/** Numbers ending in 0000 are not on WhatsApp (a rule tests and demos rely on). */
export function isOnWhatsApp(phone: string): boolean {
  return /^\d{6,15}$/.test(phone) && !phone.endsWith('0000');
}

interface BookFile {
  version: number;
  contacts: Array<ReturnType<Contact['snapshot']>>;
}

export class ContactBook {
  private readonly contacts: Contact[] = [];
  private writing: Promise<void> | null = null;
  private pendingWrite: Promise<void> | null = null;

  private constructor(private readonly dir: string | null) {}

  /** Opens the book saved in `dir` (memory only when null), seeding the standard contacts. */
  static async open(dir: string | null, seeds: readonly ContactProfile[] = SEEDED_CONTACTS): Promise<ContactBook> {
    const book = new ContactBook(dir);
    const saved = dir ? await readFileIfExists(join(dir, BOOK_FILE)) : undefined;
    if (saved) {
      const file = JSON.parse(saved.toString('utf8'), BufferJSON.reviver) as BookFile;
      if (file.version === BOOK_VERSION) {
        for (const entry of file.contacts) {
          const peers = new Map<number, SignalPeer>();
          for (const [device, snapshot] of Object.entries(entry.devices)) peers.set(Number(device), SignalPeer.restore(snapshot));
          book.contacts.push(new Contact(entry.profile, peers));
        }
      }
    }
    for (const seed of seeds) if (!book.byPhone(seed.phone)) book.add(seed);
    return book;
  }

  all(): readonly Contact[] {
    return this.contacts;
  }

  byPhone(phone: string): Contact | undefined {
    return this.contacts.find((contact) => contact.phone === phone);
  }

  /** The contact a jid (PN or LID, any device) or a phone number (`+…` or digits) names. */
  find(jidOrPhone: string): Contact | undefined {
    if (!jidOrPhone.includes('@')) return this.byPhone(jidOrPhone.replace(/\D/g, ''));
    return this.contacts.find((contact) => contact.owns(jidOrPhone));
  }

  /** Like `find`, but a phone number (or PN jid) that is on WhatsApp becomes a contact on first use. */
  resolve(jidOrPhone: string): Contact | undefined {
    const known = this.find(jidOrPhone);
    if (known) return known;
    const decoded = jidOrPhone.includes('@') ? jidDecode(jidOrPhone) : { user: jidOrPhone.replace(/\D/g, ''), server: 's.whatsapp.net' };
    if (!decoded?.user || decoded.server !== 's.whatsapp.net' || !isOnWhatsApp(decoded.user)) return undefined;
    return this.add({ phone: decoded.user, lid: lidForPhone(decoded.user), name: `+${decoded.user}` });
  }

  /**
   * The number now belongs to a linked account's phone, under the account's LID. On WhatsApp one
   * number is one user with one LID, so a contact the book knew under this number (a seeded contact
   * whose number the tester linked with) is replaced rather than kept beside it under another LID.
   */
  claim(profile: ContactProfile): Contact {
    const index = this.contacts.findIndex((contact) => contact.phone === profile.phone);
    if (index >= 0) this.contacts.splice(index, 1);
    return this.add(profile);
  }

  add(profile: ContactProfile): Contact {
    const contact = new Contact({ ...profile }, new Map());
    contact.device(0);
    this.contacts.push(contact);
    return contact;
  }

  /**
   * Writes the whole book. Calls made while a write runs share the next write, so a burst of
   * messages costs two writes, not one per message; every caller's changes are on disk when it resolves.
   */
  save(): Promise<void> {
    if (!this.dir) return Promise.resolve();
    if (this.pendingWrite) return this.pendingWrite;
    if (!this.writing) {
      this.writing = this.writeNow().finally(() => {
        this.writing = null;
      });
      return this.writing;
    }
    const current = this.writing;
    this.pendingWrite = current
      .catch(() => undefined)
      .then(() => {
        this.pendingWrite = null;
        return this.save();
      });
    return this.pendingWrite;
  }

  private async writeNow(): Promise<void> {
    const dir = this.dir!;
    const file: BookFile = { version: BOOK_VERSION, contacts: this.contacts.map((contact) => contact.snapshot()) };
    await mkdir(dir, { recursive: true });
    await writeFileAtomic(join(dir, BOOK_FILE), JSON.stringify(file, BufferJSON.replacer));
  }
}
