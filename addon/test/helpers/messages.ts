/**
 * Messages as the journal stores them, for tests that need one but look at only a field or two:
 * a 1:1 text from Anna with every other per-kind field empty, so that a new field in MessageData
 * is filled in here once rather than in every test.
 */
import type { JournalInput, MessageData } from '../../src/journal/types.js';

export const ANNA = '491701234567@s.whatsapp.net';

/** The fields a plain text leaves empty, `text` included: spread it and set what the kind has. */
export const NO_CONTENT = {
  text: null,
  caption: null,
  media: null,
  location: null,
  contact: null,
  poll: null,
  quoted_id: null,
  mentions: [],
  reaction: null,
  poll_vote: null,
  target_id: null,
} satisfies Partial<MessageData>;

export function textMessage(id: string, overrides: Partial<MessageData> = {}): MessageData {
  return {
    id,
    chat: ANNA,
    chat_type: 'individual',
    chat_name: null,
    sender: ANNA,
    sender_phone: '+491701234567',
    sender_name: 'Anna',
    from_me: false,
    timestamp: new Date().toISOString(),
    kind: 'text',
    ...NO_CONTENT,
    text: `hello ${id}`,
    ...overrides,
  };
}

/** The same message as an event to append to a journal. */
export function messageEvent(id: string, overrides: Partial<MessageData> = {}): JournalInput {
  return { type: 'message', data: textMessage(id, overrides) };
}
