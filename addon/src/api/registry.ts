/**
 * Every route of the API is declared once, here in shape and in `routes/*.ts` in content: method,
 * path, input and output schemas, errors, and the handler. The Express routes (with validation before
 * the handler), /openapi.json and the 405 table are all generated from these declarations.
 *
 * The schemas are TypeBox values because TypeBox schemas *are* JSON Schema, which is what OpenAPI 3.1
 * embeds: the document, the request validator (Ajv compiles the same objects) and the handlers' types
 * (`Static<>`) come from one object, with no translation layer that could disagree with the others.
 */
import type { Request, Response } from 'express';
import type { Static, TSchema } from '@sinclair/typebox';
import type { AccountDirectory, AccountServices } from '../accounts/directory.js';
import type { StorageHealth } from '../util/storage-health.js';

export type HttpMethod = 'get' | 'post' | 'patch' | 'delete';

/** The add-on-wide services a handler may need besides its account. */
export interface ApiServices {
  readonly version: string;
  readonly accounts: AccountDirectory;
  readonly shutdown: AbortSignal;
  readonly storage: StorageHealth | undefined;
  /** Whether the simulator engine runs (its routes exist only then). */
  readonly simulator: boolean;
}

export interface RouteContext<Params, Query, Body> {
  readonly params: Params;
  readonly query: Query;
  readonly body: Body;
  /** The account the path names (`/v1/accounts/{account}/…`), or `default` for unscoped paths. */
  readonly account: AccountServices;
  readonly services: ApiServices;
  readonly req: Request;
  readonly res: Response;
}

/** A documented answer: a JSON schema, or bytes of any type. */
export interface ResponseSpec {
  readonly description: string;
  readonly schema?: TSchema;
  readonly binary?: true;
}

export interface HeaderSpec {
  readonly name: string;
  readonly schema: TSchema;
  readonly description: string;
}

export type Body<B extends TSchema> = { readonly kind: 'json'; readonly schema: B; readonly required: boolean } | { readonly kind: 'raw'; readonly description: string };

interface Declaration<P extends TSchema, Q extends TSchema, B extends TSchema> {
  readonly method: HttpMethod;
  /** OpenAPI path template of the unscoped route, e.g. `/v1/messages/{id}`. */
  readonly path: string;
  readonly summary: string;
  readonly params?: P;
  readonly query?: Q;
  /** Absent: the route reads no body. `raw`: the body is streamed to the handler unparsed. */
  readonly body?: Body<B>;
  /** Request headers the route reads; the handler checks them (documented here). */
  readonly headers?: readonly HeaderSpec[];
  /** Answers by status; the errors every authenticated route may give are added for all. */
  readonly responses: Readonly<Record<number, ResponseSpec>>;
  /** No API key (only `/health` and `/openapi.json`). */
  readonly public?: boolean;
  /** Also served as `/v1/accounts/{account}/…` for each account; the unscoped path is `default`. */
  readonly perAccount: boolean;
  /** Exists only with `WA_ENGINE=simulator`. */
  readonly simulatorOnly?: boolean;
  readonly handler: (context: RouteContext<Static<P>, Static<Q>, Static<B>>) => Promise<void> | void;
}

/** A declared route with its types erased, so routes of every shape fit in one list. */
export interface Route extends Omit<Declaration<TSchema, TSchema, TSchema>, 'handler'> {
  readonly handler: (context: RouteContext<unknown, unknown, unknown>) => Promise<void> | void;
}

/** Declares a route; the handler's params, query and body are typed from the schemas given. */
export function route<P extends TSchema = TSchema, Q extends TSchema = TSchema, B extends TSchema = TSchema>(
  declaration: Declaration<P, Q, B>,
): Route {
  return declaration as unknown as Route;
}

export function jsonBody<B extends TSchema>(schema: B, required = true): Body<B> {
  return { kind: 'json', schema, required };
}

export const ACCOUNT_PREFIX = '/v1/accounts/{account}';

/** `/v1/messages/{id}` → `/v1/accounts/{account}/messages/{id}`. */
export function scopedPath(path: string): string {
  return `${ACCOUNT_PREFIX}${path.slice('/v1'.length)}`;
}

/** Every path a route is served under, the unscoped one first. */
export function pathsOf(route: Route): string[] {
  return route.perAccount ? [route.path, scopedPath(route.path)] : [route.path];
}

/** The routes that exist in this add-on: simulator routes only with the simulator engine. */
export function servedRoutes(routes: readonly Route[], withSimulator: boolean): Route[] {
  return routes.filter((candidate) => withSimulator || !candidate.simulatorOnly);
}

/** `/v1/messages/{id}` → `/v1/messages/:id` (Express 5 path syntax). */
export function expressPath(template: string): string {
  return template.replace(/\{([^}]+)\}/g, ':$1');
}
