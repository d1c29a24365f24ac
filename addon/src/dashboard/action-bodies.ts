/**
 * The two bodies the page's own scripts send with an action: the optional name of a new account and
 * the phone number to link by code. Anything else is refused with a message naming the field.
 */
import { ACCOUNT_ID_PATTERN } from '../accounts/directory.js';
import { ApiError } from '../api/errors.js';

const ACCOUNT_ID = new RegExp(ACCOUNT_ID_PATTERN);
const MAX_PHONE_CHARS = 64;

function invalid(message: string): ApiError {
  return new ApiError(400, 'invalid_request', message);
}

/** The body as an object with only `allowed` fields, each a string; no body counts as `{}`. */
function stringFields<K extends string>(body: unknown, allowed: readonly K[]): Partial<Record<K, string>> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw invalid('The request body must be a JSON object.');
  const fields: Partial<Record<K, string>> = {};
  for (const [key, value] of Object.entries(body)) {
    if (!(allowed as readonly string[]).includes(key)) throw invalid(`Unknown field "${key}". Allowed: ${allowed.join(', ') || 'none'}.`);
    if (typeof value !== 'string') throw invalid(`"${key}" must be a string.`);
    fields[key as K] = value;
  }
  return fields;
}

/** `{"id"?}`: the new account's name, or undefined to have one made up. */
export function newAccountName(body: unknown): string | undefined {
  const id = stringFields(body, ['id']).id?.trim();
  if (!id) return undefined;
  if (!ACCOUNT_ID.test(id)) {
    throw new ApiError(400, 'invalid_account_id', 'Name the account with lower-case letters, digits and dashes (up to 32), or leave the name empty.');
  }
  return id;
}

/** `{"phone_number"}`: as typed by the person, checked as a phone number later. */
export function phoneNumberToLink(body: unknown): string {
  const phone = stringFields(body, ['phone_number']).phone_number?.trim();
  if (!phone) throw invalid('"phone_number" is required: the WhatsApp number of the phone to link, with its country code.');
  if (phone.length > MAX_PHONE_CHARS) throw invalid(`"phone_number" is longer than ${MAX_PHONE_CHARS} characters.`);
  return phone;
}
