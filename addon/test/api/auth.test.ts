import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { apiDocument } from '../../src/api/routes/index.js';
import { startService, type RunningService } from '../helpers/service.js';

/** Values for path parameters, so each documented route is reached with a plausible path. */
const PATH_SAMPLES: Record<string, string> = {
  media_id: 'u_0123456789abcdef0123',
  id: 'ABC',
  chat: '4917612345678@s.whatsapp.net',
  account: 'default',
};

/**
 * Every route openapi.json documents as needing the key, so a new route is covered as soon as it is
 * documented (and the OpenAPI conformance test makes sure every route is).
 */
function documentedGuardedRoutes(): Array<[string, string]> {
  const paths = apiDocument('test').paths as Record<string, Record<string, { security?: unknown[] }>>;
  return Object.entries(paths).flatMap(([template, operations]) =>
    Object.entries(operations)
      .filter(([, operation]) => operation.security?.length !== 0)
      .map(([method]): [string, string] => {
        const path = template.replace(/\{([^}]+)\}/g, (_, name: string) => {
          assert.ok(PATH_SAMPLES[name], `no sample value for path parameter {${name}}`);
          return encodeURIComponent(PATH_SAMPLES[name]);
        });
        return [method.toUpperCase(), path];
      }),
  );
}

const GUARDED_ROUTES: Array<[string, string]> = [...documentedGuardedRoutes(), ['GET', '/v1/no-such-route']];

async function assertErrorBody(response: Response, status: number, code: string): Promise<string> {
  assert.equal(response.status, status);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
  const body = (await response.json()) as { error: { code: string; message: string } };
  assert.deepEqual(Object.keys(body), ['error']);
  assert.equal(body.error.code, code);
  assert.ok(body.error.message.length > 10, 'the message must say what to do');
  return body.error.message;
}

describe('API key and error bodies', () => {
  let service: RunningService;
  before(async () => {
    // Every route is asked with a wrong key in a row; the pause after a few is tested in load-limits.test.ts.
    service = await startService({ env: { WA_FREE_WRONG_KEYS: '1000' } });
  });
  after(async () => service.dispose());

  it('answers /health and /openapi.json without a key, and /health reveals no secret', async () => {
    const health = await fetch(`${service.url}/health`);
    assert.equal(health.status, 200);
    const text = await health.text();
    assert.ok(!text.includes(service.apiKey!));
    const body = JSON.parse(text) as Record<string, unknown>;
    assert.equal(body.status, 'ok');
    assert.equal(body.version, '0.1.0');
    const spec = await fetch(`${service.url}/openapi.json`);
    assert.equal(spec.status, 200);
    assert.equal(((await spec.json()) as { openapi: string }).openapi, '3.1.0');
  });

  it('covers every route the served openapi.json documents', async () => {
    const served = (await (await fetch(`${service.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const servedRoutes = Object.entries(served.paths).flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method} ${path}`));
    const documented = Object.entries(apiDocument('test').paths as Record<string, Record<string, unknown>>).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method} ${path}`),
    );
    assert.deepEqual(servedRoutes.sort(), documented.sort());
    assert.ok(GUARDED_ROUTES.length >= 19, `only ${GUARDED_ROUTES.length} routes`);
  });

  for (const [method, path] of GUARDED_ROUTES) {
    it(`${method} ${path}: 401 without a key and with a wrong key`, async () => {
      await assertErrorBody(await fetch(`${service.url}${path}`, { method }), 401, 'unauthorized');
      await assertErrorBody(
        await fetch(`${service.url}${path}`, { method, headers: { authorization: 'Bearer not-the-key' } }),
        401,
        'unauthorized',
      );
      await assertErrorBody(
        await fetch(`${service.url}${path}`, { method, headers: { authorization: `Bearer ${service.apiKey}x` } }),
        401,
        'unauthorized',
      );
    });
  }

  it('refuses the key in a query string', async () => {
    await assertErrorBody(await fetch(`${service.url}/v1/session?api_key=${service.apiKey}`), 401, 'unauthorized');
  });

  it('answers an unknown route with a JSON 404', async () => {
    await assertErrorBody(await service.request('GET', '/v1/nothing-here'), 404, 'not_found');
  });

  it('answers malformed JSON with 400', async () => {
    const response = await fetch(`${service.url}/v1/session/pairing-code`, {
      method: 'POST',
      headers: service.headers({ 'content-type': 'application/json' }),
      body: '{"phone_number": ',
    });
    await assertErrorBody(response, 400, 'invalid_json');
  });

  it('answers wrong types and unknown fields with 400 naming the field', async () => {
    const wrongType = await service.request('POST', '/v1/session/pairing-code', { phone_number: 491761234 });
    assert.match(await assertErrorBody(wrongType, 400, 'invalid_request'), /phone_number/);
    const unknown = await service.request('POST', '/v1/session/pairing-code', { phone_number: '+4917612345678', extra: 1 });
    assert.match(await assertErrorBody(unknown, 400, 'invalid_request'), /extra/);
    const notObject = await service.request('POST', '/v1/session/restart', [1, 2]);
    await assertErrorBody(notObject, 400, 'invalid_request');
    const badQuery = await service.request('GET', '/v1/events?after=abc');
    assert.match(await assertErrorBody(badQuery, 400, 'invalid_request'), /after/);
    const tooLong = await service.request('GET', '/v1/events?wait=61');
    assert.match(await assertErrorBody(tooLong, 400, 'invalid_request'), /wait/);
    const badPhone = await service.request('POST', '/v1/session/pairing-code', { phone_number: '0176 1234567' });
    assert.match(await assertErrorBody(badPhone, 400, 'invalid_phone_number'), /country code/);
  });

  it('answers a JSON body over 1 MB with 413', async () => {
    const big = JSON.stringify({ text: 'x'.repeat(1_100_000), from: '+15550000002' });
    const response = await fetch(`${service.url}/v1/simulator/incoming`, {
      method: 'POST',
      headers: service.headers({ 'content-type': 'application/json' }),
      body: big,
    });
    await assertErrorBody(response, 413, 'payload_too_large');
  });

  it('never writes the API key to its log', () => {
    assert.ok(service.output.length > 0);
    assert.ok(!service.output.includes(service.apiKey!));
  });
});

describe('simulator routes under the Baileys engine', () => {
  let service: RunningService;
  before(async () => {
    // Point the real socket at a closed loopback port: no traffic leaves the machine.
    service = await startService({ engine: 'baileys', env: { WA_WEBSOCKET_URL: 'ws://127.0.0.1:9/ws' } });
  });
  after(async () => service.dispose());

  for (const [method, path] of GUARDED_ROUTES.filter(([, p]) => p.includes('/simulator/'))) {
    it(`${method} ${path} → 404`, async () => {
      await assertErrorBody(await service.request(method, path, method === 'POST' ? {} : undefined), 404, 'not_found');
    });
  }
});
