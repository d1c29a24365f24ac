/**
 * One device of a contact on the fake network, as a real Signal peer: its own identity key,
 * registration id, signed pre-key and one-time pre-keys, with sessions and sender keys kept by
 * Baileys' own Signal repository. The account's Baileys socket therefore talks to it through
 * exactly the cryptography it uses with real phones.
 */
import {
  BufferJSON,
  Curve,
  encodeWAMessage,
  generateRegistrationId,
  proto,
  signedKeyPair,
  unpadRandomMax16,
  type KeyPair,
  type SignedKeyPair,
} from 'baileys';
import { makeLibSignalRepository } from 'baileys/lib/Signal/libsignal.js';
import type { SignalRepositoryWithLIDStore } from 'baileys/lib/Types/Signal.js';
import { pino } from 'pino';

import { MemorySignalKeyStore, type SignalStoreSnapshot } from './signal-store.js';
import type { UploadedBundle } from './types.js';

/** A public key bundle, as the server hands it to whoever starts a session. Keys are 32 raw bytes. */
export interface PublicBundle {
  registrationId: number;
  identityKey: Uint8Array;
  signedPreKey: { keyId: number; publicKey: Uint8Array; signature: Uint8Array };
  preKey?: { keyId: number; publicKey: Uint8Array };
}

export type SignalMessageType = 'pkmsg' | 'msg';

export interface SignalCiphertext {
  type: SignalMessageType;
  ciphertext: Uint8Array;
}

interface PeerIdentity {
  registrationId: number;
  identityKey: KeyPair;
  signedPreKey: SignedKeyPair;
  nextPreKeyId: number;
}

/** Everything a peer knows, as JSON-safe data (binary values in Baileys' BufferJSON form once stringified). */
export interface SignalPeerSnapshot extends PeerIdentity {
  store: SignalStoreSnapshot;
}

const silentLogger = pino({ level: 'silent' });

/** Baileys prefixes Curve25519 public keys with a type byte; bundles on the wire carry the raw 32 bytes. */
function rawKey(key: Uint8Array): Uint8Array {
  return key.length === 33 ? key.subarray(1) : key;
}

export class SignalPeer {
  private readonly repository: SignalRepositoryWithLIDStore;

  private constructor(
    private readonly identity: PeerIdentity,
    private readonly store: MemorySignalKeyStore,
  ) {
    const creds = {
      signedIdentityKey: identity.identityKey,
      signedPreKey: identity.signedPreKey,
      registrationId: identity.registrationId,
    };
    this.repository = makeLibSignalRepository({ creds, keys: store }, silentLogger);
  }

  static create(): SignalPeer {
    const identityKey = Curve.generateKeyPair();
    return new SignalPeer(
      { registrationId: generateRegistrationId(), identityKey, signedPreKey: signedKeyPair(identityKey, 1), nextPreKeyId: 1 },
      new MemorySignalKeyStore(),
    );
  }

  static restore(snapshot: SignalPeerSnapshot): SignalPeer {
    const { store, ...identity } = snapshot;
    return new SignalPeer({ ...identity }, new MemorySignalKeyStore(store));
  }

  /** Reads what `toJson` wrote. */
  static fromJson(text: string): SignalPeer {
    return SignalPeer.restore(JSON.parse(text, BufferJSON.reviver) as SignalPeerSnapshot);
  }

  snapshot(): SignalPeerSnapshot {
    return { ...this.identity, store: this.store.snapshot() };
  }

  toJson(): string {
    return JSON.stringify(this.snapshot(), BufferJSON.replacer);
  }

  get registrationId(): number {
    return this.identity.registrationId;
  }

  /** The identity public key, 32 raw bytes as in key bundles. */
  get identityPublicKey(): Uint8Array {
    return rawKey(this.identity.identityKey.public);
  }

  /**
   * A bundle for someone who wants to start a session with this device. With `withPreKey` a fresh
   * one-time pre-key is minted and kept until a session uses it, as the server hands out one per fetch.
   */
  issueBundle(withPreKey = true): PublicBundle {
    const { signedPreKey } = this.identity;
    const bundle: PublicBundle = {
      registrationId: this.identity.registrationId,
      identityKey: this.identityPublicKey,
      signedPreKey: {
        keyId: signedPreKey.keyId,
        publicKey: rawKey(signedPreKey.keyPair.public),
        signature: signedPreKey.signature,
      },
    };
    if (withPreKey) {
      const keyId = this.identity.nextPreKeyId;
      this.identity.nextPreKeyId += 1;
      const pair = Curve.generateKeyPair();
      this.store.set({ 'pre-key': { [keyId.toString()]: pair } });
      bundle.preKey = { keyId, publicKey: rawKey(pair.public) };
    }
    return bundle;
  }

  /** Starts an outgoing session with `remoteJid` from the bundle it published. */
  async startSession(remoteJid: string, bundle: PublicBundle | UploadedBundle, preKey?: { keyId: number; publicKey: Uint8Array }): Promise<void> {
    const onePreKey = preKey ?? ('preKey' in bundle ? bundle.preKey : undefined);
    await this.repository.injectE2ESession({
      jid: remoteJid,
      session: {
        registrationId: bundle.registrationId,
        identityKey: withTypeByte(bundle.identityKey),
        signedPreKey: {
          keyId: bundle.signedPreKey.keyId,
          publicKey: withTypeByte(bundle.signedPreKey.publicKey),
          signature: bundle.signedPreKey.signature,
        },
        ...(onePreKey ? { preKey: { keyId: onePreKey.keyId, publicKey: withTypeByte(onePreKey.publicKey) } } : {}),
      },
    });
  }

  async hasSession(remoteJid: string): Promise<boolean> {
    return (await this.repository.validateSession(remoteJid)).exists;
  }

  /** Encrypts a message for `remoteJid`: a `pkmsg` until the other side has answered, `msg` after. */
  async encrypt(remoteJid: string, message: proto.IMessage): Promise<SignalCiphertext> {
    const { type, ciphertext } = await this.repository.encryptMessage({ jid: remoteJid, data: encodeWAMessage(message) });
    return { type, ciphertext };
  }

  async decrypt(remoteJid: string, type: SignalMessageType, ciphertext: Uint8Array): Promise<proto.Message> {
    const plain = await this.repository.decryptMessage({ jid: remoteJid, type, ciphertext });
    return proto.Message.decode(unpadRandomMax16(plain));
  }

  /**
   * Encrypts a group message under this device's sender key (`selfJid` names it); also returns the
   * distribution message every member needs once, through a pairwise session, to read it.
   */
  async encryptGroup(group: string, selfJid: string, message: proto.IMessage): Promise<{ ciphertext: Uint8Array; distribution: proto.Message.ISenderKeyDistributionMessage }> {
    const { ciphertext, senderKeyDistributionMessage } = await this.repository.encryptGroupMessage({
      group,
      meId: selfJid,
      data: encodeWAMessage(message),
    });
    return { ciphertext, distribution: { groupId: group, axolotlSenderKeyDistributionMessage: senderKeyDistributionMessage } };
  }

  async acceptSenderKey(authorJid: string, distribution: proto.Message.ISenderKeyDistributionMessage): Promise<void> {
    await this.repository.processSenderKeyDistributionMessage({ authorJid, item: distribution });
  }

  async decryptGroup(group: string, authorJid: string, ciphertext: Uint8Array): Promise<proto.Message> {
    const plain = await this.repository.decryptGroupMessage({ group, authorJid, msg: ciphertext });
    return proto.Message.decode(unpadRandomMax16(plain));
  }

  /** True once this device's sender key for `group` went to `deviceJid` (it needs it once, pairwise). */
  hasSentSenderKey(group: string, deviceJid: string): boolean {
    return this.store.get('sender-key-memory', [group])[group]?.[deviceJid] === true;
  }

  markSenderKeySent(group: string, deviceJid: string): void {
    const memory = this.store.get('sender-key-memory', [group])[group] ?? {};
    this.store.set({ 'sender-key-memory': { [group]: { ...memory, [deviceJid]: true } } });
  }

  /** Forgets this device's own sender key for `group`, so the next group message starts a new chain (as after a member leaves). */
  forgetOwnSenderKey(group: string, selfJid: string): void {
    const address = this.repository.jidToSignalProtocolAddress(selfJid);
    const dot = address.lastIndexOf('.');
    const name = `${group}::${address.slice(0, dot)}::${address.slice(dot + 1)}`;
    this.store.set({ 'sender-key': { [name]: null } });
  }
}

function withTypeByte(key: Uint8Array): Uint8Array {
  return key.length === 33 ? key : Buffer.concat([Buffer.from([5]), key]);
}
