/**
 * The accounts WhatsApp's servers remember: who is linked (phone, LID, device, keys), the Signal
 * bundle each companion uploaded, and the phone's own account key. Kept in one JSON file so a
 * restarted add-on on the same data directory logs straight back in.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import { Curve } from 'baileys';
import type { Logger } from 'pino';

import { readFileIfExists, writeFileAtomic } from '../util/atomic-file.js';
import type { KeyPair } from './certs.js';
import type { LinkedAccount, UploadedBundle } from './types.js';

const FILE_NAME = 'fake-whatsapp-accounts.json';
const FORMAT_VERSION = 1;

/** Everything the network keeps about one linked companion. */
export interface AccountRecord extends LinkedAccount {
  /** The companion's Signal identity key (its `signedIdentityKey.public`). */
  identityKey: Uint8Array;
  /** The companion's Noise static key: only this key may log in as this device. */
  noiseKey: Uint8Array;
  /** The phone's account signing key, which signed the companion's device identity. */
  accountKey: KeyPair;
  /** The companion's key index in the phone's device list. */
  keyIndex: number;
  bundle: UploadedBundle | null;
}

interface StoredBundle {
  registrationId: number;
  identityKey: string;
  signedPreKey: { keyId: number; publicKey: string; signature: string };
  preKeys: Array<{ keyId: number; publicKey: string }>;
}

interface StoredAccount {
  phone: string;
  lid: string;
  device: number;
  pushName: string | null;
  identityKey: string;
  noiseKey: string;
  accountKey: { public: string; private: string };
  keyIndex: number;
  bundle: StoredBundle | null;
}

interface StoredFile {
  version: number;
  accounts: StoredAccount[];
  /** Device numbers already handed out per phone, so a re-linked companion gets a new one as on WhatsApp. */
  lastDevice: Record<string, number>;
}

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
const unb64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64'));

export class AccountRegistry {
  private readonly accounts = new Map<string, AccountRecord>();
  private lastDevice: Record<string, number> = {};
  private saving: Promise<void> = Promise.resolve();

  private constructor(
    private readonly path: string,
    private readonly logger: Logger,
  ) {}

  static async open(dataDir: string, logger: Logger): Promise<AccountRegistry> {
    await mkdir(dataDir, { recursive: true });
    const registry = new AccountRegistry(join(dataDir, FILE_NAME), logger);
    await registry.load();
    return registry;
  }

  /** The linked account of this phone (digits only), if any. */
  get(phone: string): AccountRecord | undefined {
    return this.accounts.get(digitsOf(phone));
  }

  byLid(lid: string): AccountRecord | undefined {
    return [...this.accounts.values()].find((account) => account.lid === lid);
  }

  list(): AccountRecord[] {
    return [...this.accounts.values()];
  }

  /** The bundle the companion of this phone uploaded, if it has logged in since it was linked. */
  bundle(phone: string): UploadedBundle | undefined {
    return this.get(phone)?.bundle ?? undefined;
  }

  /** The account key a phone signs its companions with; created (and kept) on first use. */
  accountKeyFor(phone: string): KeyPair {
    return this.get(phone)?.accountKey ?? Curve.generateKeyPair();
  }

  /** The LID of a phone: the one it already has, or a new one (kept once the phone links). */
  lidFor(phone: string): string {
    return this.get(phone)?.lid ?? newLid();
  }

  /** Hands out the next device number of a phone; a re-linked companion gets a new one, as on WhatsApp. */
  nextDevice(phone: string): number {
    const digits = digitsOf(phone);
    const device = (this.lastDevice[digits] ?? 0) + 1;
    this.lastDevice[digits] = device;
    return device;
  }

  /** Records a newly linked companion, replacing any earlier one of that phone. */
  async link(fields: Omit<AccountRecord, 'bundle'>): Promise<AccountRecord> {
    const record: AccountRecord = { ...fields, phone: digitsOf(fields.phone), bundle: null };
    this.accounts.set(record.phone, record);
    await this.save();
    return record;
  }

  async unlink(phone: string): Promise<boolean> {
    const removed = this.accounts.delete(digitsOf(phone));
    if (removed) await this.save();
    return removed;
  }

  /** Merges an upload: identity and signed pre-key are replaced, new one-time pre-keys are added. */
  async storeUpload(phone: string, upload: UploadedBundle): Promise<void> {
    const account = this.get(phone);
    if (!account) return;
    const known = new Set(upload.preKeys.map((key) => key.keyId));
    const kept = (account.bundle?.preKeys ?? []).filter((key) => !known.has(key.keyId));
    account.bundle = { ...upload, preKeys: [...kept, ...upload.preKeys] };
    await this.save();
  }

  /** Takes (and forgets) one unused pre-key of the phone's companion, as a contact starting a session does. */
  async takePreKey(phone: string): Promise<{ keyId: number; publicKey: Uint8Array } | undefined> {
    const bundle = this.get(phone)?.bundle;
    const key = bundle?.preKeys.shift();
    if (key) await this.save();
    return key;
  }

  async setPushName(phone: string, pushName: string): Promise<void> {
    const account = this.get(phone);
    if (!account || account.pushName === pushName) return;
    account.pushName = pushName;
    await this.save();
  }

  /** Writes the registry; writes are serialised so the file always ends with the newest state. */
  save(): Promise<void> {
    const next = this.saving.then(() => writeFileAtomic(this.path, JSON.stringify(this.serialise())));
    this.saving = next.catch((error: unknown) => this.logger.error({ err: error }, 'fake network: could not save its accounts'));
    return next;
  }

  private serialise(): StoredFile {
    return {
      version: FORMAT_VERSION,
      lastDevice: this.lastDevice,
      accounts: this.list().map((account) => ({
        phone: account.phone,
        lid: account.lid,
        device: account.device,
        pushName: account.pushName,
        identityKey: b64(account.identityKey),
        noiseKey: b64(account.noiseKey),
        accountKey: { public: b64(account.accountKey.public), private: b64(account.accountKey.private) },
        keyIndex: account.keyIndex,
        bundle: account.bundle && {
          registrationId: account.bundle.registrationId,
          identityKey: b64(account.bundle.identityKey),
          signedPreKey: {
            keyId: account.bundle.signedPreKey.keyId,
            publicKey: b64(account.bundle.signedPreKey.publicKey),
            signature: b64(account.bundle.signedPreKey.signature),
          },
          preKeys: account.bundle.preKeys.map((key) => ({ keyId: key.keyId, publicKey: b64(key.publicKey) })),
        },
      })),
    };
  }

  private async load(): Promise<void> {
    const raw = await readFileIfExists(this.path);
    if (!raw) return;
    const stored = JSON.parse(raw.toString('utf8')) as StoredFile;
    if (stored.version !== FORMAT_VERSION) throw new Error(`unknown fake network account file version ${stored.version}`);
    this.lastDevice = stored.lastDevice ?? {};
    for (const account of stored.accounts) {
      this.accounts.set(account.phone, {
        phone: account.phone,
        lid: account.lid,
        device: account.device,
        pushName: account.pushName,
        identityKey: unb64(account.identityKey),
        noiseKey: unb64(account.noiseKey),
        accountKey: { public: unb64(account.accountKey.public), private: unb64(account.accountKey.private) },
        keyIndex: account.keyIndex,
        bundle: account.bundle && {
          registrationId: account.bundle.registrationId,
          identityKey: unb64(account.bundle.identityKey),
          signedPreKey: {
            keyId: account.bundle.signedPreKey.keyId,
            publicKey: unb64(account.bundle.signedPreKey.publicKey),
            signature: unb64(account.bundle.signedPreKey.signature),
          },
          preKeys: account.bundle.preKeys.map((key) => ({ keyId: key.keyId, publicKey: unb64(key.publicKey) })),
        },
      });
    }
    this.logger.debug({ accounts: this.accounts.size }, 'fake network: accounts loaded');
  }
}

export function digitsOf(phone: string): string {
  return phone.replace(/\D/g, '');
}

/** A LID user: 15 digits, like the ones WhatsApp assigns. */
function newLid(): string {
  let lid = String(1 + Math.floor(Math.random() * 9));
  while (lid.length < 15) lid += Math.floor(Math.random() * 10).toString();
  return lid;
}
