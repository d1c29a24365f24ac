/**
 * The OpenAPI 3.1 description of every route. Tests validate the server's real responses against
 * these schemas, so a change to a route must change this document too.
 */
import { DISCONNECT_REASON_NAMES, SIMULATED_DISCONNECT_REASONS } from '../engine/disconnect.js';
import { MESSAGE_KINDS } from '../journal/types.js';

type Schema = Record<string, unknown>;

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const nullable = (schema: Schema): Schema => ({ anyOf: [schema, { type: 'null' }] });
const str: Schema = { type: 'string' };
const dateTime: Schema = { type: 'string', format: 'date-time' };

function object(properties: Record<string, Schema>, required: string[] = Object.keys(properties), extra = false): Schema {
  return { type: 'object', properties, required, additionalProperties: extra };
}

// Request fields as the validators in validate.ts read them: a required text must hold something,
// and an optional field may also be sent as null, which counts as left out.
const text = (maxLength: number, description?: string): Schema => ({ type: 'string', minLength: 1, maxLength, ...(description ? { description } : {}) });
const optionalText = (maxLength: number, description?: string): Schema =>
  nullable({ type: 'string', maxLength, ...(description ? { description } : {}) });
const optional = (schema: Schema): Schema => nullable(schema);
const stringList = (maxItems: number, description?: string): Schema =>
  optional({ type: 'array', items: str, maxItems, ...(description ? { description } : {}) });
const MESSAGE_ID_PATTERN = '^[A-Za-z0-9._:-]{1,128}$';
const MAX_TEXT = 65_536;

const CONNECTION_STATES = ['starting', 'pairing', 'connected', 'reconnecting', 'logged_out'];

const mediaId = text(128, 'From POST /v1/media.');
const caption = optionalText(MAX_TEXT);

/** The fields each send type takes (see messaging/send-request.ts). */
const SEND_TYPES: Record<string, { properties: Record<string, Schema>; required: string[] }> = {
  text: { properties: { text: text(MAX_TEXT, 'The message.') }, required: ['text'] },
  image: { properties: { media_id: mediaId, caption }, required: ['media_id'] },
  video: { properties: { media_id: mediaId, caption }, required: ['media_id'] },
  audio: { properties: { media_id: mediaId, voice: optional({ type: 'boolean', description: 'Send as a voice note.' }) }, required: ['media_id'] },
  document: {
    properties: { media_id: mediaId, caption, filename: optionalText(255, 'The name the recipient sees.') },
    required: ['media_id'],
  },
  sticker: { properties: { media_id: mediaId }, required: ['media_id'] },
  location: {
    properties: {
      latitude: { type: 'number', minimum: -90, maximum: 90 },
      longitude: { type: 'number', minimum: -180, maximum: 180 },
      name: optionalText(1024, 'Place name.'),
      address: optionalText(1024),
    },
    required: ['latitude', 'longitude'],
  },
  contact: { properties: { name: text(256, 'The contact name.'), phone: text(64, 'The phone number to share.') }, required: ['name', 'phone'] },
  poll: {
    properties: {
      question: text(255),
      options: { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 2, maxItems: 12, uniqueItems: true, description: 'Different answers.' },
      multiple: optional({ type: 'boolean', description: 'Allow several answers.' }),
    },
    required: ['question', 'options'],
  },
  reaction: {
    properties: { message_id: text(128, 'The message reacted to.'), emoji: optionalText(32, 'The emoji; empty removes the reaction.') },
    required: ['message_id'],
  },
};

const schemas: Record<string, Schema> = {
  Error: object({
    error: object({
      code: { type: 'string', pattern: '^[a-z][a-z0-9_]*$', description: 'Stable snake_case code to branch on.' },
      message: { type: 'string', description: 'What went wrong and what to do about it.' },
    }),
  }),
  Health: object(
    {
      status: { enum: ['ok', 'degraded'], description: '`degraded` while the add-on cannot write its data (the API still answers).' },
      version: str,
      state: { enum: CONNECTION_STATES },
      reason: nullable({
        enum: ['storage_full', 'storage_error'],
        description: 'Why it is degraded: `storage_full` (free space on the add-on\'s disk) or `storage_error` (writes fail otherwise); null when ok.',
      }),
      storage: object({
        components: { type: 'array', items: { enum: ['journal', 'credentials', 'idempotency', 'media'] }, description: 'The stores that cannot write.' },
        since: { ...dateTime, description: 'When writes began to fail.' },
      }),
    },
    ['status', 'version', 'state', 'reason'],
  ),
  Account: object({
    jid: { type: 'string', description: 'Phone-number jid of the linked account.' },
    phone: { type: 'string', description: 'E.164 phone number.' },
    name: nullable(str),
  }),
  Session: object({
    state: { enum: CONNECTION_STATES },
    me: nullable(ref('Account')),
    qr: nullable(
      object({
        code: { type: 'string', description: 'Text to render as a QR code and scan with WhatsApp → Linked devices.' },
        expires_at: dateTime,
      }),
    ),
    pairing_code: nullable({ type: 'string', description: 'Code to type on the phone, after POST /v1/session/pairing-code.' }),
    last_disconnect: nullable(object({ reason: { enum: DISCONNECT_REASON_NAMES }, message: str, at: dateTime })),
    since: { ...dateTime, description: 'When the current state began.' },
  }),
  PairingCodeRequest: object({ phone_number: text(64, 'The phone number of the WhatsApp account to link, with country code.') }),
  PairingCode: object({ code: { type: 'string', description: 'Type it on the phone: WhatsApp → Linked devices → Link with phone number.' } }),
  Media: object({
    media_id: str,
    mimetype: nullable(str),
    filename: nullable(str),
    size: nullable({ type: 'integer', minimum: 0 }),
    seconds: nullable({ type: 'number', minimum: 0 }),
  }),
  MessageData: object({
    id: str,
    chat: str,
    chat_type: { enum: ['individual', 'group'] },
    chat_name: nullable(str),
    sender: str,
    sender_phone: nullable(str),
    sender_name: nullable(str),
    from_me: { type: 'boolean' },
    timestamp: dateTime,
    kind: { enum: [...MESSAGE_KINDS] },
    text: nullable(str),
    caption: nullable(str),
    media: nullable(ref('Media')),
    location: nullable(object({ latitude: { type: 'number' }, longitude: { type: 'number' }, name: nullable(str), address: nullable(str) })),
    contact: nullable(object({ name: nullable(str), phone: nullable(str), vcard: nullable(str) })),
    poll: nullable(object({ question: str, options: { type: 'array', items: str }, multiple: { type: 'boolean' } })),
    quoted_id: nullable(str),
    mentions: { type: 'array', items: str },
    reaction: nullable(object({ message_id: str, emoji: str })),
    poll_vote: nullable(object({ poll_id: str, selected: { type: 'array', items: str } })),
    target_id: nullable({ type: 'string', description: 'For edit and delete: the message that was changed.' }),
  }),
  MessageStatusData: object({ id: str, chat: str, status: { enum: ['sent', 'delivered', 'read', 'played', 'failed'] } }),
  ConnectionData: object({ state: { enum: CONNECTION_STATES }, reason: nullable(str) }),
  GroupData: object({
    jid: str,
    action: { enum: ['add', 'remove', 'promote', 'demote', 'subject', 'modify', 'other'] },
    participants: { type: 'array', items: str },
    subject: nullable(str),
  }),
  Event: {
    oneOf: ['message', 'message_status', 'connection', 'group'].map((type) =>
      object({
        seq: { type: 'integer', minimum: 1 },
        type: { const: type },
        at: dateTime,
        data: ref({ message: 'MessageData', message_status: 'MessageStatusData', connection: 'ConnectionData', group: 'GroupData' }[type]!),
      }),
    ),
  },
  EventPage: object({
    events: { type: 'array', items: ref('Event') },
    last_seq: { type: 'integer', minimum: 0, description: 'The newest seq in the journal.' },
    oldest_seq: { type: 'integer', minimum: 1, description: 'The oldest retained seq (last_seq + 1 when none are retained).' },
    gap: { type: 'boolean', description: 'True when events after `after` are lost to this reader: trimmed, or damaged on disk.' },
    journal_id: {
      type: 'string',
      pattern: '^[A-Za-z0-9_-]{22}$',
      description: 'A random id fixed when the journal was created. A different id than before means the journal was wiped or replaced: read it again from after=0.',
    },
  }),
  UploadedMedia: object({ media_id: str, mimetype: str, size: { type: 'integer', minimum: 1 } }),
  SendRequest: {
    description:
      'A message to send. `to` is a phone number in international form (any common writing) or a jid (`…@s.whatsapp.net`, group `…@g.us`). Each `type` takes its own fields besides the common ones.',
    oneOf: Object.entries(SEND_TYPES).map(([type, fields]) =>
      object(
        {
          to: text(128, 'Phone number with country code, or a jid.'),
          type: { const: type },
          ...fields.properties,
          reply_to: optionalText(128, 'Id of the message this one replies to.'),
          mentions: stringList(256, 'Phone numbers or jids mentioned (group messages).'),
        },
        ['to', 'type', ...fields.required],
      ),
    ),
  },
  SentMessage: object({ id: str, to: { type: 'string', description: 'The jid it was sent to.' }, timestamp: dateTime }),
  EditRequest: {
    description: 'The new text as `text` or, as the Home Assistant action calls it, `message`.',
    oneOf: [
      object({ chat: optionalText(128, 'The chat, unless given as ?chat=.'), text: text(MAX_TEXT) }, ['text']),
      object({ chat: optionalText(128, 'The chat, unless given as ?chat=.'), message: text(MAX_TEXT) }, ['message']),
    ],
  },
  DeleteRequest: object({ chat: optionalText(128, 'The chat, unless given as ?chat=.') }, []),
  Edited: object({ id: str, edited: { const: true } }),
  Deleted: object({ id: str, deleted: { const: true } }),
  ReadRequest: object({ message_ids: optional({ type: 'array', items: { type: 'string', pattern: MESSAGE_ID_PATTERN }, maxItems: 1000 }) }, []),
  ReadResult: object({ chat: str, read: { anyOf: [{ type: 'array', items: str }, { const: 'latest' }] } }),
  PresenceRequest: {
    description: 'The presence as `state` or `presence`.',
    oneOf: [
      object({ state: { enum: ['composing', 'recording', 'paused', 'available', 'unavailable'] } }),
      object({ presence: { enum: ['composing', 'recording', 'paused', 'available', 'unavailable'] } }),
    ],
  },
  PresenceResult: object({ chat: str, state: { enum: ['composing', 'recording', 'paused', 'available', 'unavailable'] } }),
  Group: object({
    jid: str,
    subject: str,
    participants: { type: 'integer', minimum: 0, description: 'Number of participants.' },
    announce: { type: 'boolean', description: 'Only admins may send.' },
    restrict: { type: 'boolean', description: 'Only admins may edit the group info.' },
    owner: nullable(str),
    description: nullable(str),
    created: nullable(dateTime),
  }),
  Groups: object({ groups: { type: 'array', items: ref('Group') } }),
  NumberCheck: object({ phone: { type: 'string', description: 'E.164.' }, exists: { type: 'boolean' }, jid: nullable(str) }),
  SimulatorScan: object({ phone: optionalText(64), name: optionalText(256) }, []),
  SimulatorIncoming: object(
    {
      from: text(128, 'Sender phone number or jid.'),
      chat: optional({ type: 'string', pattern: '@g\\.us$', maxLength: 128, description: 'Group jid, for a group message.' }),
      kind: optional({ enum: [...MESSAGE_KINDS] }),
      id: optionalText(128),
      name: optionalText(256),
      from_me: optional({ type: 'boolean' }),
      timestamp: optional({ type: 'number', minimum: 0, maximum: 2 ** 40, description: 'Unix seconds.' }),
      text: optionalText(MAX_TEXT),
      caption: optionalText(MAX_TEXT),
      media: optional(
        object(
          {
            mimetype: optionalText(256),
            filename: optionalText(1024),
            size: optional({ type: 'number', minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
            seconds: optional({ type: 'number', minimum: 0, maximum: 1e7 }),
          },
          [],
        ),
      ),
      location: optional(
        object(
          {
            latitude: { type: 'number', minimum: -90, maximum: 90 },
            longitude: { type: 'number', minimum: -180, maximum: 180 },
            name: optionalText(1024),
            address: optionalText(1024),
          },
          ['latitude', 'longitude'],
        ),
      ),
      contact: optional(object({ name: optionalText(256), phone: optionalText(64) }, [])),
      poll: optional(object({ question: text(1024), options: stringList(12), multiple: optional({ type: 'boolean' }) }, ['question'])),
      reaction: optional(object({ message_id: text(128), emoji: optionalText(32) }, ['message_id'])),
      poll_vote: optional(object({ poll_id: text(128), selected: stringList(12) }, ['poll_id'])),
      target_id: optionalText(128),
      quoted_id: optionalText(128),
      mentions: stringList(256),
    },
    ['from'],
  ),
  SimulatorDisconnect: object({ reason: { enum: [...SIMULATED_DISCONNECT_REASONS] } }),
  OutboxEntry: {
    type: 'object',
    properties: { id: str, to: str, type: str, sent_at: dateTime },
    required: ['id', 'to', 'type', 'sent_at'],
    additionalProperties: true,
  },
};

function errorResponse(description: string): Schema {
  return { description, content: { 'application/json': { schema: ref('Error') } } };
}

function ok(schemaName: string, description = 'OK'): Schema {
  return { description, content: { 'application/json': { schema: ref(schemaName) } } };
}

function jsonBody(schemaName: string, required = true): Schema {
  return { required, content: { 'application/json': { schema: ref(schemaName) } } };
}

const SEND_ERRORS = {
  '404': errorResponse('`not_on_whatsapp`: the number does not use WhatsApp; `media_not_found`: upload the media first.'),
  '409': errorResponse('`idempotency_outcome_unknown`: a send with this Idempotency-Key was under way when the add-on stopped; it is not sent again.'),
  '422': errorResponse('The Idempotency-Key was already used for a different request.'),
  '429': errorResponse('Too many messages are waiting in the paced queue.'),
  '503': errorResponse('WhatsApp is not connected (not linked, or did not reconnect in time).'),
  '507': errorResponse("`storage_full`: the add-on's disk is full, so the Idempotency-Key could not be recorded; nothing was sent."),
};

const CONNECTED_ERRORS = {
  '503': errorResponse('WhatsApp is not connected.'),
};

const COMMON_ERRORS = {
  '400': errorResponse('Invalid input: the message names the field to fix.'),
  '401': errorResponse('Missing or wrong API key.'),
  '413': errorResponse('Request body too large.'),
  '429': errorResponse('`too_many_connections`: this address holds too many open connections to the add-on; reuse one (see `Retry-After`).'),
  '500': errorResponse('Unexpected error.'),
  '503': errorResponse('`too_many_connections`: the add-on holds too many open connections in all; try again shortly (see `Retry-After`).'),
};

function secured(operation: Schema): Schema {
  return { security: [{ bearer: [] }], ...operation, responses: { ...COMMON_ERRORS, ...(operation.responses as Schema) } };
}

export function openApiDocument(version: string): Schema {
  return {
    openapi: '3.1.0',
    info: {
      title: 'WhatsApp for Home Assistant: add-on API',
      version,
      description:
        'The REST API of the add-on that owns the linked-device WhatsApp session. Every route but /health and /openapi.json needs `Authorization: Bearer <api key>`. Errors are always `{"error": {"code", "message"}}`; a path asked with a method it does not have answers 405 with `Allow`.',
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'The add-on API key.' } },
      schemas,
    },
    paths: {
      '/health': {
        get: { summary: 'Liveness and connection state; no secrets.', security: [], responses: { '200': ok('Health') } },
      },
      '/openapi.json': {
        get: {
          summary: 'This document.',
          security: [],
          responses: { '200': { description: 'OpenAPI 3.1 document', content: { 'application/json': { schema: { type: 'object' } } } } },
        },
      },
      '/v1/session': {
        get: secured({ summary: 'The WhatsApp session: state, linked account, QR code while pairing.', responses: { '200': ok('Session') } }),
      },
      '/v1/session/pairing-code': {
        post: secured({
          summary: 'Link by typing a code on the phone instead of scanning the QR code.',
          requestBody: jsonBody('PairingCodeRequest'),
          responses: {
            '200': ok('PairingCode'),
            '409': errorResponse('Already linked: log out first.'),
            '503': errorResponse('WhatsApp is not ready for pairing yet; try again shortly.'),
          },
        }),
      },
      '/v1/session/logout': {
        post: secured({ summary: 'Unlink the device, wipe credentials and start a fresh pairing.', responses: { '200': ok('Session') } }),
      },
      '/v1/session/restart': {
        post: secured({ summary: 'Drop and re-open the socket, keeping credentials.', responses: { '200': ok('Session') } }),
      },
      '/v1/events': {
        get: secured({
          summary: 'Long-poll the durable event journal.',
          parameters: [
            { name: 'after', in: 'query', required: false, schema: { type: 'integer', minimum: 0, default: 0 }, description: 'Return events with seq greater than this.' },
            { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
            {
              name: 'wait',
              in: 'query',
              required: false,
              schema: { type: 'integer', minimum: 0, maximum: 60, default: 0 },
              description:
                'Seconds to wait for an event when there is none after `after` yet. A reader ahead of the journal (`after` > `last_seq`: its data was reset) is answered at once.',
            },
          ],
          responses: {
            '200': ok('EventPage'),
            '429': errorResponse('`too_many_long_polls`: this address already has many waiting requests (see `Retry-After`).'),
            '503': errorResponse('`too_many_long_polls` or `too_many_connections`: the add-on is at its limit in all (see `Retry-After`).'),
          },
        }),
      },
      '/v1/media': {
        post: secured({
          summary: 'Upload media to send: the raw bytes as the body, with their Content-Type (optionally Content-Encoding gzip, deflate or br).',
          parameters: [{ name: 'X-Filename', in: 'header', required: false, schema: str, description: 'The file name, for documents.' }],
          requestBody: { required: true, content: { '*/*': { schema: { type: 'string', format: 'binary' } } } },
          responses: {
            '200': ok('UploadedMedia'),
            '415': errorResponse('`unsupported_encoding`: a Content-Encoding other than gzip, deflate or br.'),
            '507': errorResponse("`upload_quota_exceeded`: uploads waiting to be sent take all the room the add-on keeps for them; `storage_full`: the add-on's disk is full."),
          },
        }),
      },
      '/v1/media/{media_id}': {
        get: secured({
          summary: 'The bytes of uploaded media, or of received media (downloaded from WhatsApp on first request and cached).',
          parameters: [{ name: 'media_id', in: 'path', required: true, schema: str }],
          responses: {
            '200': { description: 'The media bytes with their Content-Type.', content: { '*/*': { schema: { type: 'string', format: 'binary' } } } },
            '404': errorResponse('No such media.'),
            ...CONNECTED_ERRORS,
          },
        }),
      },
      '/v1/messages': {
        post: secured({
          summary: 'Send a message. Sending is paced like a person would type; the answer comes once WhatsApp has it.',
          parameters: [
            {
              name: 'Idempotency-Key',
              in: 'header',
              required: false,
              schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[!-~]+$' },
              description: 'Retries with the same key get the first result and never send twice (kept 24 hours).',
            },
          ],
          requestBody: jsonBody('SendRequest'),
          responses: { '200': ok('SentMessage'), ...SEND_ERRORS },
        }),
      },
      '/v1/messages/{id}': {
        patch: secured({
          summary: 'Edit a message you sent (text).',
          parameters: [
            { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: MESSAGE_ID_PATTERN } },
            { name: 'chat', in: 'query', required: false, schema: str, description: 'The chat, when not in the body.' },
          ],
          requestBody: jsonBody('EditRequest'),
          responses: {
            '200': ok('Edited'),
            '404': errorResponse('No such message of yours in that chat.'),
            '409': errorResponse('The message was written by someone else (not_own_message).'),
            ...CONNECTED_ERRORS,
            '429': SEND_ERRORS['429'],
          },
        }),
        delete: secured({
          summary: 'Delete a message you sent, for everyone.',
          parameters: [
            { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: MESSAGE_ID_PATTERN } },
            { name: 'chat', in: 'query', required: false, schema: str, description: 'The chat, when not in the body.' },
          ],
          requestBody: jsonBody('DeleteRequest', false),
          responses: { '200': ok('Deleted'), '404': errorResponse('The add-on does not know that message in that chat (never sent or seen, or too old).'), ...CONNECTED_ERRORS, '429': SEND_ERRORS['429'] },
        }),
      },
      '/v1/chats/{chat}/read': {
        post: secured({
          summary: 'Mark messages in a chat as read (blue ticks); without ids, the latest ones.',
          parameters: [{ name: 'chat', in: 'path', required: true, schema: str }],
          requestBody: jsonBody('ReadRequest', false),
          responses: { '200': ok('ReadResult'), ...CONNECTED_ERRORS },
        }),
      },
      '/v1/chats/{chat}/presence': {
        post: secured({
          summary: 'Show typing…, recording…, or online/offline in a chat.',
          parameters: [{ name: 'chat', in: 'path', required: true, schema: str }],
          requestBody: jsonBody('PresenceRequest'),
          responses: { '200': ok('PresenceResult'), ...CONNECTED_ERRORS },
        }),
      },
      '/v1/groups': {
        get: secured({ summary: 'The groups the account is in.', responses: { '200': ok('Groups'), ...CONNECTED_ERRORS } }),
      },
      '/v1/contacts/check': {
        get: secured({
          summary: 'Whether a phone number uses WhatsApp.',
          parameters: [{ name: 'phone', in: 'query', required: true, schema: str, description: 'Any common writing, with country code.' }],
          responses: { '200': ok('NumberCheck'), ...CONNECTED_ERRORS },
        }),
      },
      '/v1/simulator/scan': {
        post: secured({
          summary: 'Simulator only: the phone scans the current QR code.',
          requestBody: jsonBody('SimulatorScan', false),
          responses: {
            '200': { description: 'Linked', content: { 'application/json': { schema: object({ me: ref('Account') }) } } },
            '404': errorResponse('Not running the simulator engine.'),
            '409': errorResponse('Not pairing.'),
          },
        }),
      },
      '/v1/simulator/incoming': {
        post: secured({
          summary: 'Simulator only: deliver a message as WhatsApp would.',
          requestBody: jsonBody('SimulatorIncoming'),
          responses: {
            '200': { description: 'Delivered', content: { 'application/json': { schema: object({ id: str }) } } },
            '404': errorResponse('Not running the simulator engine.'),
            '409': errorResponse('Not connected.'),
          },
        }),
      },
      '/v1/simulator/outbox': {
        get: secured({
          summary: 'Simulator only: everything sent so far.',
          responses: {
            '200': { description: 'OK', content: { 'application/json': { schema: object({ messages: { type: 'array', items: ref('OutboxEntry') } }) } } },
            '404': errorResponse('Not running the simulator engine.'),
          },
        }),
      },
      '/v1/simulator/disconnect': {
        post: secured({
          summary: 'Simulator only: WhatsApp drops the connection with a Baileys DisconnectReason.',
          requestBody: jsonBody('SimulatorDisconnect'),
          responses: {
            '200': { description: 'Dropped', content: { 'application/json': { schema: object({ reason: str }) } } },
            '404': errorResponse('Not running the simulator engine.'),
            '409': errorResponse('No open connection.'),
          },
        }),
      },
    },
  };
}
