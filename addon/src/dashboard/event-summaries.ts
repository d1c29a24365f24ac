/**
 * Journal events and disconnect reasons in words a person understands. Summaries name the kind of
 * message and the chat, never its text.
 */
import type { ConnectionState, JournalEvent, MessageKind } from '../journal/types.js';

export const STATE_LABELS: Readonly<Record<ConnectionState, string>> = {
  starting: 'Connecting to WhatsApp…',
  pairing: 'Waiting to be linked',
  connected: 'Connected',
  reconnecting: 'Reconnecting…',
  logged_out: 'Logged out',
};

const KIND_LABELS: Readonly<Record<MessageKind, string>> = {
  text: 'text message',
  image: 'photo',
  video: 'video',
  audio: 'audio message',
  document: 'document',
  sticker: 'sticker',
  location: 'location',
  contact: 'contact card',
  poll: 'poll',
  reaction: 'reaction',
  poll_vote: 'poll vote',
  edit: 'edit',
  delete: 'deletion',
  other: 'message',
};

/** `connectionLost` → `connection lost`. */
export function reasonInWords(reason: string): string {
  return reason
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .replace(/\bqr\b/, 'QR');
}

export function summarise(event: JournalEvent): string {
  switch (event.type) {
    case 'message': {
      const { data } = event;
      const kind = KIND_LABELS[data.kind];
      const chat = data.chat_name ?? (data.chat_type === 'group' ? 'a group' : 'a chat');
      return data.from_me ? `Sent ${kind} to ${chat}` : `Received ${kind} ${data.chat_type === 'group' ? 'in' : 'from'} ${chat}`;
    }
    case 'message_status':
      return `Message ${event.data.status}`;
    case 'connection': {
      const { state, reason } = event.data;
      return `${STATE_LABELS[state].replace(/…$/, '')}${reason ? ` (${reasonInWords(reason)})` : ''}`;
    }
    case 'group': {
      const { action, participants, subject } = event.data;
      const group = subject ? `Group “${subject}”` : 'A group';
      const people = participants.length === 1 ? '1 member' : `${participants.length} members`;
      switch (action) {
        case 'add':
          return `${group}: ${people} added`;
        case 'remove':
          return `${group}: ${people} removed`;
        case 'promote':
          return `${group}: ${people} made admin`;
        case 'demote':
          return `${group}: ${people} no longer admin`;
        case 'subject':
          return `${group}: renamed`;
        default:
          return `${group}: settings changed`;
      }
    }
  }
}
