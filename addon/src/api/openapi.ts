/**
 * The OpenAPI 3.1 description of every route. Tests validate the server's real responses against
 * these schemas, so a change to a route must change this document too.
 */
import { MESSAGE_KINDS } from '../journal/types.js';

type Schema = Record<string, unknown>;

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const nullable = (schema: Schema): Schema => ({ anyOf: [schema, { type: 'null' }] });
const str: Schema = { type: 'string' };
const dateTime: Schema = { type: 'string', format: 'date-time' };

function object(properties: Record<string, Schema>, required: string[] = Object.keys(properties), extra = false): Schema {
  return { type: 'object', properties, required, additionalProperties: extra };
}

const CONNECTION_STATES = ['starting', 'pairing', 'connected', 'reconnecting', 'logged_out'];
const DISCONNECT_REASONS = [
  'connectionClosed',
  'connectionLost',
  'connectionReplaced',
  'timedOut',
  'loggedOut',
  'badSession',
  'restartRequired',
  'multideviceMismatch',
  'forbidden',
  'unavailableService',
  'qrExpired',
  'unknown',
];

const schemas: Record<string, Schema> = {
  Error: object({
    error: object({
      code: { type: 'string', pattern: '^[a-z][a-z0-9_]*$', description: 'Stable snake_case code to branch on.' },
      message: { type: 'string', description: 'What went wrong and what to do about it.' },
    }),
  }),
  Health: object({
    status: { const: 'ok' },
    version: str,
    state: { enum: CONNECTION_STATES },
  }),
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
    last_disconnect: nullable(object({ reason: { enum: DISCONNECT_REASONS }, message: str, at: dateTime })),
    since: { ...dateTime, description: 'When the current state began.' },
  }),
  PairingCodeRequest: object({ phone_number: { type: 'string', description: 'The phone number of the WhatsApp account to link, with country code.' } }),
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
    gap: { type: 'boolean', description: 'True when events after `after` were already trimmed and are lost to this reader.' },
  }),
  SimulatorScan: object({ phone: str, name: str }, []),
  SimulatorIncoming: object(
    {
      from: { type: 'string', description: 'Sender phone number or jid.' },
      chat: { type: 'string', description: 'Group jid, for a group message.' },
      kind: { enum: [...MESSAGE_KINDS] },
      id: str,
      name: str,
      from_me: { type: 'boolean' },
      timestamp: { type: 'number' },
      text: str,
      caption: str,
      media: object({ mimetype: str, filename: str, size: { type: 'integer', minimum: 0 }, seconds: { type: 'number', minimum: 0 } }, []),
      location: object({ latitude: { type: 'number' }, longitude: { type: 'number' }, name: str, address: str }, ['latitude', 'longitude']),
      contact: object({ name: str, phone: str }, []),
      poll: object({ question: str, options: { type: 'array', items: str }, multiple: { type: 'boolean' } }, ['question']),
      reaction: object({ message_id: str, emoji: str }, ['message_id']),
      poll_vote: object({ poll_id: str, selected: { type: 'array', items: str } }, ['poll_id']),
      target_id: str,
      quoted_id: str,
      mentions: { type: 'array', items: str },
    },
    ['from'],
  ),
  SimulatorDisconnect: object({ reason: { enum: DISCONNECT_REASONS.filter((r) => r !== 'qrExpired' && r !== 'unknown') } }),
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

const COMMON_ERRORS = {
  '400': errorResponse('Invalid input: the message names the field to fix.'),
  '401': errorResponse('Missing or wrong API key.'),
  '413': errorResponse('Request body too large.'),
  '500': errorResponse('Unexpected error.'),
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
        'The REST API of the add-on that owns the linked-device WhatsApp session. Every route but /health and /openapi.json needs `Authorization: Bearer <api key>`. Errors are always `{"error": {"code", "message"}}`.',
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
            { name: 'wait', in: 'query', required: false, schema: { type: 'integer', minimum: 0, maximum: 60, default: 0 }, description: 'Seconds to wait for an event when there is none yet.' },
          ],
          responses: { '200': ok('EventPage') },
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
