/** Schemas of the journal long poll, `GET /v1/events`. */
import { Type } from '@sinclair/typebox';
import { MESSAGE_KINDS } from '../../journal/types.js';
import { CONNECTION_STATES, DateTime, Enum, Nullable, Ref, Strict } from './common.js';

export const MAX_WAIT_SECONDS = 60;
export const MAX_PAGE = 1000;

export const EventsQuery = Strict({
  after: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0, description: 'Return events with seq greater than this.' }),
  limit: Type.Integer({ minimum: 1, maximum: MAX_PAGE, default: 100 }),
  wait: Type.Integer({
    minimum: 0,
    maximum: MAX_WAIT_SECONDS,
    default: 0,
    description:
      'Seconds to wait for an event when there is none after `after` yet. A reader ahead of the journal (`after` > `last_seq`: its data was reset) is answered at once.',
  }),
});

const str = () => Type.String();
const maybeStr = () => Nullable(Type.String());

export const Media = Strict({
  media_id: str(),
  mimetype: maybeStr(),
  filename: maybeStr(),
  size: Nullable(Type.Integer({ minimum: 0 })),
  seconds: Nullable(Type.Number({ minimum: 0 })),
});

export const MessageData = Strict({
  id: str(),
  chat: str(),
  chat_type: Enum(['individual', 'group']),
  chat_name: maybeStr(),
  sender: str(),
  sender_phone: maybeStr(),
  sender_name: maybeStr(),
  from_me: Type.Boolean(),
  timestamp: DateTime(),
  kind: Enum(MESSAGE_KINDS),
  text: maybeStr(),
  caption: maybeStr(),
  media: Nullable(Ref('Media', Media)),
  location: Nullable(Strict({ latitude: Type.Number(), longitude: Type.Number(), name: maybeStr(), address: maybeStr() })),
  contact: Nullable(Strict({ name: maybeStr(), phone: maybeStr(), vcard: maybeStr() })),
  poll: Nullable(Strict({ question: str(), options: Type.Array(str()), multiple: Type.Boolean() })),
  quoted_id: maybeStr(),
  mentions: Type.Array(str()),
  reaction: Nullable(Strict({ message_id: str(), emoji: str() })),
  poll_vote: Nullable(Strict({ poll_id: str(), selected: Type.Array(str()) })),
  target_id: Nullable(Type.String({ description: 'For edit and delete: the message that was changed.' })),
});

export const MessageStatusData = Strict({ id: str(), chat: str(), status: Enum(['sent', 'delivered', 'read', 'played', 'failed']) });
export const ConnectionData = Strict({ state: Enum(CONNECTION_STATES), reason: maybeStr() });
export const GroupData = Strict({
  jid: str(),
  action: Enum(['add', 'remove', 'promote', 'demote', 'subject', 'modify', 'other']),
  participants: Type.Array(str()),
  subject: maybeStr(),
});

const eventOf = <T extends string, D extends Parameters<typeof Ref>[1]>(type: T, dataName: string, data: D) =>
  Strict({ seq: Type.Integer({ minimum: 1 }), type: Type.Literal(type), at: DateTime(), data: Ref(dataName, data) });

export const Event = Type.Union([
  eventOf('message', 'MessageData', MessageData),
  eventOf('message_status', 'MessageStatusData', MessageStatusData),
  eventOf('connection', 'ConnectionData', ConnectionData),
  eventOf('group', 'GroupData', GroupData),
]);

export const EventPage = Strict({
  events: Type.Array(Ref('Event', Event)),
  last_seq: Type.Integer({ minimum: 0, description: 'The newest seq in the journal.' }),
  oldest_seq: Type.Integer({ minimum: 1, description: 'The oldest retained seq (last_seq + 1 when none are retained).' }),
  gap: Type.Boolean({ description: 'True when events after `after` are lost to this reader: trimmed, or damaged on disk.' }),
  journal_id: Type.String({
    pattern: '^[A-Za-z0-9_-]{22}$',
    description:
      'A random id fixed when the journal was created. A different id than before means the journal was wiped or replaced: read it again from after=0.',
  }),
});
