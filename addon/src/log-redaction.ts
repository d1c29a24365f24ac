/**
 * Phone numbers out of log lines at info level and above. Baileys names accounts and contacts in its
 * own log lines (jids like `4917612345678:1@s.whatsapp.net`, LIDs, Signal addresses, the login
 * username), in fields and in error messages alike, so the finished JSON line is masked rather than
 * chosen fields. Debug and trace lines keep them: a user who turns on debug logging to report a
 * problem gets the whole picture.
 *
 * Every rule only rewrites text inside JSON strings (a jid, an E.164 number, a Signal address or a
 * string of digits only), so the line stays valid JSON.
 */

/** Lines below this pino level (info) are written as they are. */
const MASK_FROM_LEVEL = 30;
const LEVEL = /^\{"level":(\d+)/;

/** Keeps the first and last two digits, enough to tell numbers apart in a log, not enough to dial. */
function maskDigits(digits: string): string {
  return `${digits.slice(0, 2)}…${digits.slice(-2)}`;
}

const RULES: ReadonlyArray<[RegExp, (match: string, digits: string) => string]> = [
  // User jids and LIDs, with or without a device: 4917612345678:1@s.whatsapp.net, 1234…@lid.
  [/(?<![\d])(\d{6,})(?=(?::\d+)?@(?:s\.whatsapp\.net|c\.us|lid|hosted|hosted\.lid)\b)/g, (_m, digits) => maskDigits(digits)],
  // Old group ids start with the creator's number: 4917612345678-1600000000@g.us.
  [/(?<![\d])(\d{6,})(?=-\d+@g\.us\b)/g, (_m, digits) => maskDigits(digits)],
  // Signal session addresses: 4917612345678_1.0 (number or LID, then device).
  [/(?<![\d])(\d{6,})(?=_\d+\.\d+)/g, (_m, digits) => maskDigits(digits)],
  // E.164, also written with spaces, dashes or brackets: +49 176 1234-5678.
  [/\+(\d(?:[ ()-]?\d){6,14})/g, (_m, number) => `+${maskDigits(number.replace(/\D/g, ''))}`],
  // A JSON string of digits only (the login username is the bare number).
  [/"(\d{8,15})"/g, (_m, digits) => `"${maskDigits(digits)}"`],
];

export function maskPhoneNumbers(text: string): string {
  let masked = text;
  for (const [pattern, replace] of RULES) masked = masked.replace(pattern, replace as (match: string, ...groups: string[]) => string);
  return masked;
}

/** pino's `hooks.streamWrite`: the serialized line, masked when its level is info or above. */
export function redactLogLine(line: string): string {
  const level = LEVEL.exec(line);
  if (level && Number(level[1]) < MASK_FROM_LEVEL) return line;
  return maskPhoneNumbers(line);
}
