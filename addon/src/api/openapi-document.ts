/**
 * /openapi.json, generated from the route declarations: the schemas in it are the very objects the
 * server validates requests with. Tests check the server's real answers against it.
 */
import type { TSchema } from '@sinclair/typebox';
import { scopedPath, type Route, type ResponseSpec } from './registry.js';
import { AccountScope } from './schema/accounts.js';
import { COMPONENT_SCHEMAS } from './schema/components.js';

type Json = Record<string, unknown>;

const COMPONENT_NAMES = new Map<TSchema, string>(Object.entries(COMPONENT_SCHEMAS).map(([name, schema]) => [schema, name]));

/** A named schema by reference, any other inline. */
function schemaOrRef(schema: TSchema): Json {
  const name = COMPONENT_NAMES.get(schema);
  return name ? { $ref: `#/components/schemas/${name}` } : schema;
}

const BINARY = { type: 'string', format: 'binary' };

/** What every route behind the API key may answer, besides its own answers. */
const AUTHENTICATED_ANSWERS: Record<number, ResponseSpec> = {
  400: { description: 'Invalid input: the message names the field to fix.' },
  401: { description: 'Missing or wrong API key.' },
  413: { description: 'Request body too large.' },
  429: { description: '`too_many_connections`: this address holds too many open connections to the add-on; reuse one (see `Retry-After`).' },
  500: { description: 'Unexpected error.' },
  503: { description: '`too_many_connections`: the add-on holds too many open connections in all; try again shortly (see `Retry-After`).' },
};

const NO_SUCH_ACCOUNT = '`account_not_found`: there is no such account (GET /v1/accounts lists them).';

function response(spec: ResponseSpec): Json {
  if (spec.binary) return { description: spec.description, content: { '*/*': { schema: BINARY } } };
  return { description: spec.description, content: { 'application/json': { schema: schemaOrRef(spec.schema ?? COMPONENT_SCHEMAS.Error!) } } };
}

function responses(route: Route, scoped: boolean): Json {
  const all: Record<number, ResponseSpec> = { ...(route.public ? {} : AUTHENTICATED_ANSWERS), ...route.responses };
  if (scoped) {
    const known = all[404];
    all[404] = { description: known ? `${known.description} ${NO_SUCH_ACCOUNT}` : NO_SUCH_ACCOUNT };
  }
  return Object.fromEntries(Object.entries(all).map(([status, spec]) => [status, response(spec)]));
}

/**
 * One OpenAPI parameter per property of an object schema. A property with a default is filled in
 * by the validator when it is left out, so a client may leave it out: it is not a required parameter.
 */
function parametersOf(schema: TSchema | undefined, place: 'path' | 'query'): Json[] {
  if (!schema) return [];
  const required = new Set((schema.required as string[] | undefined) ?? []);
  return Object.entries(schema.properties as Record<string, TSchema>).map(([name, property]) => ({
    name,
    in: place,
    required: place === 'path' || (required.has(name) && !('default' in property)),
    schema: property,
    ...(property.description ? { description: property.description } : {}),
  }));
}

function operation(route: Route, scoped: boolean): Json {
  const parameters = [
    ...(scoped ? [{ name: 'account', in: 'path', required: true, schema: AccountScope, description: AccountScope.description }] : []),
    ...parametersOf(route.params, 'path'),
    ...parametersOf(route.query, 'query'),
    ...(route.headers ?? []).map((header) => ({ name: header.name, in: 'header', required: false, schema: header.schema, description: header.description })),
  ];
  const body = route.body;
  return {
    summary: route.summary,
    security: route.public ? [] : [{ bearer: [] }],
    ...(parameters.length ? { parameters } : {}),
    ...(body?.kind === 'json' ? { requestBody: { required: body.required, content: { 'application/json': { schema: schemaOrRef(body.schema) } } } } : {}),
    ...(body?.kind === 'raw' ? { requestBody: { required: true, description: body.description, content: { '*/*': { schema: BINARY } } } } : {}),
    responses: responses(route, scoped),
  };
}

export function openApiDocument(routes: readonly Route[], version: string): Json {
  const paths: Record<string, Json> = {};
  // Every unscoped path first, then the per-account forms, each in declaration order.
  for (const scoped of [false, true]) {
    for (const route of routes.filter((candidate) => !scoped || candidate.perAccount)) {
      (paths[scoped ? scopedPath(route.path) : route.path] ??= {})[route.method] = operation(route, scoped);
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'WhatsApp for Home Assistant: add-on API',
      version,
      description:
        'The REST API of the add-on that owns the linked-device WhatsApp sessions. Every route but /health and /openapi.json needs `Authorization: Bearer <api key>`. Errors are always `{"error": {"code", "message"}}`; a path asked with a method it does not have answers 405 with `Allow`. One add-on serves several WhatsApp accounts: every per-account route also exists as `/v1/accounts/{account}/…`, and the unscoped `/v1/…` form is the account `default`.',
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'The add-on API key.' } },
      schemas: COMPONENT_SCHEMAS,
    },
    paths,
  };
}
