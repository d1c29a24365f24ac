/** Journal event shapes: the `type`/`data` pairs of the add-on ↔ integration contract. */

export type ChatType = 'individual' | 'group';

export type MessageKind =
  | 'text'
  | 'image'
  | 'video'
  | 'audio'
  | 'document'
  | 'sticker'
  | 'location'
  | 'contact'
  | 'poll'
  | 'reaction'
  | 'poll_vote'
  | 'edit'
  | 'delete'
  | 'other';

export const MESSAGE_KINDS: readonly MessageKind[] = [
  'text',
  'image',
  'video',
  'audio',
  'document',
  'sticker',
  'location',
  'contact',
  'poll',
  'reaction',
  'poll_vote',
  'edit',
  'delete',
  'other',
];

export interface MediaInfo {
  media_id: string;
  mimetype: string | null;
  filename: string | null;
  size: number | null;
  seconds: number | null;
}

export interface LocationInfo {
  latitude: number;
  longitude: number;
  name: string | null;
  address: string | null;
}

export interface ContactInfo {
  name: string | null;
  phone: string | null;
  vcard: string | null;
}

export interface PollInfo {
  question: string;
  options: string[];
  multiple: boolean;
}

export interface MessageData {
  id: string;
  chat: string;
  chat_type: ChatType;
  chat_name: string | null;
  sender: string;
  sender_phone: string | null;
  sender_name: string | null;
  from_me: boolean;
  /** ISO 8601 UTC */
  timestamp: string;
  kind: MessageKind;
  text: string | null;
  caption: string | null;
  media: MediaInfo | null;
  location: LocationInfo | null;
  contact: ContactInfo | null;
  poll: PollInfo | null;
  quoted_id: string | null;
  mentions: string[];
  reaction: { message_id: string; emoji: string } | null;
  poll_vote: { poll_id: string; selected: string[] } | null;
  /** For `edit` and `delete`: the id of the message that was changed. */
  target_id: string | null;
}

export type MessageStatus = 'sent' | 'delivered' | 'read' | 'played' | 'failed';

export interface MessageStatusData {
  id: string;
  chat: string;
  status: MessageStatus;
}

export type ConnectionState = 'starting' | 'pairing' | 'connected' | 'reconnecting' | 'logged_out';

export interface ConnectionData {
  state: ConnectionState;
  reason: string | null;
}

export type GroupAction = 'add' | 'remove' | 'promote' | 'demote' | 'subject' | 'modify' | 'other';

export interface GroupData {
  jid: string;
  action: GroupAction;
  participants: string[];
  subject: string | null;
}

export interface JournalEventDataMap {
  message: MessageData;
  message_status: MessageStatusData;
  connection: ConnectionData;
  group: GroupData;
}

export type JournalEventType = keyof JournalEventDataMap;

/** An event before the journal gives it a sequence number. */
export type JournalInput = {
  [K in JournalEventType]: { type: K; data: JournalEventDataMap[K] };
}[JournalEventType];

/** An event as stored and served: `at` is the ISO 8601 time it was journalled. */
export type JournalEvent = JournalInput & { seq: number; at: string };
