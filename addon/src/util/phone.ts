/**
 * Phone numbers as people write them (`+49 176 1234-5678`, `0049 176…`, `(555) 000-0001` with a
 * country code, bare digits) → E.164 and the WhatsApp user jid.
 */

export class PhoneNumberError extends Error {}

export function toE164(input: string): string {
  const trimmed = input.trim();
  if (!/^[+\d\s().\-/]+$/.test(trimmed)) {
    throw new PhoneNumberError(`"${input}" is not a phone number. Write it with the country code, e.g. +4917612345678.`);
  }
  let digits = trimmed.replace(/\D/g, '');
  if (!trimmed.startsWith('+') && digits.startsWith('00')) digits = digits.slice(2);
  if (digits.startsWith('0')) {
    throw new PhoneNumberError(
      `"${input}" has no country code. Write it in international form, e.g. +4917612345678 instead of 017612345678.`,
    );
  }
  if (digits.length < 7 || digits.length > 15) {
    throw new PhoneNumberError(`"${input}" is not a valid international phone number (7 to 15 digits with the country code).`);
  }
  return `+${digits}`;
}

export function phoneToJid(e164: string): string {
  return `${e164.replace(/\D/g, '')}@s.whatsapp.net`;
}

/** `4917612345678:12@s.whatsapp.net` → `+4917612345678`; null for groups, LIDs and others. */
export function jidToPhone(jid: string | null | undefined): string | null {
  if (!jid) return null;
  const match = /^(\d+)(?::\d+)?@s\.whatsapp\.net$/.exec(jid);
  return match ? `+${match[1]}` : null;
}

/** Strip the device part: `4917612345678:12@s.whatsapp.net` → `4917612345678@s.whatsapp.net`. */
export function bareJid(jid: string): string {
  return jid.replace(/:\d+@/, '@');
}
