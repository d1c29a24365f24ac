/**
 * Building blocks of the API's schemas. Every schema here is a TypeBox value, which is plain JSON
 * Schema: the same object validates requests (compiled by Ajv), types the handlers (`Static<>`) and
 * is printed into /openapi.json.
 */
import { Type, type Static, type TSchema, type TUnsafe } from '@sinclair/typebox';

/**
 * A JSON Schema annotation read by the request validator: the message a caller gets when the value
 * does not match the schema's `pattern`. Specification extensions (`x-…`) are allowed in OpenAPI 3.1.
 */
export const INVALID_MESSAGE = 'x-invalid-message';

/** A required text must hold more than white space. */
export const NOT_BLANK = '\\S';

export const MAX_TEXT = 65_536;
export const MESSAGE_ID_PATTERN = '^[A-Za-z0-9._:-]{1,128}$';
export const CONNECTION_STATES = ['starting', 'pairing', 'connected', 'reconnecting', 'logged_out'] as const;

/** `additionalProperties: false` by default: unknown fields are refused, naming the field. */
export function Strict<T extends Parameters<typeof Type.Object>[0]>(properties: T, options: Parameters<typeof Type.Object>[1] = {}) {
  return Type.Object(properties, { additionalProperties: false, ...options });
}

/** A required, non-blank text. */
export function Text(maxLength: number, description?: string) {
  return Type.String({ minLength: 1, maxLength, pattern: NOT_BLANK, ...(description ? { description } : {}) });
}

/** The value, or null (which counts as left out). */
export function Nullable<T extends TSchema>(schema: T) {
  return Type.Union([schema, Type.Null()]);
}

/** An optional request field that may also be sent as null. */
export function Maybe<T extends TSchema>(schema: T) {
  return Type.Optional(Nullable(schema));
}

export function MaybeText(maxLength: number, description?: string) {
  return Maybe(Type.String({ maxLength, ...(description ? { description } : {}) }));
}

export function MaybeStringList(maxItems: number, description?: string) {
  return Maybe(Type.Array(Type.String(), { maxItems, ...(description ? { description } : {}) }));
}

export function Enum<const T extends readonly string[]>(values: T, options: { description?: string } = {}) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

export const DateTime = (description?: string) => Type.String({ format: 'date-time', ...(description ? { description } : {}) });

/**
 * A reference to a named schema of the document (`#/components/schemas/<name>`), typed as that
 * schema. Only response schemas use references: the server validates requests, which stay inline.
 */
export function Ref<T extends TSchema>(name: string, _schema: T): TUnsafe<Static<T>> {
  return Type.Unsafe<Static<T>>({ $ref: `#/components/schemas/${name}` });
}

export const ErrorBody = Strict({
  error: Strict({
    code: Type.String({ pattern: '^[a-z][a-z0-9_]*$', description: 'Stable snake_case code to branch on.' }),
    message: Type.String({ description: 'What went wrong and what to do about it.' }),
  }),
});

/** No fields: a POST that takes no input still refuses unknown ones. */
export const NoFields = Strict({});
