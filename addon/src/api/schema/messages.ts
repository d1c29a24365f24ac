/** Schemas of sending and acting on messages and chats. */
import { Type, type Static, type TProperties } from '@sinclair/typebox';
import { DateTime, Enum, INVALID_MESSAGE, MAX_TEXT, Maybe, MaybeStringList, MaybeText, MESSAGE_ID_PATTERN, Nullable, Ref, Strict, Text } from './common.js';

export const MAX_POLL_OPTIONS = 12;
export const PRESENCE_STATES = ['composing', 'recording', 'paused', 'available', 'unavailable'] as const;

const mediaId = () => Text(128, 'From POST /v1/media.');
const caption = () => MaybeText(MAX_TEXT);

/** One send type: `to`, `type`, the type's own fields, then the fields every type takes. */
function sendType<const T extends string, P extends TProperties>(type: T, fields: P) {
  return Strict({
    to: Text(128, 'Phone number with country code, or a jid.'),
    type: Type.Literal(type),
    ...fields,
    reply_to: MaybeText(128, 'Id of the message this one replies to.'),
    mentions: MaybeStringList(256, 'Phone numbers or jids mentioned (group messages).'),
  });
}

export const SendRequest = Type.Union(
  [
    sendType('text', { text: Text(MAX_TEXT, 'The message.') }),
    sendType('image', { media_id: mediaId(), caption: caption() }),
    sendType('video', { media_id: mediaId(), caption: caption() }),
    sendType('audio', { media_id: mediaId(), voice: Maybe(Type.Boolean({ description: 'Send as a voice note.' })) }),
    sendType('document', { media_id: mediaId(), caption: caption(), filename: MaybeText(255, 'The name the recipient sees.') }),
    sendType('sticker', { media_id: mediaId() }),
    sendType('location', {
      latitude: Type.Number({ minimum: -90, maximum: 90 }),
      longitude: Type.Number({ minimum: -180, maximum: 180 }),
      name: MaybeText(1024, 'Place name.'),
      address: MaybeText(1024),
    }),
    sendType('contact', { name: Text(256, 'The contact name.'), phone: Text(64, 'The phone number to share.') }),
    sendType('poll', {
      question: Text(255),
      options: Type.Array(Type.String({ minLength: 1, pattern: '\\S' }), {
        minItems: 2,
        maxItems: MAX_POLL_OPTIONS,
        uniqueItems: true,
        description: 'Different answers.',
      }),
      multiple: Maybe(Type.Boolean({ description: 'Allow several answers.' })),
    }),
    sendType('reaction', {
      message_id: Text(128, 'The message reacted to.'),
      emoji: MaybeText(32, 'The emoji; empty removes the reaction.'),
    }),
  ],
  {
    description:
      'A message to send. `to` is a phone number in international form (any common writing) or a jid (`…@s.whatsapp.net`, group `…@g.us`). Each `type` takes its own fields besides the common ones.',
  },
);
export type SendBody = Static<typeof SendRequest>;

export const IdempotencyKeyHeader = Type.String({ minLength: 1, maxLength: 255, pattern: '^[!-~]+$' });

export const SentMessage = Strict({ id: Type.String(), to: Type.String({ description: 'The jid it was sent to.' }), timestamp: DateTime() });

export const MessageIdParams = Strict({
  id: Type.String({ pattern: MESSAGE_ID_PATTERN, [INVALID_MESSAGE]: 'The message id in the path is not a WhatsApp message id.' }),
});

export const ChatQuery = Strict({ chat: Type.Optional(Type.String({ description: 'The chat, when not in the body.' })) });

const chatInBody = () => MaybeText(128, 'The chat, unless given as ?chat=.');

/** The new text is `text` (as in sends) or `message` (as the Home Assistant action calls it): exactly one. */
export const EditRequest = Strict(
  { chat: chatInBody(), text: Type.Optional(Text(MAX_TEXT)), message: Type.Optional(Text(MAX_TEXT)) },
  { description: 'The new text as `text` or, as the Home Assistant action calls it, `message`.', oneOf: [{ required: ['text'] }, { required: ['message'] }] },
);

export const DeleteRequest = Strict({ chat: chatInBody() });
export const Edited = Strict({ id: Type.String(), edited: Type.Literal(true) });
export const Deleted = Strict({ id: Type.String(), deleted: Type.Literal(true) });

export const ChatParams = Strict({ chat: Type.String({ description: 'A phone number or a jid.' }) });

export const ReadRequest = Strict({
  message_ids: Maybe(
    Type.Array(Type.String({ pattern: MESSAGE_ID_PATTERN, [INVALID_MESSAGE]: '"message_ids" holds something that is not a message id.' }), {
      maxItems: 1000,
    }),
  ),
});
export const ReadResult = Strict({ chat: Type.String(), read: Type.Union([Type.Array(Type.String()), Type.Literal('latest')]) });

const presence = () => Type.Optional(Enum(PRESENCE_STATES));
export const PresenceRequest = Strict(
  { state: presence(), presence: presence() },
  { description: 'The presence as `state` or `presence`.', oneOf: [{ required: ['state'] }, { required: ['presence'] }] },
);
export const PresenceResult = Strict({ chat: Type.String(), state: Enum(PRESENCE_STATES) });

export const Group = Strict({
  jid: Type.String(),
  subject: Type.String(),
  participants: Type.Integer({ minimum: 0, description: 'Number of participants.' }),
  announce: Type.Boolean({ description: 'Only admins may send.' }),
  restrict: Type.Boolean({ description: 'Only admins may edit the group info.' }),
  owner: Nullable(Type.String()),
  description: Nullable(Type.String()),
  created: Nullable(DateTime()),
});
export const Groups = Strict({ groups: Type.Array(Ref('Group', Group)) });

export const NumberCheckQuery = Strict({ phone: Text(64, 'Any common writing, with country code, e.g. ?phone=%2B4917612345678.') });
export const NumberCheck = Strict({ phone: Type.String({ description: 'E.164.' }), exists: Type.Boolean(), jid: Nullable(Type.String()) });
