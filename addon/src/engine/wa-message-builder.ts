/**
 * Builds real Baileys `WebMessageInfo` protobufs shaped the way WhatsApp delivers them (after
 * Baileys has decrypted and cleaned them), from a simple description. The simulator delivers these
 * through the real normaliser, and the normaliser's tests use them.
 */
import { randomBytes } from 'node:crypto';

import {
  generateMessageID,
  isJidGroup,
  jidDecode,
  jidNormalizedUser,
  proto,
  type WAMessage,
  type WAMessageKey,
} from 'baileys';

import type { MessageKind } from '../journal/types.js';
import { encryptPollVote, pollDefinitionOf } from './poll-crypto.js';

/** A description does not make a message WhatsApp could send; the text says what is wrong. */
export class IncomingSpecError extends Error {}

/** What a message says, in the journal's field names. Which fields matter depends on `kind`. */
export interface MessageContentSpec {
  /** Default `text`. */
  kind?: MessageKind;
  text?: string | null;
  caption?: string | null;
  media?: {
    mimetype?: string | null;
    filename?: string | null;
    size?: number | null;
    seconds?: number | null;
  } | null;
  /** Audio only: a voice note (push-to-talk) rather than an audio file. */
  voice?: boolean;
  location?: { latitude: number; longitude: number; name?: string | null; address?: string | null } | null;
  contact?: { name?: string | null; phone?: string | null } | null;
  poll?: { question: string; options: string[]; multiple: boolean } | null;
  reaction?: { message_id: string; emoji: string } | null;
  poll_vote?: { poll_id: string; selected: string[] } | null;
  /** `edit` / `delete`: the message changed. */
  target_id?: string | null;
  quoted_id?: string | null;
  /** Mentioned users as jids. */
  mentions?: string[];
}

export interface IncomingSpec extends MessageContentSpec {
  /** Sender jid (phone-number jid or LID). With `fromMe`, the 1:1 peer we wrote to. */
  from: string;
  /** The sender's other identity as WhatsApp sends it along (its phone-number jid when `from` is a LID). */
  fromAlt?: string | null;
  /** A group jid; omitted for a 1:1 chat with `from`. */
  chat?: string | null;
  id?: string | null;
  /** The sender's push name. */
  name?: string | null;
  /** Written by us on another device (the phone) rather than received. */
  fromMe?: boolean;
  /** Unix seconds; default now. */
  timestamp?: number | null;
}

export interface BuildOptions {
  /** Earlier messages, needed for poll votes (the poll's secret) and to fill reply/reaction keys. */
  findMessage?: (id: string, chat: string) => WAMessage | undefined;
}

const DEFAULT_MIMETYPES: Partial<Record<MessageKind, string>> = {
  image: 'image/jpeg',
  video: 'video/mp4',
  audio: 'audio/ogg; codecs=opus',
  document: 'application/octet-stream',
  sticker: 'image/webp',
};

interface BuildScope {
  chat: string;
  /** The author of the message being built, as a jid without device. */
  author: string;
  ownJid: string;
  options: BuildOptions;
}

function required<T>(value: T | null | undefined, what: string, kind: MessageKind): T {
  if (value === null || value === undefined) throw new IncomingSpecError(`A "${kind}" message needs ${what}.`);
  return value;
}

/** The key of an earlier message in `chat`, from our point of view, as WhatsApp's references carry it. */
function referencedKey(id: string, scope: BuildScope): WAMessageKey {
  const earlier = scope.options.findMessage?.(id, scope.chat);
  if (earlier) {
    return {
      remoteJid: earlier.key.remoteJid ?? scope.chat,
      fromMe: earlier.key.fromMe ?? false,
      id,
      participant: earlier.key.participant ?? undefined,
    };
  }
  return { remoteJid: scope.chat, fromMe: false, id };
}

function contextInfo(spec: MessageContentSpec, scope: BuildScope): proto.IContextInfo | undefined {
  const info: proto.IContextInfo = {};
  if (spec.quoted_id) {
    const quoted = scope.options.findMessage?.(spec.quoted_id, scope.chat);
    info.stanzaId = spec.quoted_id;
    if (quoted) {
      info.participant = quoted.key.fromMe ? scope.ownJid : (quoted.key.participant ?? quoted.key.remoteJid);
      info.quotedMessage = quoted.message ?? undefined;
    }
  }
  if (spec.mentions?.length) info.mentionedJid = spec.mentions;
  return Object.keys(info).length > 0 ? info : undefined;
}

function mediaFields(kind: MessageKind, spec: MessageContentSpec) {
  return {
    mimetype: spec.media?.mimetype ?? DEFAULT_MIMETYPES[kind],
    fileLength: spec.media?.size ?? undefined,
    // Real media carries its keys and hashes; a later download needs them to look real.
    mediaKey: randomBytes(32),
    fileSha256: randomBytes(32),
    fileEncSha256: randomBytes(32),
    mediaKeyTimestamp: Math.floor(Date.now() / 1000),
  };
}

function vcardFor(name: string, phone: string | null): string {
  const lines = ['BEGIN:VCARD', 'VERSION:3.0', `FN:${name}`];
  if (phone) {
    const digits = phone.replace(/\D/g, '');
    lines.push(`TEL;type=CELL;type=VOICE;waid=${digits}:+${digits}`);
  }
  lines.push('END:VCARD');
  return lines.join('\n');
}

function pollVoteContent(vote: { poll_id: string; selected: string[] }, scope: BuildScope): proto.IMessage {
  const poll = scope.options.findMessage?.(vote.poll_id, scope.chat);
  if (!poll?.message) {
    throw new IncomingSpecError(`There is no poll with id "${vote.poll_id}" in ${scope.chat} to vote on.`);
  }
  const definition = pollDefinitionOf(poll.message);
  const secret = poll.message.messageContextInfo?.messageSecret;
  if (!definition || !secret) {
    throw new IncomingSpecError(`Message "${vote.poll_id}" is not a poll.`);
  }
  const unknown = vote.selected.filter((option) => !definition.options.includes(option));
  if (unknown.length > 0) {
    throw new IncomingSpecError(
      `The poll has no option ${unknown.map((o) => `"${o}"`).join(', ')}; its options are ${definition.options.map((o) => `"${o}"`).join(', ')}.`,
    );
  }
  if (!definition.multiple && vote.selected.length > 1) {
    throw new IncomingSpecError('The poll allows a single choice only.');
  }
  const pollKey = referencedKey(vote.poll_id, scope);
  const creatorJid = pollKey.fromMe ? scope.ownJid : (pollKey.participant || pollKey.remoteJid || scope.chat);
  return {
    pollUpdateMessage: {
      pollCreationMessageKey: pollKey,
      vote: encryptPollVote(
        { pollId: vote.poll_id, secret, creatorJid: jidNormalizedUser(creatorJid), voterJid: scope.author },
        vote.selected,
      ),
      senderTimestampMs: Date.now(),
    },
  };
}

function textContent(text: string, info: proto.IContextInfo | undefined): proto.IMessage {
  // WhatsApp sends plain text as `conversation` and only uses the extended form when it needs context.
  return info ? { extendedTextMessage: { text, contextInfo: info } } : { conversation: text };
}

function contentFor(spec: MessageContentSpec, scope: BuildScope): proto.IMessage {
  const kind = spec.kind ?? 'text';
  const info = contextInfo(spec, scope);
  switch (kind) {
    case 'text':
      return textContent(required(spec.text, 'a "text"', kind), info);
    case 'image':
      return { imageMessage: { ...mediaFields(kind, spec), caption: spec.caption ?? undefined, contextInfo: info } };
    case 'video':
      return {
        videoMessage: {
          ...mediaFields(kind, spec),
          caption: spec.caption ?? undefined,
          seconds: spec.media?.seconds ?? undefined,
          contextInfo: info,
        },
      };
    case 'audio':
      return {
        audioMessage: {
          ...mediaFields(kind, spec),
          seconds: spec.media?.seconds ?? undefined,
          ptt: spec.voice ?? false,
          contextInfo: info,
        },
      };
    case 'document': {
      const fileName = spec.media?.filename ?? 'document';
      const document: proto.Message.IDocumentMessage = {
        ...mediaFields(kind, spec),
        fileName,
        title: fileName,
        caption: spec.caption ?? undefined,
        contextInfo: info,
      };
      // A captioned document arrives wrapped, as WhatsApp's clients send it.
      return spec.caption
        ? { documentWithCaptionMessage: { message: { documentMessage: document } } }
        : { documentMessage: document };
    }
    case 'sticker':
      return { stickerMessage: { ...mediaFields(kind, spec), isAnimated: false, contextInfo: info } };
    case 'location': {
      const location = required(spec.location, 'a "location"', kind);
      return {
        locationMessage: {
          degreesLatitude: location.latitude,
          degreesLongitude: location.longitude,
          name: location.name ?? undefined,
          address: location.address ?? undefined,
          contextInfo: info,
        },
      };
    }
    case 'contact': {
      const contact = required(spec.contact, 'a "contact"', kind);
      const name = contact.name ?? contact.phone ?? 'Contact';
      return { contactMessage: { displayName: name, vcard: vcardFor(name, contact.phone ?? null), contextInfo: info } };
    }
    case 'poll': {
      const poll = required(spec.poll, 'a "poll"', kind);
      if (poll.options.length < 2) throw new IncomingSpecError('A poll needs at least two options.');
      const creation: proto.Message.IPollCreationMessage = {
        name: poll.question,
        options: poll.options.map((optionName) => ({ optionName })),
        selectableOptionsCount: poll.multiple ? 0 : 1,
        contextInfo: info,
      };
      // Single-choice polls are v3, multiple-choice v1, as WhatsApp sends them; the secret keys the votes.
      return {
        ...(poll.multiple ? { pollCreationMessage: creation } : { pollCreationMessageV3: creation }),
        messageContextInfo: { messageSecret: randomBytes(32) },
      };
    }
    case 'reaction': {
      const reaction = required(spec.reaction, 'a "reaction"', kind);
      return {
        reactionMessage: {
          key: referencedKey(reaction.message_id, scope),
          text: reaction.emoji,
          senderTimestampMs: Date.now(),
        },
      };
    }
    case 'poll_vote':
      return pollVoteContent(required(spec.poll_vote, 'a "poll_vote"', kind), scope);
    case 'edit': {
      const targetId = required(spec.target_id, 'a "target_id"', kind);
      const text = required(spec.text ?? spec.caption, 'the new "text"', kind);
      // Edits arrive wrapped in `editedMessage`, holding the protocol message that names the target.
      return {
        editedMessage: {
          message: {
            protocolMessage: {
              key: { remoteJid: scope.chat, fromMe: true, id: targetId },
              type: proto.Message.ProtocolMessage.Type.MESSAGE_EDIT,
              editedMessage: { conversation: text },
              timestampMs: Date.now(),
            },
          },
        },
      };
    }
    case 'delete':
      return {
        protocolMessage: {
          key: { remoteJid: scope.chat, fromMe: true, id: required(spec.target_id, 'a "target_id"', kind) },
          type: proto.Message.ProtocolMessage.Type.REVOKE,
        },
      };
    case 'other':
      // A calendar event: real content the journal has no dedicated kind for.
      return {
        eventMessage: {
          name: spec.text ?? 'Event',
          startTime: Math.floor(Date.now() / 1000) + 3600,
          contextInfo: info,
        },
        messageContextInfo: { messageSecret: randomBytes(32) },
      };
  }
}

function bareUser(jid: string): string {
  const decoded = jidDecode(jid);
  if (!decoded?.user) throw new IncomingSpecError(`"${jid}" is not a WhatsApp jid.`);
  return jidNormalizedUser(jid);
}

function assemble(key: WAMessageKey, content: proto.IMessage, timestamp: number | null | undefined, pushName: string | null | undefined): WAMessage {
  const info = proto.WebMessageInfo.fromObject({
    message: proto.Message.fromObject(content),
    messageTimestamp: timestamp ?? Math.floor(Date.now() / 1000),
    pushName: pushName ?? undefined,
    status: key.fromMe ? proto.WebMessageInfo.Status.SERVER_ACK : undefined,
  });
  // The key stays a plain object: Baileys' keys carry fields (remoteJidAlt, participantAlt) the protobuf has no slot for.
  return Object.assign(info, { key });
}

/** A message as Baileys emits it on `messages.upsert` when WhatsApp delivers it. */
export function buildIncomingMessage(spec: IncomingSpec, ownJid: string, options: BuildOptions = {}): WAMessage {
  const from = bareUser(spec.from);
  const own = bareUser(ownJid);
  if (spec.chat && !isJidGroup(spec.chat)) throw new IncomingSpecError(`"${spec.chat}" is not a group jid.`);
  const chat = spec.chat ?? from;
  const fromMe = spec.fromMe ?? false;
  const author = fromMe ? own : from;
  const content = contentFor(spec, { chat, author, ownJid: own, options });
  const alt = spec.fromAlt ? jidNormalizedUser(spec.fromAlt) : undefined;
  const key: WAMessageKey = spec.chat
    ? { remoteJid: chat, fromMe, id: spec.id ?? generateMessageID(), participant: author, participantAlt: fromMe ? undefined : alt }
    : { remoteJid: chat, fromMe, id: spec.id ?? generateMessageID(), remoteJidAlt: alt };
  return assemble(key, content, spec.timestamp, fromMe ? undefined : spec.name);
}

export interface OwnMessageSpec extends MessageContentSpec {
  /** The chat written to: a user jid or a group jid. */
  to: string;
  id?: string | null;
  timestamp?: number | null;
}

/** A message as this device sends it (what Baileys' sendMessage returns), e.g. for the simulator's outbox. */
export function buildOwnMessage(spec: OwnMessageSpec, ownJid: string, options: BuildOptions = {}): WAMessage {
  const own = bareUser(ownJid);
  const chat = isJidGroup(spec.to) ? spec.to : bareUser(spec.to);
  const content = contentFor(spec, { chat, author: own, ownJid: own, options });
  const key: WAMessageKey = { remoteJid: chat, fromMe: true, id: spec.id ?? generateMessageID() };
  return assemble(key, content, spec.timestamp, undefined);
}
