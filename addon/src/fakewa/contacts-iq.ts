/**
 * The server's answers about contacts: usync (device lists, LIDs, "is this number on WhatsApp")
 * and pre-key bundle fetches, in the shapes Baileys parses (WAUSync protocols, Utils/signal.js).
 */
import { encodeBigEndian, jidDecode, type BinaryNode } from 'baileys';

import type { Contact, ContactBook } from './contacts-book.js';
import type { PublicBundle } from './signal-peer.js';
import { bytesOf, child, children, iqResult } from './stanzas.js';
import type { LinkedAccount } from './types.js';

/** Someone usync can describe: a contact, or a linked account's own phone and companions. */
export interface UsyncSubject {
  phone: string;
  lid: string;
  /** Device number → key index (0 for the primary, which needs none). */
  devices: Array<{ id: number; keyIndex: number }>;
}

export interface UsyncDirectory {
  /** Who a user jid (PN or LID) or a `+phone` names; undefined when not on WhatsApp. */
  lookup(jidOrPhone: string): UsyncSubject | undefined;
}

function userNode(request: BinaryNode, protocols: Set<string>, directory: UsyncDirectory): BinaryNode {
  const askedJid = request.attrs.jid;
  const phoneNode = child(request, 'contact');
  const askedPhone = phoneNode ? bytesOf(phoneNode)?.toString('utf8') : undefined;
  const subject = directory.lookup(askedJid ?? askedPhone ?? '');
  const askedLid = askedJid ? jidDecode(askedJid)?.server === 'lid' : false;
  const jid = askedJid ?? `${(askedPhone ?? '').replace(/\D/g, '')}@s.whatsapp.net`;
  const content: BinaryNode[] = [];
  if (protocols.has('contact')) content.push({ tag: 'contact', attrs: { type: subject ? 'in' : 'out' } });
  if (subject && protocols.has('devices')) {
    content.push({
      tag: 'devices',
      attrs: {},
      content: [
        {
          tag: 'device-list',
          attrs: {},
          content: subject.devices.map(({ id, keyIndex }): BinaryNode => {
            const attrs: Record<string, string> = { id: id.toString() };
            // Baileys drops non-zero devices without a key index (WhatsApp would refuse the send).
            if (id !== 0) attrs['key-index'] = keyIndex.toString();
            return { tag: 'device', attrs };
          }),
        },
        { tag: 'key-index-list', attrs: { ts: Math.floor(Date.now() / 1000).toString() } },
      ],
    });
  }
  // The LID protocol maps a phone number to its LID; asked about a LID it has nothing to add.
  if (subject && protocols.has('lid') && !askedLid) content.push({ tag: 'lid', attrs: { val: `${subject.lid}@lid` } });
  return { tag: 'user', attrs: { jid }, content };
}

/** Answers `<iq xmlns="usync">`. */
export function answerUsync(iq: BinaryNode, directory: UsyncDirectory): BinaryNode {
  const usync = child(iq, 'usync');
  const protocols = new Set(children(child(usync, 'query')).map((node) => node.tag));
  const users = children(child(usync, 'list')).filter((node) => node.tag === 'user');
  return iqResult(iq, [
    {
      tag: 'usync',
      attrs: {
        sid: usync?.attrs.sid ?? '',
        index: '0',
        last: 'true',
        mode: usync?.attrs.mode ?? 'query',
        context: usync?.attrs.context ?? 'interactive',
      },
      content: [
        { tag: 'result', attrs: {}, content: [...protocols].map((tag) => ({ tag, attrs: {} })) },
        { tag: 'list', attrs: {}, content: users.map((user) => userNode(user, protocols, directory)) },
      ],
    },
  ]);
}

/** One `<user>` of a pre-key answer: the bundle of one device, or an error when there is none. */
export function bundleUserNode(jid: string, bundle: PublicBundle | undefined): BinaryNode {
  if (!bundle) return { tag: 'user', attrs: { jid }, content: [{ tag: 'error', attrs: { code: '404', text: 'item-not-found' } }] };
  const content: BinaryNode[] = [
    { tag: 'registration', attrs: {}, content: encodeBigEndian(bundle.registrationId, 4) },
    { tag: 'type', attrs: {}, content: Buffer.from([5]) },
    { tag: 'identity', attrs: {}, content: bundle.identityKey },
  ];
  if (bundle.preKey) {
    content.push({
      tag: 'key',
      attrs: {},
      content: [
        { tag: 'id', attrs: {}, content: encodeBigEndian(bundle.preKey.keyId, 3) },
        { tag: 'value', attrs: {}, content: bundle.preKey.publicKey },
      ],
    });
  }
  content.push({
    tag: 'skey',
    attrs: {},
    content: [
      { tag: 'id', attrs: {}, content: encodeBigEndian(bundle.signedPreKey.keyId, 3) },
      { tag: 'value', attrs: {}, content: bundle.signedPreKey.publicKey },
      { tag: 'signature', attrs: {}, content: bundle.signedPreKey.signature },
    ],
  });
  return { tag: 'user', attrs: { jid }, content };
}

/** The device jids an `<iq xmlns="encrypt" type="get"><key>` asks bundles for. */
export function requestedBundleJids(iq: BinaryNode): string[] {
  return children(child(iq, 'key'))
    .filter((node) => node.tag === 'user' && node.attrs.jid)
    .map((node) => node.attrs.jid!);
}

/** Answers a pre-key fetch with the bundles `bundleFor` hands out. */
export function answerPreKeyFetch(iq: BinaryNode, bundleFor: (jid: string) => PublicBundle | undefined): BinaryNode {
  const users = requestedBundleJids(iq).map((jid) => bundleUserNode(jid, bundleFor(jid)));
  return iqResult(iq, [{ tag: 'list', attrs: {}, content: users }]);
}

/** The usync view of a contact: its primary and any companion devices (key index = device number). */
export function contactSubject(contact: Contact): UsyncSubject {
  return { phone: contact.phone, lid: contact.lid, devices: contact.devices().map((id) => ({ id, keyIndex: id })) };
}

/**
 * Who a user jid (PN or LID) or phone number names for usync: a linked account (its phone and its
 * companion), else a contact, who is created on first use when the number is on WhatsApp.
 */
export function usyncSubjectOf(jidOrPhone: string, accounts: ReadonlyArray<LinkedAccount & { keyIndex?: number }>, book: ContactBook): UsyncSubject | undefined {
  const jid = jidOrPhone.includes('@') ? jidOrPhone : `${jidOrPhone.replace(/\D/g, '')}@s.whatsapp.net`;
  const user = jidDecode(jid)?.user;
  for (const account of accounts) {
    if (user === account.phone || user === account.lid) {
      return { phone: account.phone, lid: account.lid, devices: [{ id: 0, keyIndex: 0 }, { id: account.device, keyIndex: account.keyIndex ?? account.device }] };
    }
  }
  const contact = book.resolve(jidOrPhone.includes('@') ? jidOrPhone : jidOrPhone.replace(/\D/g, ''));
  return contact ? contactSubject(contact) : undefined;
}
