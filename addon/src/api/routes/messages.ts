import { Router, type Request } from 'express';
import type { PresenceState } from '../../engine/types.js';
import { IdempotencyKeyError, validateIdempotencyKey } from '../../messaging/idempotency.js';
import { MAX_TEXT_LENGTH, parseSendRequest } from '../../messaging/send-request.js';
import type { Sender } from '../../messaging/sender.js';
import { toE164 } from '../../util/phone.js';
import { ApiError } from '../errors.js';
import { eitherField, objectBody, onlyQuery, optionalString, optionalStringArray, requiredString } from '../validate.js';

const PRESENCE_STATES: readonly PresenceState[] = ['composing', 'recording', 'paused', 'available', 'unavailable'];
const MESSAGE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

function messageIdParam(req: Request): string {
  const id = String(req.params.id);
  if (!MESSAGE_ID.test(id)) throw new ApiError(400, 'invalid_request', 'The message id in the path is not a WhatsApp message id.');
  return id;
}

/** `chat` from the JSON body or, for DELETE where bodies are unusual, the query string. */
function chatOf(req: Request, body: Record<string, unknown>): string {
  const fromQuery = typeof req.query.chat === 'string' ? req.query.chat : undefined;
  const chat = optionalString(body, 'chat', 128) ?? fromQuery;
  if (!chat || chat.trim() === '') throw new ApiError(400, 'invalid_request', '"chat" is required (in the body or as ?chat=): the chat the message is in.');
  return chat;
}

export function messageRoutes(sender: Sender): Router {
  const router = Router();

  router.post('/v1/messages', async (req, res) => {
    onlyQuery(req.query, []);
    const request = parseSendRequest(req.body);
    const key = req.get('idempotency-key') ?? null;
    if (key !== null) {
      try {
        validateIdempotencyKey(key);
      } catch (err) {
        if (err instanceof IdempotencyKeyError) throw new ApiError(400, 'invalid_idempotency_key', err.message);
        throw err;
      }
    }
    res.json(await sender.send(request, key));
  });

  router.patch('/v1/messages/:id', async (req, res) => {
    onlyQuery(req.query, ['chat']);
    // The new text may be called `text` (as in sends) or `message` (as in the Home Assistant action).
    const body = objectBody(req.body, ['chat', 'text', 'message']);
    const id = messageIdParam(req);
    const text = requiredString(body, eitherField(body, ['text', 'message']), MAX_TEXT_LENGTH);
    await sender.edit(chatOf(req, body), id, text);
    res.json({ id, edited: true });
  });

  router.delete('/v1/messages/:id', async (req, res) => {
    onlyQuery(req.query, ['chat']);
    const body = objectBody(req.body, ['chat']);
    const id = messageIdParam(req);
    await sender.delete(chatOf(req, body), id);
    res.json({ id, deleted: true });
  });

  router.post('/v1/chats/:chat/read', async (req, res) => {
    onlyQuery(req.query, []);
    const body = objectBody(req.body, ['message_ids']);
    const ids = optionalStringArray(body, 'message_ids', 1000) ?? [];
    if (ids.some((id) => !MESSAGE_ID.test(id))) throw new ApiError(400, 'invalid_request', '"message_ids" holds something that is not a message id.');
    const chat = await sender.chatJid(String(req.params.chat));
    const messenger = await sender.messenger();
    await messenger.markRead(chat, ids);
    res.json({ chat, read: ids.length > 0 ? ids : 'latest' });
  });

  router.post('/v1/chats/:chat/presence', async (req, res) => {
    onlyQuery(req.query, []);
    const body = objectBody(req.body, ['state', 'presence']);
    const field = eitherField(body, ['state', 'presence']);
    const state = requiredString(body, field, 32) as PresenceState;
    if (!PRESENCE_STATES.includes(state)) throw new ApiError(400, 'invalid_request', `"${field}" must be one of ${PRESENCE_STATES.join(', ')}.`);
    const chat = await sender.chatJid(String(req.params.chat));
    const messenger = await sender.messenger();
    await messenger.setPresence(chat, state);
    res.json({ chat, state });
  });

  router.get('/v1/groups', async (req, res) => {
    onlyQuery(req.query, []);
    const messenger = await sender.messenger();
    res.json({ groups: await messenger.groups() });
  });

  router.get('/v1/contacts/check', async (req, res) => {
    onlyQuery(req.query, ['phone']);
    const raw = typeof req.query.phone === 'string' ? req.query.phone : '';
    if (raw.trim() === '') throw new ApiError(400, 'invalid_request', 'Query parameter "phone" is required, e.g. ?phone=%2B4917612345678.');
    const phone = toE164(raw);
    const messenger = await sender.messenger();
    const check = await messenger.checkNumber(phone.slice(1));
    res.json({ phone, exists: check.exists, jid: check.exists ? check.jid : null });
  });

  return router;
}
