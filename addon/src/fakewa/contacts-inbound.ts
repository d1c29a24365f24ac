/**
 * A contact writing to a linked account: the `<message>` stanza exactly as WhatsApp delivers it to
 * one companion device, end-to-end encrypted by the contact's own Signal peer. LID-addressed
 * (`from=<lid>@lid` + `sender_pn`) or phone-number-addressed (`from=<phone>@s.whatsapp.net` +
 * `sender_lid`); in groups the same with `participant`, a sender-key `skmsg`, and the sender key
 * itself (pairwise) the first time this device hears from the contact in that group.
 */
import { createHash, randomBytes } from 'node:crypto';

import { encodeBigEndian, normalizeMessageContent, type BinaryNode, type MediaType, type proto } from 'baileys';

import type { Addressing, Contact } from './contacts-book.js';
import { unixTime } from './stanzas.js';

export interface InboundEnvelope {
  id: string;
  /** Seconds since the epoch. */
  timestamp: number;
  addressing: Addressing;
  /** A group jid, or undefined for a 1:1 message. */
  group?: string;
  pushName: string | null;
  /**
   * Set when the account's own phone is the author of a 1:1 message (`from` is the account's own
   * jid): the contact it was written to, named by `recipient` so the companion files it in that chat.
   */
  recipient?: Contact;
  /** Handed over from WhatsApp's offline queue: the account was away when it was sent. */
  offline?: boolean;
  /** Ciphertext the account cannot decrypt, as when the two sides' sessions are out of step. */
  garbled?: boolean;
}

/** The account device as the contact addresses it, and how to open a session with it. */
export interface AccountDevice {
  /** `lid:device@lid`: the Signal address contacts use for this companion. */
  jid: string;
  startSession(contact: Contact): Promise<void>;
}

/** The stanza `type` WhatsApp gives a message, from its content (as Baileys' own sender does). */
export function stanzaTypeOf(message: proto.IMessage): string {
  const content = normalizeMessageContent(message);
  if (!content) return 'text';
  if (content.reactionMessage || content.encReactionMessage) return 'reaction';
  if (content.pollCreationMessage || content.pollCreationMessageV2 || content.pollCreationMessageV3 || content.pollUpdateMessage) return 'poll';
  if (content.eventMessage) return 'event';
  return mediaTypeOf(content) ? 'media' : 'text';
}

/** The `mediatype` attribute of `<enc>` for media content. */
export function mediaTypeOf(message: proto.IMessage): string | undefined {
  const content = normalizeMessageContent(message);
  if (!content) return undefined;
  if (content.imageMessage) return 'image';
  if (content.videoMessage) return content.videoMessage.gifPlayback ? 'gif' : 'video';
  if (content.audioMessage) return content.audioMessage.ptt ? 'ptt' : 'audio';
  if (content.documentMessage) return 'document';
  if (content.stickerMessage) return 'sticker';
  if (content.contactMessage) return 'vcard';
  if (content.locationMessage) return 'location';
  return undefined;
}

/** The media part of a message and the media type its keys are derived for, if it carries a file. */
export function mediaPartOf(message: proto.IMessage): { part: proto.Message.IImageMessage & { fileName?: string | null }; mediaType: MediaType } | undefined {
  const content = normalizeMessageContent(message);
  if (!content) return undefined;
  if (content.imageMessage) return { part: content.imageMessage, mediaType: 'image' };
  if (content.videoMessage) return { part: content.videoMessage, mediaType: 'video' };
  if (content.audioMessage) return { part: content.audioMessage, mediaType: 'audio' };
  if (content.documentMessage) return { part: content.documentMessage, mediaType: 'document' };
  if (content.stickerMessage) return { part: content.stickerMessage, mediaType: 'sticker' };
  return undefined;
}

function envelopeAttrs(contact: Contact, envelope: InboundEnvelope, message: proto.IMessage): Record<string, string> {
  const attrs: Record<string, string> = {
    id: envelope.id,
    t: envelope.timestamp.toString(),
    type: stanzaTypeOf(message),
  };
  if (envelope.pushName) attrs.notify = envelope.pushName;
  if (envelope.offline) attrs.offline = '1';
  if (envelope.group) {
    attrs.from = envelope.group;
    if (envelope.addressing === 'lid') {
      attrs.participant = contact.lidJid;
      attrs.participant_pn = contact.pnJid;
    } else {
      attrs.participant = contact.pnJid;
      attrs.participant_lid = contact.lidJid;
    }
    attrs.addressing_mode = envelope.addressing;
  } else if (envelope.recipient) {
    // Attribute names as whatsmeow reads them for messages from one's own devices.
    const peer = envelope.recipient;
    attrs.from = contact.userJid(envelope.addressing);
    attrs.recipient = peer.userJid(envelope.addressing);
    if (envelope.addressing === 'lid') {
      attrs.peer_recipient_pn = peer.pnJid;
      attrs.addressing_mode = 'lid';
    } else {
      attrs.peer_recipient_lid = peer.lidJid;
    }
  } else if (envelope.addressing === 'lid') {
    attrs.from = contact.lidJid;
    attrs.sender_pn = contact.pnJid;
    attrs.addressing_mode = 'lid';
  } else {
    attrs.from = contact.pnJid;
    attrs.sender_lid = contact.lidJid;
  }
  return attrs;
}

function encNode(type: string, ciphertext: Uint8Array, mediatype: string | undefined): BinaryNode {
  return { tag: 'enc', attrs: { v: '2', type, ...(mediatype ? { mediatype } : {}) }, content: ciphertext };
}

/** Encrypts `message` from the contact's primary device for one account device and wraps it. */
export async function inboundStanza(contact: Contact, device: AccountDevice, envelope: InboundEnvelope, message: proto.IMessage): Promise<BinaryNode> {
  if (envelope.garbled) return { tag: 'message', attrs: envelopeAttrs(contact, envelope, message), content: [encNode('msg', randomBytes(64), undefined)] };
  const peer = contact.device(0);
  if (!(await peer.hasSession(device.jid))) await device.startSession(contact);
  const mediatype = mediaTypeOf(message);
  const content: BinaryNode[] = [];
  if (envelope.group) {
    const { ciphertext, distribution } = await peer.encryptGroup(envelope.group, contact.lidJid, message);
    if (!peer.hasSentSenderKey(envelope.group, device.jid)) {
      const pairwise = await peer.encrypt(device.jid, { senderKeyDistributionMessage: distribution });
      content.push(encNode(pairwise.type, pairwise.ciphertext, undefined));
      peer.markSenderKeySent(envelope.group, device.jid);
    }
    content.push(encNode('skmsg', ciphertext, mediatype));
  } else {
    const { type, ciphertext } = await peer.encrypt(device.jid, message);
    content.push(encNode(type, ciphertext, mediatype));
  }
  return { tag: 'message', attrs: envelopeAttrs(contact, envelope, message), content };
}

/** A receipt a contact's device sends for a message the account sent it. */
export function contactReceipt(
  contactJid: string,
  ids: string[],
  type: 'delivered' | 'read' | 'played',
  group?: string,
): BinaryNode {
  const attrs: Record<string, string> = { id: ids[0]!, t: unixTime() };
  if (group) {
    attrs.from = group;
    attrs.participant = contactJid;
  } else {
    attrs.from = contactJid;
  }
  if (type !== 'delivered') attrs.type = type;
  const rest = ids.slice(1);
  const node: BinaryNode = { tag: 'receipt', attrs };
  if (rest.length) node.content = [{ tag: 'list', attrs: {}, content: rest.map((id) => ({ tag: 'item', attrs: { id } })) }];
  return node;
}

/**
 * A contact's device could not decrypt `id` and asks the account to send it again: a retry receipt
 * with the device's registration id (`participant` names the device in groups).
 */
export function retryReceipt(id: string, deviceJid: string, registrationId: number, sentAt: number, group?: string): BinaryNode {
  return {
    tag: 'receipt',
    attrs: { id, type: 'retry', t: unixTime(), ...(group ? { from: group, participant: deviceJid } : { from: deviceJid }) },
    content: [
      { tag: 'retry', attrs: { count: '1', id, t: sentAt.toString(), v: '1' } },
      { tag: 'registration', attrs: {}, content: encodeBigEndian(registrationId, 4) },
    ],
  };
}

/** A file a contact's device uploaded, as its message must name it. */
export interface UploadedFile {
  url: string;
  directPath: string;
  mediaKey: Uint8Array;
  fileSha256: Uint8Array;
  fileEncSha256: Uint8Array;
  fileLength: number;
}

/**
 * Puts the file a media message names on the media host, as the contact's phone does before it
 * sends: bytes derived from the message id (so a test can tell them apart), of the size the message
 * states, and the message then carries the real keys and location. The sender's phone remembers
 * the file so it can upload it again when asked.
 */
export async function attachUploadedMedia(
  message: proto.IMessage,
  id: string,
  upload: (bytes: Uint8Array, mediaType: MediaType) => Promise<UploadedFile>,
  remember?: (messageId: string, media: { mediaKey: Uint8Array; fileEncSha256: Uint8Array; mediaType: MediaType }) => void,
): Promise<void> {
  const media = mediaPartOf(message);
  if (!media) return;
  const size = Math.min(Number(media.part.fileLength ?? 1024) || 1024, 8 * 1024 * 1024);
  const seed = createHash('sha256').update(id).digest();
  const bytes = Buffer.alloc(size);
  for (let offset = 0; offset < size; offset += seed.length) seed.copy(bytes, offset);
  const uploaded = await upload(bytes, media.mediaType);
  remember?.(id, { mediaKey: uploaded.mediaKey, fileEncSha256: uploaded.fileEncSha256, mediaType: media.mediaType });
  Object.assign(media.part, {
    url: uploaded.url,
    directPath: uploaded.directPath,
    mediaKey: uploaded.mediaKey,
    fileSha256: uploaded.fileSha256,
    fileEncSha256: uploaded.fileEncSha256,
    fileLength: uploaded.fileLength,
  });
}
