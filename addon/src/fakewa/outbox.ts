/**
 * What the contacts read: every message the account sent, as the recipient decrypted it, in the
 * field names the simulator's outbox has always used (`GET /v1/simulator/outbox`).
 */
import { createHash } from 'node:crypto';

import { normalizeMessageContent, proto, type BinaryNode, type MediaType } from 'baileys';

import { contextInfoOf, phoneFromVcard } from '../engine/message-content.js';
import type { MediaReference } from './media-host.js';

export interface OutboxEntry {
  id: string;
  /** The chat written to: the contact's phone-number jid, or the group jid. */
  to: string;
  type: string;
  sent_at: string;
  [field: string]: unknown;
}

/** What the contacts read so far, in order. Each message appears once, however often it was resent. */
export class Outbox {
  private readonly entries: OutboxEntry[] = [];
  private readonly ids = new Set<string>();

  record(entry: Omit<OutboxEntry, 'sent_at'>): void {
    const recorded = { ...entry, sent_at: new Date().toISOString() } as OutboxEntry;
    this.ids.add(recorded.id);
    this.entries.push(recorded);
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  list(): OutboxEntry[] {
    return [...this.entries];
  }
}

/** Downloads and decrypts a media file from the network's media host. */
export type DownloadMedia = (media: MediaReference) => Promise<Uint8Array>;

type MediaMessage =
  | proto.Message.IImageMessage
  | proto.Message.IVideoMessage
  | proto.Message.IAudioMessage
  | proto.Message.IDocumentMessage
  | proto.Message.IStickerMessage;

const MEDIA_KINDS: ReadonlyArray<[keyof proto.IMessage, string, MediaType]> = [
  ['imageMessage', 'image', 'image'],
  ['videoMessage', 'video', 'video'],
  ['audioMessage', 'audio', 'audio'],
  ['documentMessage', 'document', 'document'],
  ['stickerMessage', 'sticker', 'sticker'],
];

async function mediaFields(media: MediaMessage, mediaType: MediaType, download: DownloadMedia | undefined): Promise<Record<string, unknown>> {
  // Every kind carries the same fields, null where the kind has none (a voice note has no caption).
  const fields: Record<string, unknown> = {
    mimetype: media.mimetype ?? null,
    caption: (media as proto.Message.IImageMessage).caption || null,
    filename: (media as proto.Message.IDocumentMessage).fileName || null,
  };
  if (mediaType === 'audio') fields.voice = (media as proto.Message.IAudioMessage).ptt ?? false;
  if (download && media.mediaKey) {
    const bytes = await download({
      directPath: media.directPath,
      url: media.url,
      mediaKey: media.mediaKey,
      mediaType,
      fileEncSha256: media.fileEncSha256,
      fileSha256: media.fileSha256,
    });
    fields.size = bytes.length;
    fields.sha256 = createHash('sha256').update(bytes).digest('hex');
  } else {
    fields.size = media.fileLength === null || media.fileLength === undefined ? null : Number(media.fileLength);
  }
  return fields;
}

/**
 * The outbox fields for one decrypted message, or null for content that is not a message a person
 * sees (sender-key distribution only, protocol housekeeping).
 */
export async function outboxFields(message: proto.IMessage, download?: DownloadMedia): Promise<({ type: string } & Record<string, unknown>) | null> {
  const content = normalizeMessageContent(message);
  if (!content) return null;
  const protocol = content.protocolMessage;
  if (protocol) {
    if (protocol.type === proto.Message.ProtocolMessage.Type.REVOKE) return { type: 'delete', message_id: protocol.key?.id ?? null };
    if (protocol.type === proto.Message.ProtocolMessage.Type.MESSAGE_EDIT) {
      const edited = protocol.editedMessage;
      const text = edited?.conversation ?? edited?.extendedTextMessage?.text ?? edited?.imageMessage?.caption ?? edited?.videoMessage?.caption ?? null;
      return { type: 'edit', message_id: protocol.key?.id ?? null, text };
    }
    return null;
  }
  const context = contextInfoOf(content);
  const common: Record<string, unknown> = {};
  if (context?.stanzaId) common.reply_to = context.stanzaId;
  if (context?.mentionedJid?.length) common.mentions = context.mentionedJid;

  if (content.conversation !== null && content.conversation !== undefined) return { type: 'text', text: content.conversation, ...common };
  if (content.extendedTextMessage) return { type: 'text', text: content.extendedTextMessage.text ?? '', ...common };
  for (const [field, type, mediaType] of MEDIA_KINDS) {
    const media = content[field] as MediaMessage | null | undefined;
    if (media) return { type, ...(await mediaFields(media, mediaType, download)), ...common };
  }
  if (content.locationMessage) {
    const location = content.locationMessage;
    return {
      type: 'location',
      latitude: location.degreesLatitude ?? null,
      longitude: location.degreesLongitude ?? null,
      name: location.name ?? null,
      address: location.address ?? null,
      ...common,
    };
  }
  if (content.contactMessage) {
    return { type: 'contact', name: content.contactMessage.displayName ?? null, phone: phoneFromVcard(content.contactMessage.vcard), ...common };
  }
  const poll = content.pollCreationMessage ?? content.pollCreationMessageV2 ?? content.pollCreationMessageV3;
  if (poll) {
    return {
      type: 'poll',
      question: poll.name ?? '',
      options: (poll.options ?? []).map((option) => option.optionName ?? ''),
      multiple: (poll.selectableOptionsCount ?? 0) !== 1,
      ...common,
    };
  }
  if (content.reactionMessage) return { type: 'reaction', message_id: content.reactionMessage.key?.id ?? null, emoji: content.reactionMessage.text ?? '' };
  if (content.senderKeyDistributionMessage && Object.keys(content).length === 1) return null;
  return { type: 'other', ...common };
}

export type PresenceOutboxState = 'composing' | 'recording' | 'paused' | 'available' | 'unavailable';

/** What a `<chatstate>` the account sends says: `composing` (or `recording`, its audio form) or `paused`. */
export function chatstateOf(node: BinaryNode): { to: string; state: PresenceOutboxState } | null {
  if (node.tag !== 'chatstate' || !node.attrs.to) return null;
  const first = Array.isArray(node.content) ? node.content[0] : undefined;
  if (first?.tag === 'composing') return { to: node.attrs.to, state: first.attrs.media === 'audio' ? 'recording' : 'composing' };
  if (first?.tag === 'paused') return { to: node.attrs.to, state: 'paused' };
  return null;
}

/** The account's own availability from a `<presence type=available|unavailable>` (not a subscription). */
export function availabilityOf(node: BinaryNode): 'available' | 'unavailable' | null {
  if (node.tag !== 'presence' || node.attrs.to) return null;
  const type = node.attrs.type;
  return type === 'available' || type === 'unavailable' ? type : null;
}

/** The message ids a read receipt the account sends names (`id`, then `<list><item id>`), or null for other receipts. */
export function readReceiptIds(node: BinaryNode): string[] | null {
  if (node.tag !== 'receipt' || (node.attrs.type !== 'read' && node.attrs.type !== 'read-self') || !node.attrs.id) return null;
  const list = Array.isArray(node.content) ? node.content.find((child) => child.tag === 'list') : undefined;
  const items = Array.isArray(list?.content) ? list.content : [];
  return [node.attrs.id, ...items.map((item) => item.attrs.id ?? '').filter((id) => id !== '')];
}
