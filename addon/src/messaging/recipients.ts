/**
 * Who a message goes to: a phone number in any common writing, or a jid. Phone numbers are checked
 * against WhatsApp once and the answer cached, so a typo gives a clear error instead of a message
 * into the void.
 */
import { ApiError } from '../api/errors.js';
import type { Messenger } from '../engine/types.js';
import { phoneToJid, toE164 } from '../util/phone.js';

const JID = /^[0-9A-Za-z._-]+(:\d+)?@(s\.whatsapp\.net|g\.us|lid|newsletter)$/;
const KNOWN_TTL_MS = 24 * 60 * 60 * 1000;
const UNKNOWN_TTL_MS = 60 * 60 * 1000;

export type Recipient = { kind: 'jid'; jid: string } | { kind: 'phone'; e164: string };

/** Parse without asking WhatsApp; throws a 400 that says how to write it. */
export function parseRecipient(raw: string, field = 'to'): Recipient {
  const value = raw.trim();
  if (value.includes('@')) {
    if (!JID.test(value)) {
      throw new ApiError(400, 'invalid_recipient', `"${field}" is neither a phone number nor a WhatsApp jid (like 4917612345678@s.whatsapp.net or 120363…@g.us).`);
    }
    return { kind: 'jid', jid: value.replace(/:\d+@/, '@') };
  }
  return { kind: 'phone', e164: toE164(value) };
}

export class RecipientResolver {
  private readonly cache = new Map<string, { jid: string | null; until: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** The jid to send to; 404 `not_on_whatsapp` for a number WhatsApp does not know. */
  async resolve(recipient: Recipient, messenger: Messenger): Promise<string> {
    if (recipient.kind === 'jid') return recipient.jid;
    const cached = this.cache.get(recipient.e164);
    let jid: string | null;
    if (cached && cached.until > this.now()) {
      jid = cached.jid;
    } else {
      const check = await messenger.checkNumber(recipient.e164.slice(1));
      jid = check.exists ? (check.jid ?? phoneToJid(recipient.e164)) : null;
      this.cache.set(recipient.e164, { jid, until: this.now() + (jid ? KNOWN_TTL_MS : UNKNOWN_TTL_MS) });
    }
    if (!jid) {
      throw new ApiError(404, 'not_on_whatsapp', `${recipient.e164} does not use WhatsApp. Check the number and its country code.`);
    }
    return jid;
  }
}
