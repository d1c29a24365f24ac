/**
 * Who a jid is: WhatsApp addresses a user by phone number or by LID (a number that hides the
 * phone). The journal prefers phone numbers; a poll vote must be checked against both forms.
 */
import { isJidBroadcast, isJidNewsletter, isLidUser, isPnUser, jidDecode, jidNormalizedUser } from 'baileys';

import type { IdentityLookup, NormaliseContext } from './normalise-context.js';

/** E.164 for a phone-number jid, null for anything else. */
export function phoneOfJid(jid: string | null | undefined): string | null {
  if (!jid || !isPnUser(jid)) return null;
  const user = jidDecode(jid)?.user;
  return user && /^\d+$/.test(user) ? `+${user}` : null;
}

/** Prefers the phone-number jid of a user: the alternative WhatsApp sent along, else a known mapping. */
export async function preferPhoneJid(jid: string, alt: string | null | undefined, ctx: IdentityLookup): Promise<string> {
  const normalised = jidNormalizedUser(jid);
  if (!isLidUser(normalised)) return normalised;
  if (alt && isPnUser(alt)) return jidNormalizedUser(alt);
  if (ctx.ownLid && normalised === ctx.ownLid && ctx.ownJid) return ctx.ownJid;
  const mapped = await ctx.phoneJidForLid(normalised);
  return mapped ? jidNormalizedUser(mapped) : normalised;
}

export function isSameUser(a: string | null | undefined, b: string | null | undefined): boolean {
  return !!a && !!b && jidNormalizedUser(a) === jidNormalizedUser(b);
}

/** Chats the journal does not cover: status updates, channels and broadcast lists. */
export function isIgnoredChat(jid: string): boolean {
  return isJidBroadcast(jid) === true || isJidNewsletter(jid) === true;
}

export function ownIdentities(ctx: Pick<NormaliseContext, 'ownJid' | 'ownLid'>): string[] {
  return [ctx.ownJid, ctx.ownLid].filter((jid): jid is string => !!jid);
}

/** A user's jid plus its other form (phone number ⇄ LID) where known. */
export async function identitiesOf(
  jid: string | null | undefined,
  alt: string | null | undefined,
  ctx: NormaliseContext,
): Promise<string[]> {
  if (!jid) return [];
  const identities = [jid];
  if (alt) identities.push(alt);
  const other = isLidUser(jid) ? await ctx.phoneJidForLid(jid) : await ctx.lidForPhoneJid?.(jid);
  if (other) identities.push(other);
  return identities;
}
