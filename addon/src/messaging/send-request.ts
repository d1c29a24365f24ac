/**
 * The body of `POST /v1/messages` as the sender works with it. Its shape (fields per type, lengths,
 * ranges) is checked by the API's schema before it gets here; what remains are the rules about
 * meaning that a schema cannot say.
 */
import { ApiError } from '../api/errors.js';
import type { SendBody } from '../api/schema/messages.js';
import { MAX_POLL_OPTIONS } from '../api/schema/messages.js';

/** A send request before recipients and media are looked up. */
export type SendRequest =
  | { to: string; type: 'text'; text: string; replyTo: string | null; mentions: string[] }
  | {
      to: string;
      type: 'image' | 'video' | 'audio' | 'document' | 'sticker';
      mediaId: string;
      caption: string | null;
      filename: string | null;
      voice: boolean;
      replyTo: string | null;
      mentions: string[];
    }
  | { to: string; type: 'location'; latitude: number; longitude: number; name: string | null; address: string | null; replyTo: string | null; mentions: string[] }
  | { to: string; type: 'contact'; name: string; phone: string; replyTo: string | null; mentions: string[] }
  | { to: string; type: 'poll'; question: string; options: string[]; multiple: boolean; replyTo: string | null; mentions: string[] }
  | { to: string; type: 'reaction'; messageId: string; emoji: string; replyTo: string | null; mentions: string[] };

export function toSendRequest(body: SendBody): SendRequest {
  const common = { to: body.to.trim(), replyTo: body.reply_to ?? null, mentions: body.mentions ?? [] };
  switch (body.type) {
    case 'text':
      return { ...common, type: body.type, text: body.text };
    case 'image':
    case 'video':
    case 'sticker':
      return { ...common, type: body.type, mediaId: body.media_id, caption: 'caption' in body ? (body.caption ?? null) : null, filename: null, voice: false };
    case 'audio':
      return { ...common, type: body.type, mediaId: body.media_id, caption: null, filename: null, voice: body.voice ?? false };
    case 'document':
      return { ...common, type: body.type, mediaId: body.media_id, caption: body.caption ?? null, filename: body.filename ?? null, voice: false };
    case 'location':
      return { ...common, type: body.type, latitude: body.latitude, longitude: body.longitude, name: body.name ?? null, address: body.address ?? null };
    case 'contact':
      return { ...common, type: body.type, name: body.name, phone: body.phone };
    case 'poll': {
      // WhatsApp tells answers apart by their text as shown, so " Yes" and "Yes" are the same answer.
      if (new Set(body.options.map((option) => option.trim())).size !== body.options.length) {
        throw new ApiError(400, 'invalid_request', `"options" needs 2 to ${MAX_POLL_OPTIONS} different, non-empty answers.`);
      }
      return { ...common, type: body.type, question: body.question, options: body.options, multiple: body.multiple ?? false };
    }
    case 'reaction':
      return { ...common, type: body.type, messageId: body.message_id, emoji: body.emoji ?? '' };
  }
}
