/**
 * What the normaliser needs to know beyond the message itself, and how a live connection answers it:
 * look-ups that may ask WhatsApp are bounded so they never hold up the event queue for long.
 */
import { isLidUser, jidNormalizedUser, type proto, type WAMessageKey, type WASocket } from 'baileys';
import type { Logger } from 'pino';

import type { MessageStore } from '../auth/message-store.js';
import { bounded, LOOKUP_TIMEOUT_MS } from './bounded.js';
import { forgetOldest } from './bounded-map.js';

/** LIDs whose phone number a connection remembers; a LID names the same person for good. */
const REMEMBERED_LID_PHONES = 2_000;

type MaybePromise<T> = T | Promise<T>;

export interface NormaliseContext {
  /** Our own phone-number jid without device suffix, once paired. */
  readonly ownJid: string | null;
  /** Our own LID without device suffix, when WhatsApp has told us. */
  readonly ownLid?: string | null;
  phoneJidForLid(lid: string): MaybePromise<string | null>;
  lidForPhoneJid?(phoneJid: string): MaybePromise<string | null>;
  groupSubject(groupJid: string): MaybePromise<string | null>;
  /** The content of an earlier message: the poll a vote refers to. Without it, votes are dropped. */
  messageContent?(key: WAMessageKey): MaybePromise<proto.IMessage | null | undefined>;
  /** Told why a message that looked real was dropped; never given message text. */
  readonly logger?: Pick<Logger, 'warn'>;
}

/** Enough to turn a LID into a phone-number jid: receipts and group changes need no more. */
export type IdentityLookup = Pick<NormaliseContext, 'ownJid' | 'ownLid' | 'phoneJidForLid'>;

export interface ConnectionContextSources {
  /** The linked account as the credentials name it; absent while pairing. */
  me: { id: string; lid?: string } | undefined;
  /** Baileys' LID ⇄ phone-number store; absent before the socket exists. */
  lidMapping: WASocket['signalRepository']['lidMapping'] | undefined;
  groupSubject(groupJid: string): Promise<string | null>;
  messages: MessageStore;
  logger: Logger;
  /** Fires when the connection ends: look-ups still running give up. */
  abandon: AbortSignal;
}

/**
 * The context of one live connection, answered from Baileys' own stores. Made once per connection
 * and account (see BaileysConnection), not per event, so what it remembers is kept.
 */
export function connectionNormaliseContext(sources: ConnectionContextSources): NormaliseContext {
  const { me, lidMapping, abandon } = sources;
  // Receipts and messages from a LID-only chat ask for the same few people over and over: each ask
  // of Baileys' store costs a timer and several promises, an answer remembered costs a Map look-up.
  const phoneByLid = new Map<string, string>();
  return {
    ownJid: me?.id ? jidNormalizedUser(me.id) : null,
    ownLid: me?.lid ? jidNormalizedUser(me.lid) : null,
    phoneJidForLid: async (lid) => {
      const remembered = phoneByLid.get(lid);
      if (remembered !== undefined) return remembered;
      if (!lidMapping || !isLidUser(lid)) return null;
      const pn = await bounded(lidMapping.getPNForLID(lid), LOOKUP_TIMEOUT_MS, null, abandon);
      if (!pn) return null;
      const phoneJid = jidNormalizedUser(pn);
      phoneByLid.set(lid, phoneJid);
      forgetOldest(phoneByLid, REMEMBERED_LID_PHONES);
      return phoneJid;
    },
    lidForPhoneJid: async (pn) => {
      if (!lidMapping) return null;
      const lid = await bounded(lidMapping.getLIDForPN(pn), LOOKUP_TIMEOUT_MS, null, abandon);
      return lid ? jidNormalizedUser(lid) : null;
    },
    groupSubject: sources.groupSubject,
    messageContent: (key) => sources.messages.getMessageContent(key),
    logger: sources.logger,
  };
}
