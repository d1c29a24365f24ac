/**
 * WhatsApp's media encryption, for the fake contacts: they encrypt what they send with Baileys' own
 * routine (so the account decrypts exactly what a phone would produce) and check what the account
 * uploaded as a phone does: the blob's hash, its MAC, then the AES-CBC decryption.
 */
import { createDecipheriv, createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';

import { encryptedStream, getMediaKeys, type MediaType } from 'baileys';

export interface EncryptedMedia {
  /** Ciphertext followed by the 10-byte MAC: the bytes that are uploaded. */
  encrypted: Buffer;
  mediaKey: Buffer;
  fileSha256: Buffer;
  fileEncSha256: Buffer;
  fileLength: number;
}

export class MediaIntegrityError extends Error {
  override readonly name = 'MediaIntegrityError';
}

const MAC_LENGTH = 10;

export async function encryptMedia(plaintext: Uint8Array, mediaType: MediaType): Promise<EncryptedMedia> {
  const result = await encryptedStream(Buffer.from(plaintext), mediaType);
  try {
    const encrypted = await readFile(result.encFilePath);
    return {
      encrypted,
      mediaKey: Buffer.from(result.mediaKey),
      fileSha256: Buffer.from(result.fileSha256),
      fileEncSha256: Buffer.from(result.fileEncSha256),
      fileLength: result.fileLength,
    };
  } finally {
    await rm(result.encFilePath, { force: true });
  }
}

export interface DecryptExpectations {
  /** When given, the blob's SHA-256 must match (the message's `fileEncSha256`). */
  fileEncSha256?: Uint8Array | null;
  /** When given, the plaintext's SHA-256 must match (the message's `fileSha256`). */
  fileSha256?: Uint8Array | null;
}

export async function decryptMedia(
  encrypted: Uint8Array,
  mediaKey: Uint8Array,
  mediaType: MediaType,
  expect: DecryptExpectations = {},
): Promise<Buffer> {
  const blob = Buffer.from(encrypted);
  if (expect.fileEncSha256 && !sameBytes(sha256(blob), expect.fileEncSha256)) {
    throw new MediaIntegrityError('encrypted media does not match its fileEncSha256');
  }
  if (blob.length <= MAC_LENGTH) throw new MediaIntegrityError('encrypted media is too short');
  const ciphertext = blob.subarray(0, blob.length - MAC_LENGTH);
  const mac = blob.subarray(blob.length - MAC_LENGTH);
  const { iv, cipherKey, macKey } = await getMediaKeys(Buffer.from(mediaKey), mediaType);
  if (!macKey) throw new MediaIntegrityError(`no MAC key for media type ${mediaType}`);
  const expectedMac = createHmac('sha256', macKey).update(iv).update(ciphertext).digest().subarray(0, MAC_LENGTH);
  if (!sameBytes(mac, expectedMac)) throw new MediaIntegrityError('media MAC does not verify: wrong key or tampered blob');
  const decipher = createDecipheriv('aes-256-cbc', cipherKey, iv);
  const plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  if (expect.fileSha256 && !sameBytes(sha256(plaintext), expect.fileSha256)) {
    throw new MediaIntegrityError('decrypted media does not match its fileSha256');
  }
  return plaintext;
}

function sha256(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest();
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
