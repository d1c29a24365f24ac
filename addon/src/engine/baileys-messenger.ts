/**
 * What can be done over an open Baileys socket: sending, editing, deleting, read receipts,
 * presence, groups, number checks and media downloads.
 */
import { basename } from 'node:path';

import {
  downloadMediaMessage,
  generateMessageIDV2,
  jidNormalizedUser,
  normalizeMessageContent,
  toNumber,
  type AnyMessageContent,
  type GroupMetadata,
  type WAMessage,
  type WAMessageKey,
  type WASocket,
} from 'baileys';
import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';

import type { MessageStore } from '../auth/message-store.js';
import { withTimeout } from './bounded.js';
import { notConnectedError } from './connection-messenger.js';
import type { ServerAcks } from './server-acks.js';
import {
  EngineRequestError,
  type GroupSummary,
  type Messenger,
  type NumberCheck,
  type OutgoingContent,
  type OutgoingMessage,
  type PresenceState,
  type SentMessage,
} from './types.js';

export interface MessengerDeps {
  socket: WASocket;
  messages: MessageStore;
  logger: Logger;
  /** Whether the connection is open (WhatsApp accepted the login and it has not closed since). */
  isOpen(): boolean;
  /** Keys of received messages in a chat not yet marked read, newest last. */
  unreadKeys(chat: string): WAMessageKey[];
  /** Group metadata learned along the way, so later sends to the group need no extra query. */
  rememberGroup(group: GroupMetadata): void;
  /** How long the sender's phone gets to upload expired media again. */
  mediaReuploadTimeoutMs?: number;
  /** Carries media downloads when WhatsApp's media hosts are reached another way (the fake network). */
  mediaDispatcher?: Dispatcher | undefined;
  /** Told about each message before it is written, so WhatsApp's acknowledgement can mark it sent. */
  serverAcks?: ServerAcks;
}

/** A phone asked to upload media again answers within seconds when it is online at all. */
export const MEDIA_REUPLOAD_TIMEOUT_MS = 30_000;

function mediaUnavailable(waitedMs: number): EngineRequestError {
  return new EngineRequestError(
    504,
    'media_unavailable',
    `The media has expired on WhatsApp's servers and the sender's phone did not upload it again within ${Math.round(waitedMs / 1000)} s. Ask the sender to send it again.`,
  );
}

function vcard(name: string, phone: string): string {
  const digits = phone.replace(/\D/g, '');
  return ['BEGIN:VCARD', 'VERSION:3.0', `FN:${name}`, `TEL;type=CELL;type=VOICE;waid=${digits}:+${digits}`, 'END:VCARD'].join('\n');
}

export class BaileysMessenger implements Messenger {
  constructor(private readonly deps: MessengerDeps) {}

  private requireOpen(): WASocket {
    if (!this.deps.isOpen()) {
      throw notConnectedError();
    }
    return this.deps.socket;
  }

  /** A message this add-on knows about, by id (and chat where the store can use it). */
  private known(chat: string, id: string): WAMessage | undefined {
    return this.deps.messages.get({ remoteJid: chat, id }) ?? this.deps.messages.get({ id });
  }

  /** The key of an earlier message as WhatsApp expects it; guessed when the message is not kept. */
  private keyOf(chat: string, id: string, fromMeIfUnknown: boolean): WAMessageKey {
    return this.known(chat, id)?.key ?? { remoteJid: chat, id, fromMe: fromMeIfUnknown };
  }

  private content(message: OutgoingMessage): AnyMessageContent {
    const { content, to, mentions } = message;
    const mention = mentions.length > 0 ? { mentions } : {};
    switch (content.type) {
      case 'text':
        return { text: content.text, ...mention };
      case 'location':
        return {
          location: {
            degreesLatitude: content.latitude,
            degreesLongitude: content.longitude,
            name: content.name ?? undefined,
            address: content.address ?? undefined,
          },
        };
      case 'contact':
        return { contacts: { displayName: content.name, contacts: [{ displayName: content.name, vcard: vcard(content.name, content.phone) }] } };
      case 'poll':
        // Baileys sends 1 as a single-choice poll and 0 as "choose any number".
        return { poll: { name: content.question, values: content.options, selectableCount: content.multiple ? 0 : 1 }, ...mention };
      case 'reaction':
        return { react: { text: content.emoji, key: this.keyOf(to, content.messageId, false) } };
      default:
        return this.mediaContent(content, mention);
    }
  }

  private mediaContent(
    content: Extract<OutgoingContent, { media: unknown }>,
    mention: { mentions?: string[] },
  ): AnyMessageContent {
    const file = { url: content.media.path };
    const { mimetype } = content.media;
    const caption = content.caption ?? undefined;
    switch (content.type) {
      case 'image':
        return { image: file, mimetype, caption, ...mention };
      case 'video':
        return { video: file, mimetype, caption, ...mention };
      case 'audio':
        return { audio: file, mimetype, ptt: content.voice };
      case 'sticker':
        return { sticker: file, mimetype };
      case 'document':
        return {
          document: file,
          mimetype,
          fileName: content.filename ?? basename(content.media.path),
          caption,
          ...(mention.mentions ? { contextInfo: { mentionedJid: mention.mentions } } : {}),
        };
    }
  }

  async send(message: OutgoingMessage): Promise<SentMessage> {
    const socket = this.requireOpen();
    let quoted: WAMessage | undefined;
    if (message.replyTo) {
      quoted = this.known(message.to, message.replyTo);
      if (!quoted) {
        throw new EngineRequestError(
          404,
          'reply_target_not_found',
          `The message "${message.replyTo}" to reply to is not known to the add-on (it keeps only recent messages). Send without reply_to.`,
        );
      }
    }
    // The id is chosen here so the server's acknowledgement can be matched even if it overtakes the send.
    const messageId = generateMessageIDV2(socket.user?.id);
    this.deps.serverAcks?.expect(messageId, message.to);
    let sent: WAMessage | undefined;
    try {
      sent = await socket.sendMessage(message.to, this.content(message), { ...(quoted ? { quoted } : {}), messageId });
    } catch (err) {
      this.deps.serverAcks?.abandon(messageId);
      throw err;
    }
    if (!sent?.key.id) throw new EngineRequestError(502, 'send_failed', 'WhatsApp did not accept the message. Try again later.');
    // Kept for votes on polls, edits, replies and WhatsApp's retry requests.
    this.deps.messages.put(sent);
    const seconds = sent.messageTimestamp ? toNumber(sent.messageTimestamp) : Math.floor(Date.now() / 1000);
    return { id: sent.key.id, to: message.to, timestamp: new Date(seconds * 1000).toISOString() };
  }

  /**
   * WhatsApp accepts edits for 15 minutes only, far less than the message store keeps, so a message
   * it does not know cannot be edited any more: saying so beats an edit nobody will ever see.
   */
  private requireOwn(chat: string, messageId: string, what: string): WAMessageKey {
    const known = this.known(chat, messageId);
    if (!known) {
      throw new EngineRequestError(
        404,
        'message_not_found',
        `Message ${messageId} is not one this account sent in that chat recently. Only your own recent messages can be ${what}.`,
      );
    }
    if (!known.key.fromMe) {
      throw new EngineRequestError(409, 'not_own_message', `Only messages sent from this account can be ${what}.`);
    }
    return known.key;
  }

  async edit(chat: string, messageId: string, text: string): Promise<void> {
    const socket = this.requireOpen();
    const sent = await socket.sendMessage(chat, { text, edit: this.requireOwn(chat, messageId, 'edited') });
    // Kept under its own id so a recipient's device that could not decrypt the edit gets it again.
    if (sent?.key.id) this.deps.messages.put(sent);
  }

  async delete(chat: string, messageId: string): Promise<void> {
    const socket = this.requireOpen();
    // WhatsApp takes a revoke for any id, so an unknown one would "succeed" and delete nothing. Deleting
    // for everyone is allowed for about two days, well within what the message store keeps.
    const key = this.known(chat, messageId)?.key;
    if (!key) {
      throw new EngineRequestError(
        404,
        'message_not_found',
        `Message ${messageId} is not one this account sent or received in that chat recently, so it cannot be deleted.`,
      );
    }
    // Group admins may delete other people's messages too, so a known foreign key is used as it is.
    const sent = await socket.sendMessage(chat, { delete: key });
    if (sent?.key.id) this.deps.messages.put(sent);
  }

  async markRead(chat: string, messageIds: string[]): Promise<void> {
    const socket = this.requireOpen();
    const keys = messageIds.length > 0 ? messageIds.map((id) => this.keyOf(chat, id, false)) : this.deps.unreadKeys(chat);
    if (keys.length > 0) await socket.readMessages(keys);
  }

  async setPresence(chat: string, state: PresenceState): Promise<void> {
    await this.requireOpen().sendPresenceUpdate(state, chat);
  }

  async groups(): Promise<GroupSummary[]> {
    const groups = Object.values(await this.requireOpen().groupFetchAllParticipating());
    for (const group of groups) this.deps.rememberGroup(group);
    return groups
      .map((group) => ({
        jid: group.id,
        subject: group.subject,
        participants: group.size ?? group.participants.length,
        announce: group.announce ?? false,
        restrict: group.restrict ?? false,
        owner: group.ownerPn ?? group.owner ?? null,
        description: group.desc ?? null,
        created: group.creation ? new Date(group.creation * 1000).toISOString() : null,
      }))
      .sort((a, b) => (a.subject ?? '').localeCompare(b.subject ?? ''));
  }

  async checkNumber(phoneDigits: string): Promise<NumberCheck> {
    const results = (await this.requireOpen().onWhatsApp(phoneDigits)) ?? [];
    // WhatsApp may answer with the number in its canonical form, so the answer's jid is the one to use.
    const found = results.find((result) => result.exists);
    return found ? { exists: true, jid: jidNormalizedUser(found.jid) } : { exists: false, jid: null };
  }

  async downloadMedia(messageId: string): Promise<{ data: Buffer; mimetype: string | null; filename: string | null } | null> {
    const socket = this.requireOpen();
    const message = this.deps.messages.get({ id: messageId });
    const content = normalizeMessageContent(message?.message);
    const media =
      content?.imageMessage ??
      content?.videoMessage ??
      content?.ptvMessage ??
      content?.audioMessage ??
      content?.documentMessage ??
      content?.stickerMessage;
    if (!message || !media) return null;
    const data = await this.fetchMedia(socket, message);
    const filename = content?.documentMessage?.fileName ?? null;
    return { data, mimetype: media.mimetype ?? null, filename };
  }

  /**
   * WhatsApp deletes media from its servers after a while (404/410); the sender's phone can upload
   * it again. Baileys' own re-upload path does not recognise its fetch errors, so it is done here,
   * bounded: an offline phone never answers.
   */
  private downloadOptions(): { options?: { dispatcher: Dispatcher } } {
    return this.deps.mediaDispatcher ? { options: { dispatcher: this.deps.mediaDispatcher } } : {};
  }

  private async fetchMedia(socket: WASocket, message: WAMessage): Promise<Buffer> {
    try {
      return await downloadMediaMessage(message, 'buffer', this.downloadOptions());
    } catch (err) {
      if (!isExpiredMedia(err)) throw err;
    }
    const waitMs = this.deps.mediaReuploadTimeoutMs ?? MEDIA_REUPLOAD_TIMEOUT_MS;
    this.deps.logger.info({ id: message.key.id }, 'media expired on WhatsApp; asking the sender to upload it again');
    const refreshed = await withTimeout(socket.updateMediaMessage(message), waitMs, () => mediaUnavailable(waitMs));
    this.deps.messages.put(refreshed);
    return downloadMediaMessage(refreshed, 'buffer', this.downloadOptions());
  }
}

/** WhatsApp's media host answers 404 or 410 for media it no longer holds. */
function isExpiredMedia(error: unknown): boolean {
  const { status, output } = (error ?? {}) as { status?: unknown; output?: { statusCode?: unknown } };
  const code = typeof status === 'number' ? status : output?.statusCode;
  return code === 404 || code === 410;
}
