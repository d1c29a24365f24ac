/**
 * Everything that leaves the account goes through here: input already validated, then media and
 * recipients looked up, then the paced queue, then the engine. Retries with the same
 * Idempotency-Key get the first result back.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { ApiError } from '../api/errors.js';
import type { Messenger, OutgoingContent, OutgoingMessage, SentMessage } from '../engine/types.js';
import type { MediaStore } from '../media/media-store.js';
import type { Session } from '../session/session.js';
import type { IdempotencyStore } from './idempotency.js';
import type { Pacer } from './pacer.js';
import { parseRecipient, type RecipientResolver } from './recipients.js';
import type { SendRequest } from './send-request.js';

export interface SenderDependencies {
  session: Session;
  media: MediaStore;
  pacer: Pacer;
  recipients: RecipientResolver;
  idempotency: IdempotencyStore<SentMessage>;
  /** How long a send waits for WhatsApp to come back while reconnecting. */
  sendWaitMs: number;
  logger: Logger;
}

export class Sender {
  constructor(private readonly deps: SenderDependencies) {}

  async send(request: SendRequest, idempotencyKey: string | null): Promise<SentMessage> {
    if (!idempotencyKey) return this.sendOnce(request);
    const fingerprint = createHash('sha256').update(JSON.stringify(request)).digest('hex');
    return this.deps.idempotency.run(idempotencyKey, fingerprint, () => this.sendOnce(request));
  }

  /** Paced like a send, because an edit or a delete is one for WhatsApp. */
  async edit(chat: string, messageId: string, text: string): Promise<void> {
    const jid = await this.chatJid(chat);
    await this.paced((messenger) => messenger.edit(jid, messageId, text));
  }

  async delete(chat: string, messageId: string): Promise<void> {
    const jid = await this.chatJid(chat);
    await this.paced((messenger) => messenger.delete(jid, messageId));
  }

  messenger(): Promise<Messenger> {
    return this.deps.session.messenger(this.deps.sendWaitMs);
  }

  /** A chat given as a phone number or jid, as a jid (no WhatsApp lookup: the chat exists already). */
  async chatJid(raw: string): Promise<string> {
    const recipient = parseRecipient(raw, 'chat');
    return recipient.kind === 'jid' ? recipient.jid : `${recipient.e164.slice(1)}@s.whatsapp.net`;
  }

  private async paced<T>(work: (messenger: Messenger) => Promise<T>): Promise<T> {
    await this.messenger();
    return this.deps.pacer.schedule(async () => work(await this.messenger()));
  }

  private async sendOnce(request: SendRequest): Promise<SentMessage> {
    const content = await this.content(request);
    const recipient = parseRecipient(request.to);
    const mentions = request.mentions.map((m) => {
      const parsed = parseRecipient(m, 'mentions');
      return parsed.kind === 'jid' ? parsed.jid : `${parsed.e164.slice(1)}@s.whatsapp.net`;
    });
    const to = await this.deps.recipients.resolve(recipient, await this.messenger());
    const message: OutgoingMessage = { to, content, replyTo: request.replyTo, mentions };
    const sent = await this.deps.pacer.schedule(async () => {
      const messenger = await this.messenger();
      return messenger.send(message);
    });
    this.deps.logger.debug({ id: sent.id, type: content.type }, 'message sent');
    return sent;
  }

  private async content(request: SendRequest): Promise<OutgoingContent> {
    switch (request.type) {
      case 'text':
        return { type: 'text', text: request.text };
      case 'location':
        return { type: 'location', latitude: request.latitude, longitude: request.longitude, name: request.name, address: request.address };
      case 'contact':
        return { type: 'contact', name: request.name, phone: request.phone };
      case 'poll':
        return { type: 'poll', question: request.question, options: request.options, multiple: request.multiple };
      case 'reaction':
        return { type: 'reaction', messageId: request.messageId, emoji: request.emoji };
      default: {
        const stored = await this.deps.media.get(request.mediaId);
        if (!stored) {
          throw new ApiError(404, 'media_not_found', `No media with id "${request.mediaId}". Upload it first with POST /v1/media (uploads are kept for 24 hours).`);
        }
        return {
          type: request.type,
          media: { path: stored.path, mimetype: stored.mimetype, size: stored.size },
          caption: request.caption,
          filename: request.filename ?? stored.filename,
          voice: request.voice,
        };
      }
    }
  }
}
