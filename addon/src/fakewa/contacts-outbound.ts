/**
 * What the contacts do with a `<message>` a linked account sends: each addressed device decrypts
 * its pairwise part (`<participants><to jid><enc>` or a direct `<enc>` on retries), group members
 * take the sender key and read the `skmsg`, and the account's own phone reads its copy (DSM).
 */
import { jidDecode, type BinaryNode, type proto } from 'baileys';

import type { Contact, ContactBook } from './contacts-book.js';
import type { FakeGroups } from './groups.js';
import { child, children } from './stanzas.js';
import type { SignalMessageType } from './signal-peer.js';

export interface DecryptedSend {
  id: string;
  /** The chat: the contact's phone-number jid or the group jid. */
  chat: string;
  group?: string;
  /** The first decrypted content that is more than a sender key. */
  content: proto.Message | null;
  /** Phones of contacts that could read the content. */
  readBy: Set<string>;
  /** Device jids that got a pairwise part (direct ones are retry resends). */
  devices: string[];
  /** The account's phone read its own copy. */
  phoneCopy: boolean;
  /** This stanza was a resend to one device (an answer to a retry receipt). */
  resend: boolean;
}

export interface OutboundContext {
  book: ContactBook;
  groups: FakeGroups;
  /** The account's own phone as a Signal peer (it reads the copies Baileys sends it). */
  phone: Contact | undefined;
  /** The sending companion's Signal address as contacts know it (`lid:device@lid`). */
  sender: string;
}

function isOnlySenderKey(message: proto.IMessage): boolean {
  const fields = Object.keys(message).filter((key) => key !== 'messageContextInfo' && key !== 'senderKeyDistributionMessage');
  return fields.length === 0;
}

/** True when the account sends this to someone the contacts stand for (not a peer/status/newsletter stanza). */
export function isForContacts(node: BinaryNode, context: Pick<OutboundContext, 'book' | 'groups'>): boolean {
  if (node.tag !== 'message' || node.attrs.category === 'peer') return false;
  const to = node.attrs.to ?? '';
  const server = jidDecode(to)?.server;
  if (server === 'g.us') return context.groups.has(to);
  return (server === 'lid' || server === 's.whatsapp.net') && context.book.find(to) !== undefined;
}

async function readPairwise(
  context: OutboundContext,
  deviceJid: string,
  enc: BinaryNode,
  result: DecryptedSend,
): Promise<void> {
  const type = enc.attrs.type as SignalMessageType;
  if ((type !== 'pkmsg' && type !== 'msg') || !(enc.content instanceof Uint8Array)) return;
  const device = jidDecode(deviceJid)?.device ?? 0;
  const isPhone = context.phone?.owns(deviceJid) ?? false;
  const reader = isPhone ? context.phone : context.book.find(deviceJid);
  if (!reader) return;
  let message = await reader.device(device).decrypt(context.sender, type, enc.content);
  result.devices.push(deviceJid);
  if (message.deviceSentMessage?.message) message = message.deviceSentMessage.message as proto.Message;
  if (message.senderKeyDistributionMessage) await reader.device(device).acceptSenderKey(context.sender, message.senderKeyDistributionMessage);
  if (isPhone) {
    result.phoneCopy = true;
    return;
  }
  if (isOnlySenderKey(message)) return;
  result.content ??= message;
  result.readBy.add(reader.phone);
}

/** Decrypts everything in one account `<message>` the contacts can read. */
export async function decryptSend(node: BinaryNode, context: OutboundContext): Promise<DecryptedSend> {
  const to = node.attrs.to ?? '';
  const isGroup = jidDecode(to)?.server === 'g.us';
  const addressed = isGroup ? undefined : context.book.find(to);
  const result: DecryptedSend = {
    id: node.attrs.id ?? '',
    chat: isGroup ? to : (addressed?.pnJid ?? to),
    ...(isGroup ? { group: to } : {}),
    content: null,
    readBy: new Set(),
    devices: [],
    phoneCopy: false,
    resend: false,
  };
  for (const target of children(child(node, 'participants'))) {
    const enc = child(target, 'enc');
    if (target.tag === 'to' && target.attrs.jid && enc) await readPairwise(context, target.attrs.jid, enc, result);
  }
  for (const enc of children(node).filter((candidate) => candidate.tag === 'enc' && candidate.attrs.type !== 'skmsg')) {
    // A direct part: a resend to the one device that asked (retry), named by `participant` in groups.
    result.resend = true;
    await readPairwise(context, isGroup ? (node.attrs.participant ?? '') : to, enc, result);
  }
  const skmsg = children(node).find((candidate) => candidate.tag === 'enc' && candidate.attrs.type === 'skmsg');
  if (isGroup && skmsg?.content instanceof Uint8Array) await readGroupMessage(context, to, skmsg.content, result);
  return result;
}

/**
 * The server hands a group message to every current member (and to any device the sender
 * addressed); a member reads it when it holds the sender's current sender key.
 */
async function readGroupMessage(context: OutboundContext, group: string, ciphertext: Uint8Array, result: DecryptedSend): Promise<void> {
  const members = new Set(context.groups.get(group).members.map((member) => member.phone));
  for (const jid of result.devices) {
    const contact = context.book.find(jid);
    if (contact) members.add(contact.phone);
  }
  for (const phone of members) {
    const contact = context.book.byPhone(phone);
    if (!contact || context.phone?.phone === phone) continue;
    for (const device of contact.devices()) {
      try {
        const message = await contact.device(device).decryptGroup(group, context.sender, ciphertext);
        result.content ??= message;
        result.readBy.add(phone);
        break;
      } catch {
        // No sender key (never sent to this device): the message stays unreadable here, as on a phone.
      }
    }
  }
}
