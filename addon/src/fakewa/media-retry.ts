/**
 * Media re-upload on request. When a file has expired on WhatsApp's servers, the receiving device
 * sends `<receipt type="server-error">` (with the message id, encrypted with a key derived from the
 * file's media key); the sender's phone uploads the file again and answers with
 * `<notification type="mediaretry">` carrying the new direct path, encrypted the same way.
 *
 * The fake contacts tell this desk about each media message they send; the desk then plays the
 * sender's phone. It can also refuse or stay silent, so the account's handling of both is testable.
 */
import { randomBytes } from 'node:crypto';

import {
  aesDecryptGCM,
  aesEncryptGCM,
  getBinaryNodeChild,
  getBinaryNodeChildBuffer,
  hkdf,
  proto,
  type BinaryNode,
  type MediaType,
} from 'baileys';
import { pino, type Logger } from 'pino';

import type { MediaHost } from './media-host.js';
import type { StanzaHandler, StanzaRouter } from './types.js';

/** What the sender's phone remembers of a media message it sent. */
export interface SentMedia {
  mediaKey: Uint8Array;
  fileEncSha256: Uint8Array;
  mediaType: MediaType;
}

/**
 * How the sender's phone answers a re-upload request: `reupload` (a new direct path), `not-found`
 * (the phone no longer has the file) or `never` (the phone is offline: no answer ever comes).
 */
export type MediaRetryAnswer = 'reupload' | 'not-found' | 'never';

const SERVER = 's.whatsapp.net';
/** Messages remembered at most; the oldest are forgotten first, as a phone clears old media. */
const MAX_REMEMBERED = 10_000;

export class MediaRetryDesk {
  /** How the next requests are answered. */
  answer: MediaRetryAnswer = 'reupload';
  private readonly sent = new Map<string, SentMedia>();
  private requests = 0;
  private readonly logger: Logger;

  constructor(
    private readonly host: MediaHost,
    logger?: Logger,
  ) {
    this.logger = logger ?? pino({ level: 'silent' });
  }

  /** Re-upload requests received so far. */
  get requestCount(): number {
    return this.requests;
  }

  remember(messageId: string, media: SentMedia): void {
    this.sent.delete(messageId);
    this.sent.set(messageId, media);
    for (const oldest of this.sent.keys()) {
      if (this.sent.size <= MAX_REMEMBERED) break;
      this.sent.delete(oldest);
    }
  }

  readonly handler: StanzaHandler = async (node, link) => {
    if (node.tag !== 'receipt' || node.attrs.type !== 'server-error') return false;
    this.requests += 1;
    const notification = await this.answerTo(node);
    if (notification) link.send(notification);
    return true;
  };

  private async answerTo(request: BinaryNode): Promise<BinaryNode | null> {
    const id = request.attrs.id ?? '';
    const rmr = getBinaryNodeChild(request, 'rmr');
    const reply = (content: BinaryNode): BinaryNode => ({
      tag: 'notification',
      attrs: { from: SERVER, type: 'mediaretry', id, t: String(Math.floor(Date.now() / 1000)) },
      content: [{ tag: 'rmr', attrs: { ...(rmr?.attrs ?? {}) } }, content],
    });
    if (this.answer === 'never') {
      this.logger.debug('fake phone ignores a media re-upload request');
      return null;
    }
    const media = this.sent.get(id);
    if (!media) return reply({ tag: 'error', attrs: { code: String(proto.MediaRetryNotification.ResultType.NOT_FOUND) } });
    const retryKey = mediaRetryKey(media.mediaKey);
    if (!this.requestDecrypts(request, retryKey, id)) {
      return reply(encryptedResult(retryKey, id, { stanzaId: id, result: proto.MediaRetryNotification.ResultType.DECRYPTION_ERROR }));
    }
    const location = this.answer === 'reupload' ? await this.host.reupload(media.fileEncSha256, media.mediaType) : null;
    const result = location
      ? { stanzaId: id, directPath: location.directPath, result: proto.MediaRetryNotification.ResultType.SUCCESS }
      : { stanzaId: id, result: proto.MediaRetryNotification.ResultType.NOT_FOUND };
    return reply(encryptedResult(retryKey, id, result));
  }

  /** The phone checks the request was made with the file's key; a request without one is taken as is. */
  private requestDecrypts(request: BinaryNode, retryKey: Buffer, id: string): boolean {
    const encrypt = getBinaryNodeChild(request, 'encrypt');
    const ciphertext = getBinaryNodeChildBuffer(encrypt, 'enc_p');
    const iv = getBinaryNodeChildBuffer(encrypt, 'enc_iv');
    if (!ciphertext || !iv) return true;
    try {
      const receipt = proto.ServerErrorReceipt.decode(aesDecryptGCM(ciphertext, retryKey, iv, Buffer.from(id)));
      return receipt.stanzaId === id;
    } catch {
      return false;
    }
  }
}

/** Answers every media re-upload request on the network as the sender's phone would. */
export function registerMediaRetry(router: StanzaRouter, desk: MediaRetryDesk): void {
  router.on(desk.handler);
}

function mediaRetryKey(mediaKey: Uint8Array): Buffer {
  return Buffer.from(hkdf(mediaKey, 32, { info: 'WhatsApp Media Retry Notification' }));
}

function encryptedResult(retryKey: Buffer, id: string, result: proto.IMediaRetryNotification): BinaryNode {
  const iv = randomBytes(12);
  const plaintext = proto.MediaRetryNotification.encode(result).finish();
  return {
    tag: 'encrypt',
    attrs: {},
    content: [
      { tag: 'enc_p', attrs: {}, content: aesEncryptGCM(plaintext, retryKey, iv, Buffer.from(id)) },
      { tag: 'enc_iv', attrs: {}, content: iv },
    ],
  };
}
