/**
 * Request validation straight from the route's schemas (compiled once by Ajv), with messages that
 * name the field and say what to fix. Query and path values arrive as text and are coerced to the
 * declared types; JSON bodies are taken as sent, so a wrong type is refused.
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import type { Static, TSchema } from '@sinclair/typebox';
import { ApiError } from './errors.js';
import { INVALID_MESSAGE, NOT_BLANK } from './schema/common.js';

type Json = Record<string, unknown>;

/** Where a value came from, which decides how its fields are named in messages. */
export type InputPlace = 'body' | 'query' | 'path';

function newAjv(coerce: boolean): Ajv2020 {
  const ajv = new Ajv2020({ allErrors: true, verbose: true, coerceTypes: coerce, useDefaults: coerce, strict: true, strictTypes: false, strictRequired: false });
  ajv.addKeyword({ keyword: INVALID_MESSAGE, schemaType: 'string' });
  return ajv;
}

const bodyAjv = newAjv(false);
const textAjv = newAjv(true);
const compiled = new WeakMap<TSchema, ValidateFunction>();

function validatorFor(schema: TSchema, place: InputPlace): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = (place === 'body' ? bodyAjv : textAjv).compile(schema);
    compiled.set(schema, validate);
  }
  return validate;
}

/**
 * A discriminated union (every variant an object with a `const` in one common required property) is
 * validated in two steps: the discriminator first, then only the variant it names. One message about
 * the variant the caller meant beats a list of why each of the others did not match.
 */
function discriminatorOf(schema: TSchema): { property: string; variants: Map<unknown, TSchema> } | null {
  const variants = schema.anyOf as TSchema[] | undefined;
  if (!Array.isArray(variants) || variants.length === 0) return null;
  const first = variants[0]!;
  const property = Object.entries((first.properties ?? {}) as Record<string, Json>).find(([, p]) => 'const' in p)?.[0];
  if (!property) return null;
  const byValue = new Map<unknown, TSchema>();
  for (const variant of variants) {
    const tag = (variant.properties as Record<string, Json> | undefined)?.[property];
    if (!tag || !('const' in tag) || !(variant.required as string[] | undefined)?.includes(property)) return null;
    byValue.set(tag.const, variant);
  }
  return { property, variants: byValue };
}

/**
 * Compiles the validators of a schema ahead of the first request, so a schema Ajv cannot compile
 * stops the add-on at start instead of failing requests.
 */
export function prepareValidator(schema: TSchema, place: InputPlace): void {
  const union = place === 'body' ? discriminatorOf(schema) : null;
  if (union) for (const variant of union.variants.values()) validatorFor(variant, place);
  else validatorFor(schema, place);
}

function invalid(message: string): ApiError {
  return new ApiError(400, 'invalid_request', message);
}

/** Checks `value` against `schema` and returns it typed, or throws the 400 the caller should see. */
export function parseInput<T extends TSchema>(schema: T, value: unknown, place: InputPlace): Static<T> {
  const input = place === 'body' && (value === undefined || value === null) ? {} : value;
  const union = place === 'body' ? discriminatorOf(schema) : null;
  if (union) {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) throw invalid('The request body must be a JSON object.');
    const tag = (input as Json)[union.property];
    if (tag === undefined || tag === null) throw invalid(`"${union.property}" is required.`);
    const variant = union.variants.get(tag);
    if (!variant) throw invalid(`"${union.property}" must be one of ${[...union.variants.keys()].join(', ')}.`);
    return parseInput(variant, input, place) as Static<T>;
  }
  const validate = validatorFor(schema, place);
  if (!validate(input)) throw invalid(describeErrors(validate.errors ?? [], place));
  return input as Static<T>;
}

function fieldName(instancePath: string, place: InputPlace, child?: string): string {
  const parts = instancePath.split('/').slice(1).map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (child !== undefined) parts.push(child);
  const name = parts.reduce((joined, part) => (/^\d+$/.test(part) ? `${joined}[${part}]` : joined ? `${joined}.${part}` : part), '');
  if (place === 'query') return `Query parameter "${name}"`;
  if (place === 'path') return `Path parameter "${name}"`;
  return `"${name}"`;
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'a whole number',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list',
  null: 'null',
};

function typeWords(error: ErrorObject): string {
  const expected = String(error.params.type).split(',')[0]!;
  if (expected === 'array') {
    const itemType = (error.parentSchema?.items as Json | undefined)?.type;
    if (typeof itemType === 'string') return `a list of ${itemType}s`;
  }
  return TYPE_WORDS[expected] ?? `of type ${expected}`;
}

/** The one sentence that tells the caller what to fix, from Ajv's errors. */
export function describeErrors(errors: readonly ErrorObject[], place: InputPlace): string {
  const rootType = errors.find((e) => e.instancePath === '' && e.keyword === 'type');
  if (rootType && place === 'body') return 'The request body must be a JSON object.';
  const unknown = errors.filter((e) => e.keyword === 'additionalProperties');
  if (unknown.length > 0) return unknownFields(unknown, place);
  const bothGiven = errors.find((e) => e.keyword === 'oneOf' && Array.isArray(e.params.passingSchemas));
  if (bothGiven) {
    const names = (bothGiven.schema as Json[]).map((branch) => `"${String((branch.required as string[])[0])}"`);
    return `Give either ${names.join(' or ')}, not both.`;
  }
  const first = errors.find((e) => !['anyOf', 'oneOf', 'if'].includes(e.keyword) && !(e.keyword === 'type' && e.params.type === 'null'));
  return first ? describe(first, place) : 'The request does not match the API description; see /openapi.json.';
}

function unknownFields(errors: readonly ErrorObject[], place: InputPlace): string {
  const shallowest = errors.reduce((a, b) => (b.instancePath.length < a.instancePath.length ? b : a));
  const names = errors.filter((e) => e.instancePath === shallowest.instancePath).map((e) => String(e.params.additionalProperty));
  const allowed = Object.keys((shallowest.parentSchema?.properties ?? {}) as Json);
  const allowedText = allowed.length ? allowed.join(', ') : 'none';
  if (place === 'query') return `Unknown query parameter "${names[0]}". Allowed: ${allowedText}.`;
  if (shallowest.instancePath === '') {
    return `Unknown field${names.length > 1 ? 's' : ''} ${names.map((n) => `"${n}"`).join(', ')}. Allowed: ${allowedText}.`;
  }
  const parent = fieldName(shallowest.instancePath, place);
  return `Unknown field ${fieldName(shallowest.instancePath, place, names[0]!)}. Allowed in ${parent}: ${allowedText}.`;
}

function describe(error: ErrorObject, place: InputPlace): string {
  const field = fieldName(error.instancePath, place);
  const parent = (error.parentSchema ?? {}) as Json;
  const range = (low: unknown, high: unknown, unit: string) =>
    low !== undefined && high !== undefined ? `${low} to ${high}${unit}` : null;
  switch (error.keyword) {
    case 'required': {
      const missing = String(error.params.missingProperty);
      const description = ((parent.properties as Record<string, Json> | undefined)?.[missing]?.description as string | undefined) ?? '';
      return `${fieldName(error.instancePath, place, missing)} is required.${description ? ` ${description}` : ''}`;
    }
    case 'type':
      return `${field} must be ${typeWords(error)}.`;
    case 'minLength':
      return error.params.limit === 1 ? `${field} must not be empty.` : `${field} must be at least ${error.params.limit} characters long.`;
    case 'maxLength':
      return `${field} is longer than ${error.params.limit} characters.`;
    case 'pattern':
      if (parent.pattern === NOT_BLANK) return `${field} must not be empty.`;
      return (parent[INVALID_MESSAGE] as string | undefined) ?? `${field} is not valid${parent.description ? `: ${String(parent.description)}` : '.'}`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const between = range(parent.minimum, parent.maximum, '');
      if (between) return `${field} must be between ${parent.minimum} and ${parent.maximum}.`;
      return `${field} must be ${error.keyword.endsWith('inimum') ? 'at least' : 'at most'} ${error.params.limit}.`;
    }
    case 'minItems':
    case 'maxItems': {
      const between = range(parent.minItems, parent.maxItems, ' items');
      if (between) return `${field} must hold ${between}.`;
      return error.keyword === 'minItems' ? `${field} needs at least ${error.params.limit} items.` : `${field} may hold at most ${error.params.limit} items.`;
    }
    case 'uniqueItems':
      return `${field} must not repeat an item.`;
    case 'enum':
      return `${field} must be one of ${(error.params.allowedValues as unknown[]).join(', ')}.`;
    case 'const':
      return `${field} must be ${JSON.stringify(error.params.allowedValue)}.`;
    case 'format':
      return `${field} must be a ${String(error.params.format)}.`;
    default:
      return `${field} is not valid (${error.message ?? error.keyword}).`;
  }
}
