/**
 * Small, strict validators for request input: unknown fields and wrong types are refused with a
 * message that names the field, so a caller knows exactly what to fix.
 */
import { ApiError } from './errors.js';

export type JsonObject = Record<string, unknown>;

function invalid(message: string): ApiError {
  return new ApiError(400, 'invalid_request', message);
}

/** The JSON body as an object with only the allowed fields. A missing body counts as `{}`. */
export function objectBody(body: unknown, allowed: readonly string[]): JsonObject {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw invalid('The request body must be a JSON object.');
  const unknown = Object.keys(body).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) {
    throw invalid(
      `Unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')}. Allowed: ${allowed.join(', ') || 'none'}.`,
    );
  }
  return body as JsonObject;
}

export function requiredString(body: JsonObject, field: string, maxLength = 4096): string {
  const value = body[field];
  if (value === undefined || value === null) throw invalid(`"${field}" is required.`);
  if (typeof value !== 'string') throw invalid(`"${field}" must be a string.`);
  if (value.trim() === '') throw invalid(`"${field}" must not be empty.`);
  if (value.length > maxLength) throw invalid(`"${field}" is longer than ${maxLength} characters.`);
  return value;
}

export function optionalString(body: JsonObject, field: string, maxLength = 4096): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalid(`"${field}" must be a string.`);
  if (value.length > maxLength) throw invalid(`"${field}" is longer than ${maxLength} characters.`);
  return value;
}

/**
 * For a field the API takes under either of two names: the name the caller used (the first name
 * when neither is given, so "required" errors name it). Both at once is refused.
 */
export function eitherField(body: JsonObject, names: readonly [string, string]): string {
  const given = names.filter((name) => body[name] !== undefined && body[name] !== null);
  if (given.length > 1) throw invalid(`Give either "${names[0]}" or "${names[1]}", not both.`);
  return given[0] ?? names[0];
}

export function optionalBoolean(body: JsonObject, field: string): boolean | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw invalid(`"${field}" must be true or false.`);
  return value;
}

export function optionalNumber(body: JsonObject, field: string, min: number, max: number): number | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(`"${field}" must be a number.`);
  if (value < min || value > max) throw invalid(`"${field}" must be between ${min} and ${max}.`);
  return value;
}

export function optionalObject(body: JsonObject, field: string, allowed: readonly string[]): JsonObject | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw invalid(`"${field}" must be an object.`);
  const unknown = Object.keys(value).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) throw invalid(`Unknown field "${field}.${unknown[0]}". Allowed in "${field}": ${allowed.join(', ')}.`);
  return value as JsonObject;
}

export function optionalStringArray(body: JsonObject, field: string, maxItems = 1000): string[] | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) throw invalid(`"${field}" must be a list of strings.`);
  if (value.length > maxItems) throw invalid(`"${field}" may hold at most ${maxItems} items.`);
  return value as string[];
}

/** A query parameter as a whole number in range, or the default when absent. */
export function queryInt(query: unknown, field: string, fallback: number, min: number, max: number): number {
  const raw = (query as Record<string, unknown>)[field];
  if (raw === undefined) return fallback;
  if (typeof raw !== 'string' || !/^-?\d+$/.test(raw)) throw invalid(`Query parameter "${field}" must be a whole number.`);
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw invalid(`Query parameter "${field}" must be between ${min} and ${max}.`);
  }
  return value;
}

export function onlyQuery(query: unknown, allowed: readonly string[]): void {
  const unknown = Object.keys(query as object).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) {
    throw invalid(`Unknown query parameter "${unknown[0]}".${allowed.length ? ` Allowed: ${allowed.join(', ')}.` : ''}`);
  }
}
