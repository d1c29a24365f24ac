/**
 * Turns a message Baileys delivered into the journal's `message` data. Pure apart from the
 * look-ups in NormaliseContext. Its neighbours: `message-kinds.ts` (per-kind fields),
 * `jid-identities.ts` (phone numbers and LIDs), `normalise-receipts.ts` and `normalise-groups.ts`.
 */
import { isJidGroup, toNumber, type WAMessage, type WAMessageKey } from 'baileys';

import type { MessageData } from '../journal/types.js';
import { isIgnoredChat, isSameUser, phoneOfJid, preferPhoneJid } from './jid-identities.js';
import { contextInfoOf, unwrapContent } from './message-content.js';
import { kindFieldsOf } from './message-kinds.js';
import type { NormaliseContext } from './normalise-context.js';

function isoTimestamp(value: WAMessage['messageTimestamp']): string {
  const seconds = value === null || value === undefined ? 0 : toNumber(value);
  return new Date(seconds > 0 ? seconds * 1000 : Date.now()).toISOString();
}

/** The chat as the journal names it, and who wrote in it. */
async function chatAndSender(
  key: WAMessageKey,
  rawChat: string,
  isGroup: boolean,
  ctx: NormaliseContext,
): Promise<{ chat: string; sender: string }> {
  const fromMe = key.fromMe === true;
  if (isGroup) {
    const sender =
      fromMe && ctx.ownJid ? ctx.ownJid : await preferPhoneJid(key.participant ?? rawChat, key.participantAlt, ctx);
    return { chat: rawChat, sender };
  }
  // For our own messages Baileys may put *our* phone number in remoteJidAlt, not the peer's.
  const peerAlt = fromMe && isSameUser(key.remoteJidAlt, ctx.ownJid) && !isSameUser(rawChat, ctx.ownLid)
    ? null
    : key.remoteJidAlt;
  const chat = await preferPhoneJid(rawChat, peerAlt, ctx);
  return { chat, sender: fromMe ? (ctx.ownJid ?? chat) : chat };
}

/**
 * The journal's `message` data for a message Baileys delivered, or null when the message is not
 * something a person sent (protocol traffic, system stubs, status updates, channels, broadcasts).
 */
export async function normaliseMessage(message: WAMessage, ctx: NormaliseContext): Promise<MessageData | null> {
  const { key } = message;
  const id = key.id;
  const rawChat = key.remoteJid;
  if (!id || !rawChat || isIgnoredChat(rawChat)) return null;
  if (message.messageStubType) return null;
  const content = unwrapContent(message.message);
  if (!content) return null;

  const kind = await kindFieldsOf(message, content, ctx);
  if (!kind) return null;

  const fromMe = key.fromMe === true;
  const isGroup = isJidGroup(rawChat) === true;
  const { chat, sender } = await chatAndSender(key, rawChat, isGroup, ctx);

  const contextInfo = contextInfoOf(content);
  const mentions = await Promise.all(
    (contextInfo?.mentionedJid ?? []).map((jid) => preferPhoneJid(jid, null, ctx)),
  );
  const pushName = message.pushName || null;
  const chatName = isGroup ? await ctx.groupSubject(rawChat) : fromMe ? null : pushName;

  return {
    id,
    chat,
    chat_type: isGroup ? 'group' : 'individual',
    chat_name: chatName,
    sender,
    sender_phone: phoneOfJid(sender),
    sender_name: pushName,
    from_me: fromMe,
    timestamp: isoTimestamp(message.messageTimestamp),
    ...kind,
    quoted_id: contextInfo?.stanzaId || null,
    mentions,
  };
}
