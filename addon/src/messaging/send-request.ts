/** The body of `POST /v1/messages`, checked field by field. */
import { ApiError } from '../api/errors.js';
import {
  objectBody,
  optionalBoolean,
  optionalNumber,
  optionalString,
  optionalStringArray,
  requiredString,
  type JsonObject,
} from '../api/validate.js';
import type { OutgoingType } from '../engine/types.js';

export const SEND_TYPES: readonly OutgoingType[] = ['text', 'image', 'video', 'audio', 'document', 'sticker', 'location', 'contact', 'poll', 'reaction'];
const MEDIA_TYPES = new Set<OutgoingType>(['image', 'video', 'audio', 'document', 'sticker']);

const FIELDS_BY_TYPE: Record<OutgoingType, readonly string[]> = {
  text: ['text'],
  image: ['media_id', 'caption'],
  video: ['media_id', 'caption'],
  audio: ['media_id', 'voice'],
  document: ['media_id', 'caption', 'filename'],
  sticker: ['media_id'],
  location: ['latitude', 'longitude', 'name', 'address'],
  contact: ['name', 'phone'],
  poll: ['question', 'options', 'multiple'],
  reaction: ['message_id', 'emoji'],
};
const COMMON_FIELDS = ['to', 'type', 'reply_to', 'mentions'];

export const MAX_TEXT_LENGTH = 65_536;
export const MAX_POLL_OPTIONS = 12;

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

function invalid(message: string): ApiError {
  return new ApiError(400, 'invalid_request', message);
}

function requiredNumber(body: JsonObject, field: string, min: number, max: number): number {
  const value = optionalNumber(body, field, min, max);
  if (value === undefined) throw invalid(`"${field}" is required for this type.`);
  return value;
}

export function parseSendRequest(raw: unknown): SendRequest {
  const preliminary = objectBody(raw, [...COMMON_FIELDS, ...new Set(Object.values(FIELDS_BY_TYPE).flat())]);
  const type = requiredString(preliminary, 'type', 32) as OutgoingType;
  if (!SEND_TYPES.includes(type)) throw invalid(`"type" must be one of ${SEND_TYPES.join(', ')}.`);
  const body = objectBody(raw, [...COMMON_FIELDS, ...FIELDS_BY_TYPE[type]]);
  const common = {
    to: requiredString(body, 'to', 128).trim(),
    replyTo: optionalString(body, 'reply_to', 128) ?? null,
    mentions: optionalStringArray(body, 'mentions', 256) ?? [],
  };
  if (MEDIA_TYPES.has(type)) {
    return {
      ...common,
      type: type as 'image',
      mediaId: requiredString(body, 'media_id', 128),
      caption: optionalString(body, 'caption', MAX_TEXT_LENGTH) ?? null,
      filename: optionalString(body, 'filename', 255) ?? null,
      voice: optionalBoolean(body, 'voice') ?? false,
    };
  }
  switch (type) {
    case 'text':
      return { ...common, type, text: requiredString(body, 'text', MAX_TEXT_LENGTH) };
    case 'location':
      return {
        ...common,
        type,
        latitude: requiredNumber(body, 'latitude', -90, 90),
        longitude: requiredNumber(body, 'longitude', -180, 180),
        name: optionalString(body, 'name', 1024) ?? null,
        address: optionalString(body, 'address', 1024) ?? null,
      };
    case 'contact':
      return { ...common, type, name: requiredString(body, 'name', 256), phone: requiredString(body, 'phone', 64) };
    case 'poll': {
      const options = optionalStringArray(body, 'options', MAX_POLL_OPTIONS) ?? [];
      const distinct = new Set(options.map((o) => o.trim()));
      if (options.length < 2 || distinct.size !== options.length || options.some((o) => o.trim() === '')) {
        throw invalid(`"options" needs 2 to ${MAX_POLL_OPTIONS} different, non-empty answers.`);
      }
      return { ...common, type, question: requiredString(body, 'question', 255), options, multiple: optionalBoolean(body, 'multiple') ?? false };
    }
    case 'reaction': {
      const emoji = optionalString(body, 'emoji', 32) ?? '';
      return { ...common, type, messageId: requiredString(body, 'message_id', 128), emoji };
    }
    default:
      throw invalid(`"type" must be one of ${SEND_TYPES.join(', ')}.`);
  }
}
