/**
 * WhatsApp's side of the Noise_XX_25519_AESGCM_SHA256 handshake and of the encrypted transport that
 * follows, as the Baileys client expects it: the client's intro header, ClientHello → ServerHello
 * (ephemeral, encrypted static, encrypted certificate chain) → ClientFinish (encrypted static,
 * encrypted ClientPayload), then 3-byte length frames encrypted with AES-256-GCM and a counter per
 * direction.
 */
import { aesDecryptGCM, aesEncryptGCM, Curve, hkdf, NOISE_MODE, NOISE_WA_HEADER, proto, sha256 } from 'baileys';

import type { KeyPair, ServerIdentity } from './certs.js';

const IV_LENGTH = 12;
const MAX_FRAME_LENGTH = 0xffffff;
const NO_ASSOCIATED_DATA = Buffer.alloc(0);

export class NoiseProtocolError extends Error {
  override readonly name = 'NoiseProtocolError';
}

/** The IV for a message counter: eight zero bytes, then the counter as 32-bit big-endian. */
function ivFor(counter: number): Buffer {
  const iv = Buffer.alloc(IV_LENGTH);
  iv.writeUInt32BE(counter >>> 0, 8);
  return iv;
}

/**
 * Splits the client's byte stream into frames: the intro header (once, before the first frame),
 * then frames of a 3-byte big-endian length followed by that many bytes.
 */
export class FrameReader {
  private buffered = Buffer.alloc(0);
  private introSeen = false;

  /** The bytes the client's intro header carried after the routing prefix (`WA`, version, dict). */
  introHeader: Buffer | null = null;

  push(data: Uint8Array): Buffer[] {
    this.buffered = this.buffered.length === 0 ? Buffer.from(data) : Buffer.concat([this.buffered, data]);
    if (!this.introSeen && !this.readIntro()) return [];
    const frames: Buffer[] = [];
    while (this.buffered.length >= 3) {
      const length = this.buffered.readUIntBE(0, 3);
      if (this.buffered.length < 3 + length) break;
      frames.push(this.buffered.subarray(3, 3 + length));
      this.buffered = this.buffered.subarray(3 + length);
    }
    return frames;
  }

  /** Consumes the intro header once it is complete; false while more bytes are needed. */
  private readIntro(): boolean {
    const data = this.buffered;
    let offset = 0;
    if (data.length >= 2 && data.toString('latin1', 0, 2) === 'ED') {
      // A client that kept routing info from an earlier connection prefixes it: `ED`, 0, 1, 3-byte length.
      if (data.length < 7) return false;
      offset = 7 + data.readUIntBE(4, 3);
    }
    if (data.length < offset + NOISE_WA_HEADER.length) return false;
    const header = data.subarray(offset, offset + NOISE_WA_HEADER.length);
    if (header.toString('latin1', 0, 2) !== 'WA') {
      throw new NoiseProtocolError('the client did not open with the WA intro header');
    }
    this.introHeader = Buffer.from(header);
    this.buffered = data.subarray(offset + NOISE_WA_HEADER.length);
    this.introSeen = true;
    return true;
  }
}

/** Prefixes a frame with its 3-byte length. */
export function lengthPrefixed(payload: Uint8Array): Buffer {
  if (payload.length > MAX_FRAME_LENGTH) throw new NoiseProtocolError(`frame of ${payload.length} bytes is too long`);
  const frame = Buffer.alloc(3 + payload.length);
  frame.writeUIntBE(payload.length, 0, 3);
  frame.set(payload, 3);
  return frame;
}

/** The post-handshake cipher of one direction pair: the server reads with `readKey`, writes with `writeKey`. */
export class TransportCipher {
  private readCounter = 0;
  private writeCounter = 0;

  constructor(
    private readonly readKey: Uint8Array,
    private readonly writeKey: Uint8Array,
  ) {}

  encrypt(plaintext: Uint8Array): Buffer {
    return aesEncryptGCM(plaintext, this.writeKey, ivFor(this.writeCounter++), NO_ASSOCIATED_DATA);
  }

  decrypt(ciphertext: Uint8Array): Buffer {
    return aesDecryptGCM(ciphertext, this.readKey, ivFor(this.readCounter++), NO_ASSOCIATED_DATA);
  }
}

export interface HandshakeResult {
  /** The client's long-term Noise key (Baileys' `creds.noiseKey.public`). */
  clientStaticKey: Buffer;
  payload: proto.ClientPayload;
  transport: TransportCipher;
}

/**
 * The server half of one XX handshake. Feed it the client's handshake frames in order:
 * `respondToHello(clientHello)` returns the ServerHello frame payload, `finish(clientFinish)` returns
 * the client's identity and payload together with the transport cipher.
 */
export class NoiseServerHandshake {
  private hash: Buffer;
  private salt: Buffer;
  private key: Buffer;
  private counter = 0;
  private readonly ephemeral: KeyPair = Curve.generateKeyPair();
  private clientEphemeral: Buffer | null = null;

  constructor(
    private readonly identity: ServerIdentity,
    introHeader: Uint8Array = NOISE_WA_HEADER,
  ) {
    const mode = Buffer.from(NOISE_MODE);
    this.hash = mode.length === 32 ? mode : sha256(mode);
    this.salt = this.hash;
    this.key = this.hash;
    this.mixHash(introHeader);
  }

  respondToHello(frame: Uint8Array): Uint8Array {
    const hello = proto.HandshakeMessage.decode(frame).clientHello;
    if (!hello?.ephemeral || hello.ephemeral.length !== 32) throw new NoiseProtocolError('ClientHello without a 32-byte ephemeral key');
    this.clientEphemeral = Buffer.from(hello.ephemeral);
    this.mixHash(this.clientEphemeral);

    this.mixHash(this.ephemeral.public);
    this.mixKey(Curve.sharedKey(this.ephemeral.private, this.clientEphemeral));
    const encryptedStatic = this.encrypt(this.identity.staticKeyPair.public);
    this.mixKey(Curve.sharedKey(this.identity.staticKeyPair.private, this.clientEphemeral));
    const encryptedCertificate = this.encrypt(this.identity.certChain);
    return proto.HandshakeMessage.encode({
      serverHello: { ephemeral: this.ephemeral.public, static: encryptedStatic, payload: encryptedCertificate },
    }).finish();
  }

  finish(frame: Uint8Array): HandshakeResult {
    if (!this.clientEphemeral) throw new NoiseProtocolError('ClientFinish before ClientHello');
    const clientFinish = proto.HandshakeMessage.decode(frame).clientFinish;
    if (!clientFinish?.static || !clientFinish.payload) throw new NoiseProtocolError('ClientFinish without static key or payload');
    const clientStaticKey = this.decrypt(clientFinish.static);
    this.mixKey(Curve.sharedKey(this.ephemeral.private, clientStaticKey));
    const payload = proto.ClientPayload.decode(this.decrypt(clientFinish.payload));
    // The client writes with the first half of the final split, so that is what the server reads with.
    const [clientWrites, serverWrites] = this.split(new Uint8Array(0));
    return { clientStaticKey, payload, transport: new TransportCipher(clientWrites, serverWrites) };
  }

  private mixHash(data: Uint8Array): void {
    this.hash = sha256(Buffer.concat([this.hash, data]));
  }

  private split(material: Uint8Array): [Buffer, Buffer] {
    const expanded = Buffer.from(hkdf(material, 64, { salt: this.salt, info: '' }));
    return [expanded.subarray(0, 32), expanded.subarray(32)];
  }

  private mixKey(material: Uint8Array): void {
    const [nextSalt, nextKey] = this.split(material);
    this.salt = nextSalt;
    this.key = nextKey;
    this.counter = 0;
  }

  private encrypt(plaintext: Uint8Array): Buffer {
    const ciphertext = aesEncryptGCM(plaintext, this.key, ivFor(this.counter++), this.hash);
    this.mixHash(ciphertext);
    return ciphertext;
  }

  private decrypt(ciphertext: Uint8Array): Buffer {
    const plaintext = aesDecryptGCM(ciphertext, this.key, ivFor(this.counter++), this.hash);
    this.mixHash(ciphertext);
    return plaintext;
  }
}
