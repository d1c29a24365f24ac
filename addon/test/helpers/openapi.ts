/**
 * Checks real responses against the service's own /openapi.json: the status must be documented for
 * the route and the body must match its schema.
 */
import assert from 'node:assert/strict';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

type Json = Record<string, unknown>;

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

export class OpenApiChecker {
  private readonly ajv: Ajv2020;
  private readonly cache = new Map<string, ValidateFunction>();
  readonly checked = new Set<string>();

  constructor(readonly document: Json) {
    this.ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(this.ajv);
    this.ajv.addSchema({ $id: 'openapi', components: document.components }, 'openapi');
  }

  static async fetch(baseUrl: string): Promise<OpenApiChecker> {
    const response = await fetch(`${baseUrl}/openapi.json`);
    return new OpenApiChecker((await response.json()) as Json);
  }

  /** Every (method, path) the document describes. */
  operations(): Array<[string, string]> {
    const paths = this.document.paths as Record<string, Record<string, unknown>>;
    return Object.entries(paths).flatMap(([path, item]) => Object.keys(item).map((method): [string, string] => [method.toUpperCase(), path]));
  }

  /** Validate a response already read as JSON. `route` is the documented path template. */
  check(method: string, route: string, status: number, body: unknown): void {
    // 500 is documented for every route, but a real answer of 500 is always a bug.
    assert.notEqual(status, 500, `${method} ${route} answered 500: ${JSON.stringify(body)}`);
    const paths = this.document.paths as Record<string, Record<string, Json>>;
    const operation = paths[route]?.[method.toLowerCase()];
    assert.ok(operation, `${method} ${route} is not in openapi.json`);
    const responses = operation.responses as Record<string, Json>;
    const response = responses[String(status)];
    assert.ok(response, `${method} ${route} answered ${status}, which openapi.json does not document`);
    const schema = (response.content as Record<string, Json> | undefined)?.['application/json']?.schema;
    assert.ok(schema, `${method} ${route} ${status} has no JSON schema`);
    const key = `${method} ${route} ${status}`;
    let validate = this.cache.get(key);
    if (!validate) {
      validate = this.ajv.compile(rewriteRefs(schema) as Json);
      this.cache.set(key, validate);
    }
    assert.ok(validate(body), `${key} does not match openapi.json: ${this.ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 2000)}`);
    this.checked.add(`${method} ${route}`);
  }

  async checkResponse(method: string, route: string, response: Response): Promise<Json> {
    const body = (await response.json()) as Json;
    this.check(method, route, response.status, body);
    return body;
  }
}

function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' ? `openapi${v}` : rewriteRefs(v)]),
    );
  }
  return value;
}
