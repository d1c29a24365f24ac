/**
 * The journal's per-kind fields of a message (`kind`, `text`, `media`, `location`, …): every
 * field is present, null where the kind has none, so consumers never test for missing keys.
 */
import { proto, toNumber, type WAMessage } from 'baileys';

import type { ContactInfo, LocationInfo, MediaInfo, MessageData, MessageKind } from '../journal/types.js';
import { hasUserVisibleContent, phoneFromVcard, unwrapContent } from './message-content.js';
import type { NormaliseContext } from './normalise-context.js';
import { pollDefinitionOf } from './poll-crypto.js';
import { readPollVote } from './poll-votes.js';

export type KindFields = Pick<
  MessageData,
  | 'kind'
  | 'text'
  | 'caption'
  | 'media'
  | 'location'
  | 'contact'
  | 'poll'
  | 'reaction'
  | 'poll_vote'
  | 'target_id'
>;

const EMPTY_FIELDS: Omit<KindFields, 'kind'> = {
  text: null,
  caption: null,
  media: null,
  location: null,
  contact: null,
  poll: null,
  reaction: null,
  poll_vote: null,
  target_id: null,
};

function fields(kind: MessageKind, values: Partial<Omit<KindFields, 'kind'>> = {}): KindFields {
  return { kind, ...EMPTY_FIELDS, ...values };
}

type LongLike = Parameters<typeof toNumber>[0];

function mediaInfo(
  id: string,
  media: {
    mimetype?: string | null;
    fileLength?: LongLike;
    seconds?: number | null;
    fileName?: string | null;
  },
): MediaInfo {
  const size = media.fileLength === null || media.fileLength === undefined ? null : toNumber(media.fileLength);
  return {
    media_id: `r_${id}`,
    mimetype: media.mimetype ?? null,
    filename: media.fileName ?? null,
    size,
    seconds: media.seconds ?? null,
  };
}

function contactInfo(contact: proto.Message.IContactMessage): ContactInfo {
  return {
    name: contact.displayName ?? null,
    phone: phoneFromVcard(contact.vcard),
    vcard: contact.vcard ?? null,
  };
}

function locationInfo(
  latitude: number | null | undefined,
  longitude: number | null | undefined,
  name: string | null | undefined,
  address: string | null | undefined,
): LocationInfo {
  return { latitude: latitude ?? 0, longitude: longitude ?? 0, name: name ?? null, address: address ?? null };
}

/** Text (or caption) of the replacement content of an edit. */
function editedText(edited: proto.IMessage | null | undefined): { text: string | null; caption: string | null } {
  const content = unwrapContent(edited);
  if (!content) return { text: null, caption: null };
  const text = content.conversation ?? content.extendedTextMessage?.text ?? null;
  const caption =
    content.imageMessage?.caption ??
    content.videoMessage?.caption ??
    content.documentMessage?.caption ??
    null;
  return { text: text ?? caption, caption };
}

/**
 * Edits, deletes and reactions point at an earlier message; votes point at a poll. Null when such
 * content cannot be used, undefined when the content refers to nothing.
 */
async function referringFields(message: WAMessage, content: proto.IMessage, ctx: NormaliseContext): Promise<KindFields | null | undefined> {
  const protocol = content.protocolMessage;
  if (protocol) {
    const targetId = protocol.key?.id ?? null;
    if (protocol.type === proto.Message.ProtocolMessage.Type.REVOKE && targetId) {
      return fields('delete', { target_id: targetId });
    }
    if (protocol.type === proto.Message.ProtocolMessage.Type.MESSAGE_EDIT && targetId) {
      return fields('edit', { target_id: targetId, ...editedText(protocol.editedMessage) });
    }
    return null;
  }
  if (content.reactionMessage) {
    const reaction = content.reactionMessage;
    if (!reaction.key?.id) return null;
    return fields('reaction', { reaction: { message_id: reaction.key.id, emoji: reaction.text ?? '' } });
  }
  if (content.pollUpdateMessage) {
    const vote = await readPollVote(message, content.pollUpdateMessage, ctx);
    return vote ? fields('poll_vote', { poll_vote: vote }) : null;
  }
  return undefined;
}

/** Text, media, places, contacts and polls: what a person wrote or shared. */
function authoredFields(id: string, content: proto.IMessage): KindFields | null {
  const poll = pollDefinitionOf(content);
  if (poll) return fields('poll', { poll });
  if (content.conversation !== null && content.conversation !== undefined) {
    return fields('text', { text: content.conversation });
  }
  if (content.extendedTextMessage) return fields('text', { text: content.extendedTextMessage.text ?? '' });
  if (content.imageMessage) {
    const image = content.imageMessage;
    return fields('image', { caption: image.caption ?? null, media: mediaInfo(id, image) });
  }
  const video = content.videoMessage ?? content.ptvMessage;
  if (video) return fields('video', { caption: video.caption ?? null, media: mediaInfo(id, video) });
  if (content.audioMessage) return fields('audio', { media: mediaInfo(id, content.audioMessage) });
  if (content.documentMessage) {
    const document = content.documentMessage;
    return fields('document', {
      caption: document.caption ?? null,
      media: mediaInfo(id, { ...document, fileName: document.fileName ?? document.title }),
    });
  }
  if (content.stickerMessage) return fields('sticker', { media: mediaInfo(id, content.stickerMessage) });
  if (content.locationMessage) {
    const l = content.locationMessage;
    return fields('location', {
      location: locationInfo(l.degreesLatitude, l.degreesLongitude, l.name, l.address),
      caption: l.comment ?? null,
    });
  }
  if (content.liveLocationMessage) {
    const l = content.liveLocationMessage;
    return fields('location', {
      location: locationInfo(l.degreesLatitude, l.degreesLongitude, null, null),
      caption: l.caption ?? null,
    });
  }
  if (content.contactMessage) return fields('contact', { contact: contactInfo(content.contactMessage) });
  const firstContact = content.contactsArrayMessage?.contacts?.[0];
  if (firstContact) return fields('contact', { contact: contactInfo(firstContact) });
  return hasUserVisibleContent(content) ? fields('other') : null;
}

/** The kind and its fields, or null when the content is nothing to journal. */
export async function kindFieldsOf(message: WAMessage, content: proto.IMessage, ctx: NormaliseContext): Promise<KindFields | null> {
  const referring = await referringFields(message, content, ctx);
  if (referring !== undefined) return referring;
  return authoredFields(message.key.id ?? '', content);
}
