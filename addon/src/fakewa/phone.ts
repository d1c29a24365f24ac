/**
 * The account's phone, as far as linking a companion goes. A companion that connects unregistered
 * gets `pair-device` refs (Baileys shows them as QR codes); the phone links it either by scanning one
 * of those QR codes or by the user typing the companion's pairing code. Both end the same way:
 * `pair-success` with the phone's signed device identity, the companion's counter-signature, the
 * account remembered, and stream error 515 so the companion reconnects and logs in.
 */
import { randomBytes } from 'node:crypto';

import {
  aesDecryptCTR,
  aesDecryptGCM,
  aesEncryptCTR,
  Curve,
  derivePairingCodeKey,
  hkdf,
  hmacSign,
  proto,
  WA_ADV_ACCOUNT_SIG_PREFIX,
  WA_ADV_DEVICE_SIG_PREFIX,
  type BinaryNode,
} from 'baileys';
import type { Logger } from 'pino';

import { digitsOf, type AccountRecord, type AccountRegistry } from './accounts.js';
import type { KeyPair } from './certs.js';
import type { CompanionConnection } from './connection.js';
import type { HandshakeResult } from './noise-server.js';
import { bytesOf, child, iqError, iqResult, isIq, SERVER_JID, unixTime } from './stanzas.js';
import { isCanonicalPlatformDisplay } from './platforms.js';
import type { CompanionLink } from './types.js';

const QR_PREFIX = 'https://wa.me/settings/linked_devices#';
const DEFAULT_REF_COUNT = 6;
/** What the phone reports as its own platform in `pair-success`. */
const PHONE_PLATFORM = 'android';
const CODE_REQUEST_WAIT_MS = 2_000;

/** A companion waiting to be linked, with the keys it announced in its registration payload. */
interface PendingRegistration {
  link: CompanionConnection;
  refs: string[];
  noiseKey: Buffer;
  identityKey: Buffer;
  codePairing: CodePairing | null;
}

interface CodePairing {
  phone: string;
  ref: string;
  wrappedCompanionEphemeral: Buffer;
  /** Set once the phone has "typed" the code and sent its hello. */
  primary: { code: string; ephemeral: KeyPair; companionEphemeral: Buffer; accountKey: KeyPair; name: string | null } | null;
  finished: Deferred<AccountRecord> | null;
}

/** One pairing-code request a companion made, and whether the network accepted it. */
export interface PairingCodeRequest {
  phone: string;
  platformDisplay: string;
  accepted: boolean;
}

export interface PhoneOptions {
  /** How many `pair-device` refs (QR codes) a companion gets; default 6, as WhatsApp sends. */
  refCount?: number;
}

export class Phone {
  private readonly pending = new Map<CompanionConnection, PendingRegistration>();
  private readonly requests: PairingCodeRequest[] = [];

  constructor(
    private readonly accounts: AccountRegistry,
    private readonly logger: Logger,
    private readonly options: PhoneOptions = {},
  ) {}

  /** Every pairing-code request so far, oldest first. */
  get pairingCodeRequests(): readonly PairingCodeRequest[] {
    return this.requests;
  }

  /** A companion connected without credentials: remember its keys and send it QR refs. */
  startRegistration(link: CompanionConnection, handshake: HandshakeResult): void {
    const pairing = handshake.payload.devicePairingData;
    if (!pairing?.eIdent || pairing.eIdent.length !== 32) {
      link.terminate({ tag: 'failure', attrs: { reason: '400', location: 'frc' } });
      return;
    }
    const refs = Array.from({ length: this.options.refCount ?? DEFAULT_REF_COUNT }, () => `2@${randomBytes(24).toString('base64')}`);
    this.pending.set(link, {
      link,
      refs,
      noiseKey: handshake.clientStaticKey,
      identityKey: Buffer.from(pairing.eIdent),
      codePairing: null,
    });
    link.whenClosed(() => this.forget(link));
    link
      .query({
        tag: 'iq',
        attrs: { from: SERVER_JID, type: 'set', xmlns: 'md', t: unixTime() },
        content: [{ tag: 'pair-device', attrs: {}, content: refs.map((ref) => ({ tag: 'ref', attrs: {}, content: Buffer.from(ref) })) }],
      })
      .catch((error: unknown) => this.logger.debug({ err: error }, 'fake network: pair-device went unanswered'));
  }

  /**
   * The phone scans a QR code: the string Baileys produced (`ref,noiseKey,identityKey,advSecret,platform`,
   * optionally behind WhatsApp's link prefix). Resolves once the companion is linked.
   */
  async scan(qr: string, phone: string, name: string | null = null): Promise<AccountRecord> {
    const [ref, noiseKeyB64, identityKeyB64, advSecretB64] = qr.replace(QR_PREFIX, '').split(',');
    if (!ref || !noiseKeyB64 || !identityKeyB64 || !advSecretB64) throw new Error('that is not a WhatsApp linking QR code');
    const registration = [...this.pending.values()].find((candidate) => candidate.refs.includes(ref));
    if (!registration || registration.link.closed) throw new Error('that QR code is not current: no companion is showing it');
    if (
      !registration.noiseKey.equals(Buffer.from(noiseKeyB64, 'base64')) ||
      !registration.identityKey.equals(Buffer.from(identityKeyB64, 'base64'))
    ) {
      throw new Error('the QR code does not match the keys of the companion that shows it');
    }
    const accountKey = this.accounts.accountKeyFor(phone);
    return this.completePairing(registration, digitsOf(phone), name, accountKey, Buffer.from(advSecretB64, 'base64'));
  }

  /**
   * The user types the companion's pairing code on the phone of `phone`. Resolves once the companion
   * is linked; rejects when the code is wrong or no companion asked for a code for that number.
   */
  async confirmPairingCode(code: string, phone: string, name: string | null = null): Promise<AccountRecord> {
    const digits = digitsOf(phone);
    const registration = await this.codeRequestOf(digits);
    const pairing = registration?.codePairing;
    if (!registration || !pairing) throw new Error('no companion asked for a pairing code for that number');
    const normalisedCode = code.replace(/[^0-9A-Za-z]/g, '').toUpperCase();
    const companionEphemeral = await unwrapKey(pairing.wrappedCompanionEphemeral, normalisedCode);
    const ephemeral = Curve.generateKeyPair();
    const accountKey = this.accounts.accountKeyFor(digits);
    pairing.primary = { code: normalisedCode, ephemeral, companionEphemeral, accountKey, name };
    pairing.finished = deferred<AccountRecord>();
    registration.link.send({
      tag: 'notification',
      attrs: { from: SERVER_JID, id: registration.link.nextId(), t: unixTime(), type: 'link_code_companion_reg' },
      content: [
        {
          tag: 'link_code_companion_reg',
          attrs: { stage: 'primary_hello' },
          content: [
            { tag: 'link_code_pairing_ref', attrs: {}, content: Buffer.from(pairing.ref) },
            { tag: 'primary_identity_pub', attrs: {}, content: Buffer.from(accountKey.public) },
            { tag: 'link_code_pairing_wrapped_primary_ephemeral_pub', attrs: {}, content: await wrapKey(ephemeral.public, normalisedCode) },
          ],
        },
      ],
    });
    return pairing.finished.promise;
  }

  /**
   * The companion waiting for a code for `phone`. Baileys hands out the code before its request has
   * reached the server, so a phone that is quick to type it waits a moment for the request.
   */
  private async codeRequestOf(phone: string): Promise<PendingRegistration | undefined> {
    const deadline = Date.now() + CODE_REQUEST_WAIT_MS;
    for (;;) {
      const found = [...this.pending.values()].find((candidate) => candidate.codePairing?.phone === phone && !candidate.link.closed);
      if (found || Date.now() >= deadline) return found;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** The router handler for the companion's side of pairing by code. */
  readonly handle = async (node: BinaryNode, link: CompanionLink): Promise<boolean> => {
    if (!isIq(node, 'md', 'set', 'link_code_companion_reg')) return false;
    const registration = this.pending.get(link as CompanionConnection);
    const request = child(node, 'link_code_companion_reg');
    if (!registration || !request) {
      link.send(iqError(node, 400, 'bad-request'));
      return true;
    }
    if (request.attrs.stage === 'companion_hello') this.onCompanionHello(node, request, registration);
    else if (request.attrs.stage === 'companion_finish') await this.onCompanionFinish(node, request, registration);
    else link.send(iqError(node, 400, 'bad-request'));
    return true;
  };

  private onCompanionHello(node: BinaryNode, request: BinaryNode, registration: PendingRegistration): void {
    const phone = digitsOf(request.attrs.jid?.split('@')[0] ?? '');
    const platformDisplay = bytesOf(request, 'companion_platform_display')?.toString('utf8') ?? '';
    const wrapped = bytesOf(request, 'link_code_pairing_wrapped_companion_ephemeral_pub');
    const accepted = phone.length > 0 && wrapped?.length === 80 && isCanonicalPlatformDisplay(platformDisplay);
    this.requests.push({ phone, platformDisplay, accepted });
    if (!accepted || !wrapped) {
      // Production answers a platform it does not recognise, and any malformed hello, this way.
      this.logger.info({ platformDisplay }, 'fake network: pairing-code request refused');
      registration.link.send(iqError(node, 400, 'bad-request'));
      return;
    }
    const ref = `2@${randomBytes(24).toString('base64')}`;
    registration.codePairing = { phone, ref, wrappedCompanionEphemeral: wrapped, primary: null, finished: null };
    registration.link.send(
      iqResult(node, [{ tag: 'link_code_companion_reg', attrs: {}, content: [{ tag: 'link_code_pairing_ref', attrs: {}, content: Buffer.from(ref) }] }]),
    );
  }

  private async onCompanionFinish(node: BinaryNode, request: BinaryNode, registration: PendingRegistration): Promise<void> {
    const pairing = registration.codePairing;
    const primary = pairing?.primary;
    if (!pairing || !primary || !pairing.finished) {
      registration.link.send(iqError(node, 400, 'bad-request'));
      return;
    }
    const finished = pairing.finished;
    try {
      const wrappedBundle = bytesOf(request, 'link_code_pairing_wrapped_key_bundle');
      if (!wrappedBundle || wrappedBundle.length < 32 + 12 + 16) throw new Error('the companion sent no key bundle');
      const companionShared = Curve.sharedKey(primary.ephemeral.private, primary.companionEphemeral);
      const bundleKey = hkdf(companionShared, 32, { salt: wrappedBundle.subarray(0, 32), info: 'link_code_pairing_key_bundle_encryption_key' });
      let bundle: Buffer;
      try {
        bundle = aesDecryptGCM(wrappedBundle.subarray(44), bundleKey, wrappedBundle.subarray(32, 44), Buffer.alloc(0));
      } catch {
        throw new Error('the pairing code does not match the one the companion shows');
      }
      const companionIdentity = bundle.subarray(0, 32);
      if (!companionIdentity.equals(registration.identityKey) || !bundle.subarray(32, 64).equals(Buffer.from(primary.accountKey.public))) {
        throw new Error('the companion wrapped the wrong identity keys');
      }
      const identityShared = Curve.sharedKey(primary.accountKey.private, companionIdentity);
      const advSecret = Buffer.from(hkdf(Buffer.concat([companionShared, identityShared, bundle.subarray(64, 96)]), 32, { info: 'adv_secret' }));
      registration.link.send(iqResult(node));
      finished.resolve(await this.completePairing(registration, pairing.phone, primary.name, primary.accountKey, advSecret));
    } catch (error) {
      registration.link.send(iqError(node, 400, 'bad-request'));
      finished.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** `pair-success`, the companion's counter-signature, the account remembered, then stream error 515. */
  private async completePairing(
    registration: PendingRegistration,
    phone: string,
    name: string | null,
    accountKey: KeyPair,
    advSecret: Buffer,
  ): Promise<AccountRecord> {
    const { link, identityKey } = registration;
    this.pending.delete(link);
    const device = this.accounts.nextDevice(phone);
    const lid = this.accounts.lidFor(phone);
    const keyIndex = device;
    const details = proto.ADVDeviceIdentity.encode({
      rawId: randomBytes(4).readUInt32BE(0),
      timestamp: Math.floor(Date.now() / 1000),
      keyIndex,
      accountType: proto.ADVEncryptionType.E2EE,
      deviceType: proto.ADVEncryptionType.E2EE,
    }).finish();
    const accountSignature = Curve.sign(accountKey.private, Buffer.concat([WA_ADV_ACCOUNT_SIG_PREFIX, details, identityKey]));
    const signedIdentity = proto.ADVSignedDeviceIdentity.encode({ details, accountSignatureKey: accountKey.public, accountSignature }).finish();
    const hmacked = proto.ADVSignedDeviceIdentityHMAC.encode({
      details: signedIdentity,
      hmac: hmacSign(signedIdentity, advSecret),
      accountType: proto.ADVEncryptionType.E2EE,
    }).finish();

    const pairSuccess: BinaryNode[] = [
      { tag: 'device-identity', attrs: {}, content: Buffer.from(hmacked) },
      { tag: 'platform', attrs: { name: PHONE_PLATFORM } },
      { tag: 'device', attrs: { jid: `${phone}:${device}@${SERVER_JID}`, lid: `${lid}:${device}@lid` } },
    ];
    // Baileys takes the name it shows for the account from the business node; the fake phone always
    // sends one when it has a name, so the companion knows whose account it joined.
    if (name) pairSuccess.push({ tag: 'biz', attrs: { name } });
    const reply = await link.query({
      tag: 'iq',
      attrs: { from: SERVER_JID, type: 'result', t: unixTime() },
      content: [{ tag: 'pair-success', attrs: {}, content: pairSuccess }],
    });
    const signed = bytesOf(child(child(reply, 'pair-device-sign'), 'device-identity'));
    if (!signed) throw new Error('the companion did not counter-sign its device identity');
    const counterSigned = proto.ADVSignedDeviceIdentity.decode(signed);
    const deviceMessage = Buffer.concat([WA_ADV_DEVICE_SIG_PREFIX, details, identityKey, accountKey.public]);
    if (
      !counterSigned.details ||
      !Buffer.from(counterSigned.details).equals(Buffer.from(details)) ||
      !counterSigned.deviceSignature ||
      !Curve.verify(identityKey, deviceMessage, counterSigned.deviceSignature)
    ) {
      link.terminate({ tag: 'failure', attrs: { reason: '401', location: 'frc' } });
      throw new Error("the companion's device signature does not verify");
    }
    const account = await this.accounts.link({
      phone,
      lid,
      device,
      pushName: name,
      identityKey,
      noiseKey: registration.noiseKey,
      accountKey,
      keyIndex,
    });
    this.logger.info({ device }, 'fake network: companion linked');
    link.terminate({ tag: 'stream:error', attrs: { code: '515' } });
    return account;
  }

  private forget(link: CompanionConnection): void {
    const registration = this.pending.get(link);
    this.pending.delete(link);
    registration?.codePairing?.finished?.reject(new Error('the companion disconnected before pairing finished'));
  }
}

/** Undoes Baileys' wrapping of an ephemeral key with the pairing code: salt(32) ‖ iv(16) ‖ AES-CTR(key). */
async function unwrapKey(wrapped: Buffer, code: string): Promise<Buffer> {
  const key = await derivePairingCodeKey(code, wrapped.subarray(0, 32));
  return aesDecryptCTR(wrapped.subarray(48, 80), key, wrapped.subarray(32, 48));
}

async function wrapKey(publicKey: Uint8Array, code: string): Promise<Buffer> {
  const salt = randomBytes(32);
  const iv = randomBytes(16);
  const key = await derivePairingCodeKey(code, salt);
  return Buffer.concat([salt, iv, aesEncryptCTR(publicKey, key, iv)]);
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: Error): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A pairing nobody awaits any more must not become an unhandled rejection.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}
