// What the normalise tests share: the people and chats they use, a context that knows them, and messages
// built the way WhatsApp builds them.
import assert from 'node:assert/strict';

import { proto, type WAMessage, type WAMessageKey } from 'baileys';

import type { MessageData } from '../../src/journal/types.js';
import { normaliseMessage } from '../../src/engine/normalise.js';
import type { NormaliseContext } from '../../src/engine/normalise-context.js';
import { buildIncomingMessage, type IncomingSpec } from '../../src/engine/wa-message-builder.js';

import { staticNormaliseContext } from './static-normalise-context.js';

export const OWN = '15550000001@s.whatsapp.net';
export const OWN_LID = '90000000000001@lid';
export const ALICE = '4917612345678@s.whatsapp.net';
export const ALICE_LID = '123456789012345@lid';
export const BOB = '447700900123@s.whatsapp.net';
export const BOB_LID = '222222222222222@lid';
export const STRANGER_LID = '999999999999999@lid';
export const GROUP = '120363025246125486@g.us';
export const T = 1_700_000_000;
export const T_ISO = new Date(T * 1000).toISOString();

/** A message store as the service keeps one: real messages by id. */
export function store(...messages: WAMessage[]): Map<string, WAMessage> {
  return new Map(messages.map((m) => [m.key.id!, m]));
}

export function context(messages = new Map<string, WAMessage>(), warnings: string[] = []): NormaliseContext {
  return staticNormaliseContext({
    ownJid: OWN,
    ownLid: OWN_LID,
    lidToPhone: { [ALICE_LID]: ALICE, [OWN_LID]: OWN },
    groupSubjects: { [GROUP]: 'Family' },
    messageContent: (key: WAMessageKey) => messages.get(key.id ?? '')?.message ?? undefined,
    logger: { warn: (_obj: unknown, msg?: string) => void warnings.push(msg ?? '') } as NormaliseContext['logger'],
  });
}

export function finder(messages: Map<string, WAMessage>) {
  return { findMessage: (id: string) => messages.get(id) };
}

/** Sends the message through protobuf encoding and back, as it would cross the wire and the store. */
export function overTheWire(message: WAMessage): WAMessage {
  const decoded = proto.WebMessageInfo.decode(proto.WebMessageInfo.encode(message).finish());
  return Object.assign(decoded, { key: { ...message.key } });
}

export function incoming(spec: Omit<IncomingSpec, 'from'> & { from?: string }, messages = new Map<string, WAMessage>()): WAMessage {
  return buildIncomingMessage({ from: ALICE, name: 'Alice', timestamp: T, ...spec }, OWN, finder(messages));
}

export async function normalised(message: WAMessage, ctx = context()): Promise<MessageData> {
  const data = await normaliseMessage(message, ctx);
  assert.ok(data, 'expected a message, got null');
  return data;
}

/** Fields every kind shares, for a 1:1 message from Alice. */
export function fromAlice(id: string): Pick<
  MessageData,
  'id' | 'chat' | 'chat_type' | 'chat_name' | 'sender' | 'sender_phone' | 'sender_name' | 'from_me' | 'timestamp'
> {
  return {
    id,
    chat: ALICE,
    chat_type: 'individual',
    chat_name: 'Alice',
    sender: ALICE,
    sender_phone: '+4917612345678',
    sender_name: 'Alice',
    from_me: false,
    timestamp: T_ISO,
  };
}

export { NO_CONTENT } from '../helpers/messages.js';

/** A message exactly as Baileys hands it over after decrypting, built field by field. */
export function raw(key: WAMessageKey, message: proto.IMessage, extra: Partial<proto.IWebMessageInfo> = {}): WAMessage {
  const info = proto.WebMessageInfo.fromObject({ message, messageTimestamp: T, pushName: 'Alice', ...extra });
  return Object.assign(info, { key });
}
