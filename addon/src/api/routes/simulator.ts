import { Router } from 'express';
import { MESSAGE_KINDS, type MessageKind } from '../../journal/types.js';
import { DeliveryError, type DeliverSpec } from '../../fakewa/contacts.js';
import { ArrivalTimeoutError } from '../../simulator/message-arrivals.js';
import { DEFAULT_SIMULATED_PHONE, SimulatorStateError, type SimulatedWhatsApp } from '../../simulator/simulated-whatsapp.js';
import { SIMULATED_DISCONNECT_REASONS } from '../../engine/disconnect.js';
import type { DisconnectReasonName } from '../../engine/types.js';
import { IncomingSpecError } from '../../engine/wa-message-builder.js';
import { phoneToJid, toE164 } from '../../util/phone.js';
import { ApiError } from '../errors.js';
import {
  objectBody,
  optionalBoolean,
  optionalNumber,
  optionalObject,
  optionalString,
  optionalStringArray,
  requiredString,
  type JsonObject,
} from '../validate.js';


const INCOMING_FIELDS = [
  'from',
  'chat',
  'kind',
  'id',
  'name',
  'from_me',
  'timestamp',
  'text',
  'caption',
  'media',
  'voice',
  'location',
  'contact',
  'poll',
  'reaction',
  'poll_vote',
  'target_id',
  'quoted_id',
  'mentions',
] as const;

function phoneOrJid(value: string, field: string): string {
  if (value.includes('@')) {
    if (!/^[\w.:-]+@(s\.whatsapp\.net|lid|g\.us)$/.test(value)) {
      throw new ApiError(400, 'invalid_request', `"${field}" is not a WhatsApp jid or phone number.`);
    }
    return value;
  }
  return phoneToJid(toE164(value));
}

function parseIncoming(raw: unknown): DeliverSpec {
  const body = objectBody(raw, INCOMING_FIELDS);
  const kind = (optionalString(body, 'kind', 32) ?? 'text') as MessageKind;
  if (!MESSAGE_KINDS.includes(kind)) {
    throw new ApiError(400, 'invalid_request', `"kind" must be one of ${MESSAGE_KINDS.join(', ')}.`);
  }
  const chat = optionalString(body, 'chat', 128);
  if (chat !== undefined && !chat.endsWith('@g.us')) {
    throw new ApiError(400, 'invalid_request', '"chat" must be a group jid ending in @g.us (leave it out for a direct message).');
  }
  const media = optionalObject(body, 'media', ['mimetype', 'filename', 'size', 'seconds']);
  const location = optionalObject(body, 'location', ['latitude', 'longitude', 'name', 'address']);
  const contact = optionalObject(body, 'contact', ['name', 'phone']);
  const poll = optionalObject(body, 'poll', ['question', 'options', 'multiple']);
  const reaction = optionalObject(body, 'reaction', ['message_id', 'emoji']);
  const pollVote = optionalObject(body, 'poll_vote', ['poll_id', 'selected']);
  const timestamp = optionalNumber(body, 'timestamp', 0, 2 ** 40);
  const from = requiredString(body, 'from', 128);
  const spec: DeliverSpec = {
    from: phoneOrJid(from, 'from'),
    // WhatsApp addresses most chats by LID now; a phone-number jid asks for the older addressing.
    addressing: from.endsWith('@s.whatsapp.net') ? 'pn' : 'lid',
    kind,
    chat: chat ?? null,
    id: optionalString(body, 'id', 128) ?? null,
    name: optionalString(body, 'name', 256) ?? null,
    fromMe: optionalBoolean(body, 'from_me') ?? false,
    timestamp: timestamp ?? null,
    text: optionalString(body, 'text', 65_536) ?? null,
    caption: optionalString(body, 'caption', 65_536) ?? null,
    media: media
      ? {
          mimetype: optionalString(media, 'mimetype', 256) ?? null,
          filename: optionalString(media, 'filename', 1024) ?? null,
          size: optionalNumber(media, 'size', 0, Number.MAX_SAFE_INTEGER) ?? null,
          seconds: optionalNumber(media, 'seconds', 0, 1e7) ?? null,
        }
      : null,
    voice: optionalBoolean(body, 'voice') ?? false,
    location: location
      ? {
          latitude: requiredNumber(location, 'latitude', -90, 90),
          longitude: requiredNumber(location, 'longitude', -180, 180),
          name: optionalString(location, 'name', 1024) ?? null,
          address: optionalString(location, 'address', 1024) ?? null,
        }
      : null,
    contact: contact
      ? { name: optionalString(contact, 'name', 256) ?? null, phone: optionalString(contact, 'phone', 64) ?? null }
      : null,
    poll: poll
      ? {
          question: requiredString(poll, 'question', 1024),
          options: optionalStringArray(poll, 'options', 12) ?? [],
          multiple: optionalBoolean(poll, 'multiple') ?? false,
        }
      : null,
    reaction: reaction
      ? { message_id: requiredString(reaction, 'message_id', 128), emoji: optionalString(reaction, 'emoji', 32) ?? '' }
      : null,
    poll_vote: pollVote
      ? { poll_id: requiredString(pollVote, 'poll_id', 128), selected: optionalStringArray(pollVote, 'selected', 12) ?? [] }
      : null,
    target_id: optionalString(body, 'target_id', 128) ?? null,
    quoted_id: optionalString(body, 'quoted_id', 128) ?? null,
    mentions: (optionalStringArray(body, 'mentions', 256) ?? []).map((m) => phoneOrJid(m, 'mentions')),
  };
  return spec;
}

function requiredNumber(body: JsonObject, field: string, min: number, max: number): number {
  const value = optionalNumber(body, field, min, max);
  if (value === undefined) throw new ApiError(400, 'invalid_request', `"${field}" is required.`);
  return value;
}

function asApiError(err: unknown): unknown {
  if (err instanceof SimulatorStateError) return new ApiError(409, 'invalid_state', err.message);
  if (err instanceof IncomingSpecError) return new ApiError(400, 'invalid_request', err.message);
  if (err instanceof DeliveryError) return new ApiError(409, 'invalid_state', err.message);
  if (err instanceof ArrivalTimeoutError) return new ApiError(504, 'not_journalled', err.message);
  return err;
}

/** Test and demo controls of the fake WhatsApp network; mounted only with WA_ENGINE=simulator. */
export function simulatorRoutes(simulator: SimulatedWhatsApp): Router {
  const router = Router();

  router.post('/v1/simulator/scan', async (req, res) => {
    const body = objectBody(req.body, ['phone', 'name']);
    const raw = optionalString(body, 'phone', 64) ?? DEFAULT_SIMULATED_PHONE;
    const phone = toE164(raw);
    try {
      const account = await simulator.scan(phone, optionalString(body, 'name', 256) ?? null);
      res.json({ me: account });
    } catch (err) {
      throw asApiError(err);
    }
  });

  router.post('/v1/simulator/incoming', async (req, res) => {
    const spec = parseIncoming(req.body);
    try {
      res.json({ id: await simulator.incoming(spec) });
    } catch (err) {
      throw asApiError(err);
    }
  });

  router.get('/v1/simulator/outbox', async (_req, res) => {
    res.json({ messages: await simulator.outbox() });
  });

  router.post('/v1/simulator/disconnect', async (req, res) => {
    const body = objectBody(req.body, ['reason']);
    const reason = requiredString(body, 'reason', 64) as DisconnectReasonName;
    if (!SIMULATED_DISCONNECT_REASONS.includes(reason)) {
      throw new ApiError(400, 'invalid_request', `"reason" must be one of ${SIMULATED_DISCONNECT_REASONS.join(', ')}.`);
    }
    try {
      await simulator.disconnect(reason);
    } catch (err) {
      throw asApiError(err);
    }
    res.json({ reason });
  });

  return router;
}
