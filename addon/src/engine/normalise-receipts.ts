/**
 * Delivery and read statuses of our own messages, from `messages.update` (1:1 chats, send errors)
 * and `message-receipt.update` (one per group member).
 */
import { isJidGroup, proto, type MessageUserReceiptUpdate, type WAMessageUpdate } from 'baileys';

import type { MessageStatus, MessageStatusData } from '../journal/types.js';
import { isIgnoredChat, preferPhoneJid } from './jid-identities.js';
import type { IdentityLookup } from './normalise-context.js';

const STATUS_BY_PROTO: ReadonlyMap<proto.WebMessageInfo.Status, MessageStatus> = new Map([
  [proto.WebMessageInfo.Status.ERROR, 'failed'],
  [proto.WebMessageInfo.Status.SERVER_ACK, 'sent'],
  [proto.WebMessageInfo.Status.DELIVERY_ACK, 'delivered'],
  [proto.WebMessageInfo.Status.READ, 'read'],
  [proto.WebMessageInfo.Status.PLAYED, 'played'],
]);

function statusOfUserReceipt(receipt: proto.IUserReceipt): MessageStatus | null {
  if (receipt.playedTimestamp) return 'played';
  if (receipt.readTimestamp) return 'read';
  if (receipt.receiptTimestamp) return 'delivered';
  return null;
}

/**
 * The journal's `message_status` data for one of our own messages. Null for anything else,
 * including statuses of other people's messages and the PENDING state.
 */
export async function normaliseReceipt(
  update: WAMessageUpdate | MessageUserReceiptUpdate,
  ctx: IdentityLookup,
): Promise<MessageStatusData | null> {
  const { key } = update;
  if (!key.fromMe || !key.id || !key.remoteJid || isIgnoredChat(key.remoteJid)) return null;
  let status: MessageStatus | null;
  if ('receipt' in update) {
    status = statusOfUserReceipt(update.receipt);
  } else {
    const protoStatus = update.update.status;
    status = protoStatus === null || protoStatus === undefined ? null : (STATUS_BY_PROTO.get(protoStatus) ?? null);
  }
  if (!status) return null;
  const chat = isJidGroup(key.remoteJid)
    ? key.remoteJid
    : await preferPhoneJid(key.remoteJid, key.remoteJidAlt, ctx);
  return { id: key.id, chat, status };
}
