import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startService, type RunningService } from '../helpers/service.js';

const GUARDED_ROUTES: Array<[string, string]> = [
  ['GET', '/v1/session'],
  ['POST', '/v1/session/pairing-code'],
  ['POST', '/v1/session/logout'],
  ['POST', '/v1/session/restart'],
  ['GET', '/v1/events'],
  ['POST', '/v1/media'],
  ['GET', '/v1/media/u_0123456789abcdef0123'],
  ['POST', '/v1/messages'],
  ['PATCH', '/v1/messages/ABC'],
  ['DELETE', '/v1/messages/ABC'],
  ['POST', '/v1/chats/4917612345678@s.whatsapp.net/read'],
  ['POST', '/v1/chats/4917612345678@s.whatsapp.net/presence'],
  ['GET', '/v1/groups'],
  ['GET', '/v1/contacts/check?phone=%2B4917612345678'],
  ['POST', '/v1/simulator/scan'],
  ['POST', '/v1/simulator/incoming'],
  ['GET', '/v1/simulator/outbox'],
  ['POST', '/v1/simulator/disconnect'],
  ['GET', '/v1/no-such-route'],
];

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
    service = await startService();
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

  for (const [method, path] of GUARDED_ROUTES.filter(([, p]) => p.startsWith('/v1/simulator'))) {
    it(`${method} ${path} → 404`, async () => {
      await assertErrorBody(await service.request(method, path, method === 'POST' ? {} : undefined), 404, 'not_found');
    });
  }
});
