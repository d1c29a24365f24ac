/**
 * Turns what Baileys emits into the journal's event data. Everything here is pure apart from the
 * look-ups in NormaliseContext, so the simulator feeds its messages through the same code.
 */
import {
  isJidBroadcast,
  isJidGroup,
  isJidNewsletter,
  isLidUser,
  isPnUser,
  jidDecode,
  jidNormalizedUser,
  normalizeMessageContent,
  proto,
  toNumber,
  type GroupMetadata,
  type GroupParticipant,
  type MessageUserReceiptUpdate,
  type ParticipantAction,
  type WAMessage,
  type WAMessageKey,
  type WAMessageUpdate,
} from 'baileys';
import type { Logger } from 'pino';

import type {
  ContactInfo,
  GroupData,
  LocationInfo,
  MediaInfo,
  MessageData,
  MessageKind,
  MessageStatus,
  MessageStatusData,
} from '../journal/types.js';
import { decryptVoteWithCandidates, pollDefinitionOf, selectedOptionNames } from './poll-crypto.js';

type MaybePromise<T> = T | Promise<T>;

/** What the normaliser needs to know beyond the message itself. */
export interface NormaliseContext {
  /** Our own phone-number jid without device suffix, once paired. */
  readonly ownJid: string | null;
  /** Our own LID without device suffix, when WhatsApp has told us. */
  readonly ownLid?: string | null;
  phoneJidForLid(lid: string): MaybePromise<string | null>;
  lidForPhoneJid?(phoneJid: string): MaybePromise<string | null>;
  groupSubject(groupJid: string): MaybePromise<string | null>;
  /** The content of an earlier message: the poll a vote refers to. Without it, votes are dropped. */
  messageContent?(key: WAMessageKey): MaybePromise<proto.IMessage | null | undefined>;
  /** Told why a message that looked real was dropped; never given message text. */
  readonly logger?: Pick<Logger, 'warn'>;
}

export interface StaticContextOptions {
  ownJid?: string | null;
  ownLid?: string | null;
  /** LID → phone-number jid pairs that are known. */
  lidToPhone?: Readonly<Record<string, string>>;
  groupSubjects?: Readonly<Record<string, string>>;
  messageContent?: (key: WAMessageKey) => proto.IMessage | undefined;
  logger?: Pick<Logger, 'warn'>;
}

/** A context backed by fixed tables, for the simulator and tests. */
export function staticNormaliseContext(options: StaticContextOptions = {}): NormaliseContext {
  const lidToPhone = options.lidToPhone ?? {};
  const phoneToLid = Object.fromEntries(Object.entries(lidToPhone).map(([lid, pn]) => [pn, lid]));
  return {
    ownJid: options.ownJid ?? null,
    ownLid: options.ownLid ?? null,
    phoneJidForLid: async (lid) => lidToPhone[jidNormalizedUser(lid)] ?? null,
    lidForPhoneJid: async (pn) => phoneToLid[jidNormalizedUser(pn)] ?? null,
    groupSubject: async (jid) => options.groupSubjects?.[jid] ?? null,
    messageContent: async (key) => options.messageContent?.(key),
    logger: options.logger,
  };
}

/** E.164 for a phone-number jid, null for anything else. */
export function phoneOfJid(jid: string | null | undefined): string | null {
  if (!jid || !isPnUser(jid)) return null;
  const user = jidDecode(jid)?.user;
  return user && /^\d+$/.test(user) ? `+${user}` : null;
}

type IdentityLookup = Pick<NormaliseContext, 'ownJid' | 'ownLid' | 'phoneJidForLid'>;

/** Prefers the phone-number jid of a user: the alternative WhatsApp sent along, else a known mapping. */
async function preferPhoneJid(jid: string, alt: string | null | undefined, ctx: IdentityLookup): Promise<string> {
  const normalised = jidNormalizedUser(jid);
  if (!isLidUser(normalised)) return normalised;
  if (alt && isPnUser(alt)) return jidNormalizedUser(alt);
  if (ctx.ownLid && normalised === ctx.ownLid && ctx.ownJid) return ctx.ownJid;
  const mapped = await ctx.phoneJidForLid(normalised);
  return mapped ? jidNormalizedUser(mapped) : normalised;
}

function isSameUser(a: string | null | undefined, b: string | null | undefined): boolean {
  return !!a && !!b && jidNormalizedUser(a) === jidNormalizedUser(b);
}

/** Chats the journal does not cover: status updates, channels and broadcast lists. */
function isIgnoredChat(jid: string): boolean {
  return isJidBroadcast(jid) === true || isJidNewsletter(jid) === true;
}

/** Wrappers that only carry another message; Baileys unwraps most, these few it leaves. */
function unwrapContent(message: proto.IMessage | null | undefined): proto.IMessage | undefined {
  let content = normalizeMessageContent(message);
  for (let depth = 0; content && depth < 5; depth++) {
    const inner =
      content.deviceSentMessage?.message ??
      content.groupMentionedMessage?.message ??
      content.lottieStickerMessage?.message ??
      content.botInvokeMessage?.message ??
      content.pollCreationMessageV4?.message;
    if (!inner) break;
    content = normalizeMessageContent(inner);
  }
  return content;
}

/** Content keys that carry no user-visible message. */
const NOISE_CONTENT_KEYS = new Set<string>([
  'senderKeyDistributionMessage',
  'fastRatchetKeySenderKeyDistributionMessage',
  'messageContextInfo',
  'protocolMessage',
  'keepInChatMessage',
  'placeholderMessage',
  'secretEncryptedMessage',
  'encEventResponseMessage',
  'stickerSyncRmrMessage',
  // Encrypted reactions and comments of community announcements: nothing readable to report.
  'encReactionMessage',
  'encCommentMessage',
]);

function hasUserVisibleContent(content: proto.IMessage): boolean {
  return Object.entries(content).some(
    ([key, value]) =>
      value !== null &&
      value !== undefined &&
      !NOISE_CONTENT_KEYS.has(key) &&
      (key === 'conversation' || key.endsWith('Message')),
  );
}

type KindFields = Pick<
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

/** The phone number a vCard names: WhatsApp's `waid` when present, else the first TEL line. */
export function phoneFromVcard(vcard: string | null | undefined): string | null {
  if (!vcard) return null;
  const waid = /waid=(\d+)/i.exec(vcard);
  if (waid?.[1]) return `+${waid[1]}`;
  const tel = /^TEL[^:]*:(.+)$/im.exec(vcard);
  if (!tel?.[1]) return null;
  const digits = tel[1].replace(/[^\d+]/g, '');
  if (!digits) return null;
  return digits.startsWith('+') ? digits : `+${digits}`;
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

async function pollVoteFields(
  message: WAMessage,
  update: proto.Message.IPollUpdateMessage,
  ctx: NormaliseContext,
): Promise<KindFields | null> {
  const pollKey = update.pollCreationMessageKey;
  const pollId = pollKey?.id;
  if (!pollKey || !pollId || !update.vote) return null;
  const stored = await ctx.messageContent?.(pollKey);
  const pollContent = unwrapContent(stored);
  const poll = pollContent ? pollDefinitionOf(pollContent) : null;
  // The secret sits beside the outermost content, or inside when our other device's copy was unwrapped.
  const secret = stored?.messageContextInfo?.messageSecret ?? pollContent?.messageContextInfo?.messageSecret;
  if (!poll || !secret) {
    ctx.logger?.warn({ pollId, messageId: message.key.id }, 'poll vote for a poll this service has not seen; dropped');
    return null;
  }
  const creatorCandidates = pollKey.fromMe
    ? ownIdentities(ctx)
    : await identitiesOf(pollKey.participant || pollKey.remoteJid, null, ctx);
  const voterCandidates = message.key.fromMe
    ? ownIdentities(ctx)
    : await identitiesOf(
        message.key.participant || message.key.remoteJid,
        message.key.participantAlt || message.key.remoteJidAlt,
        ctx,
      );
  const hashes = decryptVoteWithCandidates({
    vote: update.vote,
    pollId,
    secret,
    creatorCandidates,
    voterCandidates,
  });
  if (!hashes) {
    ctx.logger?.warn({ pollId, messageId: message.key.id }, 'poll vote could not be decrypted; dropped');
    return null;
  }
  return fields('poll_vote', { poll_vote: { poll_id: pollId, selected: selectedOptionNames(poll, hashes) } });
}

function ownIdentities(ctx: NormaliseContext): string[] {
  return [ctx.ownJid, ctx.ownLid].filter((jid): jid is string => !!jid);
}

/** A user's jid plus its other form (phone number ⇄ LID) where known. */
async function identitiesOf(
  jid: string | null | undefined,
  alt: string | null | undefined,
  ctx: NormaliseContext,
): Promise<string[]> {
  if (!jid) return [];
  const identities = [jid];
  if (alt) identities.push(alt);
  const other = isLidUser(jid) ? await ctx.phoneJidForLid(jid) : await ctx.lidForPhoneJid?.(jid);
  if (other) identities.push(other);
  return identities;
}

async function kindFields(message: WAMessage, content: proto.IMessage, ctx: NormaliseContext): Promise<KindFields | null> {
  const id = message.key.id ?? '';
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
  if (content.pollUpdateMessage) return pollVoteFields(message, content.pollUpdateMessage, ctx);
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

/** The contextInfo of whatever content type the message is, for replies and mentions. */
function contextInfoOf(content: proto.IMessage): proto.IContextInfo | null {
  for (const inner of Object.values(content) as unknown[]) {
    if (inner && typeof inner === 'object' && 'contextInfo' in inner) {
      const info = (inner as { contextInfo?: proto.IContextInfo | null }).contextInfo;
      if (info) return info;
    }
  }
  return null;
}

function isoTimestamp(value: WAMessage['messageTimestamp']): string {
  const seconds = value === null || value === undefined ? 0 : toNumber(value);
  return new Date(seconds > 0 ? seconds * 1000 : Date.now()).toISOString();
}

/**
 * The journal's `message` data for a message Baileys delivered, or null when the message is not
 * something a person sent (protocol traffic, system stubs, status updates, channels, broadcasts).
 */
export async function normaliseMessage(message: WAMessage, ctx: NormaliseContext): Promise<MessageData | null> {
  const { key } = message;
  const id = key.id;
  const rawChat = key.remoteJid;
  if (!id || !rawChat || isIgnoredChat(rawChat)) return null;
  if (message.messageStubType) return null;
  const content = unwrapContent(message.message);
  if (!content) return null;

  const kind = await kindFields(message, content, ctx);
  if (!kind) return null;

  const fromMe = key.fromMe === true;
  const isGroup = isJidGroup(rawChat) === true;
  let chat: string;
  let sender: string;
  if (isGroup) {
    chat = rawChat;
    sender =
      fromMe && ctx.ownJid
        ? ctx.ownJid
        : await preferPhoneJid(key.participant ?? rawChat, key.participantAlt, ctx);
  } else {
    // For our own messages Baileys may put *our* phone number in remoteJidAlt, not the peer's.
    const peerAlt = fromMe && isSameUser(key.remoteJidAlt, ctx.ownJid) && !isSameUser(rawChat, ctx.ownLid)
      ? null
      : key.remoteJidAlt;
    chat = await preferPhoneJid(rawChat, peerAlt, ctx);
    sender = fromMe ? (ctx.ownJid ?? chat) : chat;
  }

  const contextInfo = contextInfoOf(content);
  const mentions = await Promise.all(
    (contextInfo?.mentionedJid ?? []).map((jid) => preferPhoneJid(jid, null, ctx)),
  );
  const pushName = message.pushName || null;
  const chatName = isGroup ? await ctx.groupSubject(rawChat) : fromMe ? null : pushName;

  return {
    id,
    chat,
    chat_type: isGroup ? 'group' : 'individual',
    chat_name: chatName,
    sender,
    sender_phone: phoneOfJid(sender),
    sender_name: pushName,
    from_me: fromMe,
    timestamp: isoTimestamp(message.messageTimestamp),
    ...kind,
    quoted_id: contextInfo?.stanzaId || null,
    mentions,
  };
}

const STATUS_BY_PROTO: ReadonlyMap<proto.WebMessageInfo.Status, MessageStatus> = new Map([
  [proto.WebMessageInfo.Status.ERROR, 'failed'],
  [proto.WebMessageInfo.Status.SERVER_ACK, 'sent'],
  [proto.WebMessageInfo.Status.DELIVERY_ACK, 'delivered'],
  [proto.WebMessageInfo.Status.READ, 'read'],
  [proto.WebMessageInfo.Status.PLAYED, 'played'],
]);

function statusOfUserReceipt(receipt: proto.IUserReceipt): MessageStatus | null {
  if (receipt.playedTimestamp) return 'played';
  if (receipt.readTimestamp) return 'read';
  if (receipt.receiptTimestamp) return 'delivered';
  return null;
}

/**
 * A delivery/read status for one of our own messages: from `messages.update` (1:1 chats, send
 * errors) or `message-receipt.update` (per group member). Null for anything else, including
 * statuses of other people's messages and the PENDING state.
 */
export async function normaliseReceipt(
  update: WAMessageUpdate | MessageUserReceiptUpdate,
  ctx: IdentityLookup,
): Promise<MessageStatusData | null> {
  const { key } = update;
  if (!key.fromMe || !key.id || !key.remoteJid || isIgnoredChat(key.remoteJid)) return null;
  let status: MessageStatus | null;
  if ('receipt' in update) {
    status = statusOfUserReceipt(update.receipt);
  } else {
    const protoStatus = update.update.status;
    status = protoStatus === null || protoStatus === undefined ? null : (STATUS_BY_PROTO.get(protoStatus) ?? null);
  }
  if (!status) return null;
  const chat = isJidGroup(key.remoteJid)
    ? key.remoteJid
    : await preferPhoneJid(key.remoteJid, key.remoteJidAlt, ctx);
  return { id: key.id, chat, status };
}

export interface GroupParticipantsUpdate {
  id: string;
  participants: GroupParticipant[];
  action: ParticipantAction;
}

/** A `group-participants.update`; participants as phone-number jids where known. */
export async function normaliseGroupParticipants(
  update: GroupParticipantsUpdate,
  ctx: IdentityLookup,
): Promise<GroupData> {
  const participants = await Promise.all(
    update.participants.map((p) => preferPhoneJid(p.id, p.phoneNumber, ctx)),
  );
  return { jid: update.id, action: update.action, participants, subject: null };
}

/** A `groups.update` entry becomes a `subject` event when the subject changed; other changes are not journalled. */
export function normaliseGroupUpdate(update: Partial<GroupMetadata>): GroupData | null {
  if (!update.id || typeof update.subject !== 'string') return null;
  return { jid: update.id, action: 'subject', participants: [], subject: update.subject };
}
