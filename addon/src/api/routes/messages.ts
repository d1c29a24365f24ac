import { IdempotencyKeyError, validateIdempotencyKey } from '../../messaging/idempotency.js';
import { toSendRequest } from '../../messaging/send-request.js';
import { toE164 } from '../../util/phone.js';
import { ApiError } from '../errors.js';
import { jsonBody, route, type ResponseSpec, type Route } from '../registry.js';
import {
  ChatParams,
  ChatQuery,
  DeleteRequest,
  Deleted,
  Edited,
  EditRequest,
  Groups,
  IdempotencyKeyHeader,
  MessageIdParams,
  NumberCheck,
  NumberCheckQuery,
  PresenceRequest,
  PresenceResult,
  ReadRequest,
  ReadResult,
  SendRequest,
  SentMessage,
} from '../schema/messages.js';

const NOT_CONNECTED: ResponseSpec = { description: 'WhatsApp is not connected.' };
const QUEUE_FULL: ResponseSpec = { description: 'Too many messages are waiting in the paced queue.' };

/** `chat` from the JSON body or, for DELETE where bodies are unusual, the query string. */
function chatOf(fromBody: string | null | undefined, fromQuery: string | undefined): string {
  const chat = fromBody ?? fromQuery;
  if (!chat || chat.trim() === '') throw new ApiError(400, 'invalid_request', '"chat" is required (in the body or as ?chat=): the chat the message is in.');
  return chat;
}

export const messageRoutes: readonly Route[] = [
  route({
    method: 'post',
    path: '/v1/messages',
    summary: 'Send a message. Sending is paced like a person would type; the answer comes once WhatsApp has it.',
    perAccount: true,
    headers: [
      {
        name: 'Idempotency-Key',
        schema: IdempotencyKeyHeader,
        description: 'Retries with the same key get the first result and never send twice (kept 24 hours).',
      },
    ],
    body: jsonBody(SendRequest),
    responses: {
      200: { description: 'OK', schema: SentMessage },
      404: { description: '`not_on_whatsapp`: the number does not use WhatsApp; `media_not_found`: upload the media first.' },
      409: { description: '`idempotency_outcome_unknown`: a send with this Idempotency-Key was under way when the add-on stopped; it is not sent again.' },
      422: { description: 'The Idempotency-Key was already used for a different request.' },
      429: QUEUE_FULL,
      503: { description: 'WhatsApp is not connected (not linked, or did not reconnect in time).' },
      507: { description: "`storage_full`: the add-on's disk is full, so the Idempotency-Key could not be recorded; nothing was sent." },
    },
    handler: async ({ account, body, req, res }) => {
      const request = toSendRequest(body);
      const key = req.get('idempotency-key') ?? null;
      if (key !== null) {
        try {
          validateIdempotencyKey(key);
        } catch (err) {
          if (err instanceof IdempotencyKeyError) throw new ApiError(400, 'invalid_idempotency_key', err.message);
          throw err;
        }
      }
      res.json(await account.sender.send(request, key));
    },
  }),
  route({
    method: 'patch',
    path: '/v1/messages/{id}',
    summary: 'Edit a message you sent (text).',
    perAccount: true,
    params: MessageIdParams,
    query: ChatQuery,
    body: jsonBody(EditRequest),
    responses: {
      200: { description: 'OK', schema: Edited },
      404: { description: 'No such message of yours in that chat.' },
      409: { description: 'The message was written by someone else (not_own_message).' },
      429: QUEUE_FULL,
      503: NOT_CONNECTED,
    },
    handler: async ({ account, params: { id }, query, body, res }) => {
      // Exactly one of the two is there: the schema says so.
      const text = body.text ?? body.message ?? '';
      await account.sender.edit(chatOf(body.chat, query.chat), id, text);
      res.json({ id, edited: true });
    },
  }),
  route({
    method: 'delete',
    path: '/v1/messages/{id}',
    summary: 'Delete a message you sent, for everyone.',
    perAccount: true,
    params: MessageIdParams,
    query: ChatQuery,
    body: jsonBody(DeleteRequest, false),
    responses: {
      200: { description: 'OK', schema: Deleted },
      404: { description: 'The add-on does not know that message in that chat (never sent or seen, or too old).' },
      429: QUEUE_FULL,
      503: NOT_CONNECTED,
    },
    handler: async ({ account, params: { id }, query, body, res }) => {
      await account.sender.delete(chatOf(body.chat, query.chat), id);
      res.json({ id, deleted: true });
    },
  }),
  route({
    method: 'post',
    path: '/v1/chats/{chat}/read',
    summary: 'Mark messages in a chat as read (blue ticks); without ids, the latest ones.',
    perAccount: true,
    params: ChatParams,
    body: jsonBody(ReadRequest, false),
    responses: { 200: { description: 'OK', schema: ReadResult }, 503: NOT_CONNECTED },
    handler: async ({ account: { sender }, params, body, res }) => {
      const ids = body.message_ids ?? [];
      const chat = await sender.chatJid(params.chat);
      const messenger = await sender.messenger();
      await messenger.markRead(chat, ids);
      res.json({ chat, read: ids.length > 0 ? ids : 'latest' });
    },
  }),
  route({
    method: 'post',
    path: '/v1/chats/{chat}/presence',
    summary: 'Show typing…, recording…, or online/offline in a chat.',
    perAccount: true,
    params: ChatParams,
    body: jsonBody(PresenceRequest),
    responses: { 200: { description: 'OK', schema: PresenceResult }, 503: NOT_CONNECTED },
    handler: async ({ account: { sender }, params, body, res }) => {
      // Exactly one of the two is there: the schema says so.
      const state = body.state ?? body.presence ?? 'available';
      const chat = await sender.chatJid(params.chat);
      const messenger = await sender.messenger();
      await messenger.setPresence(chat, state);
      res.json({ chat, state });
    },
  }),
  route({
    method: 'get',
    path: '/v1/groups',
    summary: 'The groups the account is in.',
    perAccount: true,
    responses: { 200: { description: 'OK', schema: Groups }, 503: NOT_CONNECTED },
    handler: async ({ account: { sender }, res }) => {
      const messenger = await sender.messenger();
      res.json({ groups: await messenger.groups() });
    },
  }),
  route({
    method: 'get',
    path: '/v1/contacts/check',
    summary: 'Whether a phone number uses WhatsApp.',
    perAccount: true,
    query: NumberCheckQuery,
    responses: { 200: { description: 'OK', schema: NumberCheck }, 503: NOT_CONNECTED },
    handler: async ({ account: { sender }, query, res }) => {
      const phone = toE164(query.phone);
      const messenger = await sender.messenger();
      const check = await messenger.checkNumber(phone.slice(1));
      res.json({ phone, exists: check.exists, jid: check.exists ? check.jid : null });
    },
  }),
];
