import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OpenApiChecker } from '../helpers/openapi.js';
import { startService, type RunningService } from '../helpers/service.js';

/**
 * A whole pairing and messaging session through the API, every answer checked against the document.
 * `account` undefined: the unscoped routes (the account `default`); else `/v1/accounts/{account}/…`.
 */
async function wholeSession(service: RunningService, spec: OpenApiChecker, account: string | undefined, phone: string): Promise<void> {
  const at = (path: string) => (account ? path.replace(/^\/v1\//, `/v1/accounts/${account}/`) : path);
  const documented = (template: string) => (account ? template.replace(/^\/v1\//, '/v1/accounts/{account}/') : template);
  const req = (method: string, path: string, body?: unknown) => service.request(method, at(path), body);
  const check = (method: string, template: string, response: Response) => spec.checkResponse(method, documented(template), response);
  const waitForState = (state: string) =>
    service.waitFor(`${account ?? 'default'} in state ${state}`, async () => ((await service.json('GET', at('/v1/session'))).state === state ? true : null));

    await check('GET', '/v1/session', await req('GET', '/v1/session'));
    await waitForState('pairing');
    await check('GET', '/v1/session', await req('GET', '/v1/session'));
    await check('POST', '/v1/simulator/incoming', await req('POST', '/v1/simulator/incoming', { from: '+15550000002', text: 'hi' }));
    await check('POST', '/v1/simulator/disconnect', await req('POST', '/v1/simulator/disconnect', { reason: 'nope' }));
    const code = await check('POST', '/v1/session/pairing-code', await req('POST', '/v1/session/pairing-code', { phone_number: phone.replace(/^\+1/, '+1 ') }));
    assert.match(String(code.code), /^[A-Z0-9]{8}$/);
    await check('POST', '/v1/simulator/scan', await req('POST', '/v1/simulator/scan', { phone }));
    await waitForState('connected');
    const connected = await check('GET', '/v1/session', await req('GET', '/v1/session'));
    assert.equal((connected.me as { phone: string }).phone, phone);
    await check('POST', '/v1/simulator/scan', await req('POST', '/v1/simulator/scan', { phone }));
    await check('POST', '/v1/session/pairing-code', await req('POST', '/v1/session/pairing-code', { phone_number: phone }));

    const kinds: Array<Record<string, unknown>> = [
      { text: 'hello' },
      { kind: 'image', caption: 'door', media: { mimetype: 'image/jpeg', size: 1234 } },
      { kind: 'location', location: { latitude: 52.5, longitude: 13.4, name: 'Home' } },
      { kind: 'contact', contact: { name: 'Ann', phone: '+15550000009' } },
      { kind: 'poll', poll: { question: 'Pizza?', options: ['yes', 'no'] } },
      { kind: 'reaction', reaction: { message_id: 'ABC', emoji: '👍' } },
      { chat: '120363000000000001@g.us', text: 'group hello' },
    ];
    for (const fields of kinds) {
      await check('POST', '/v1/simulator/incoming', await req('POST', '/v1/simulator/incoming', { from: '+15550000002', ...fields }));
    }
    const page = await check('GET', '/v1/events', await req('GET', '/v1/events?after=0&limit=1000'));
    const types = new Set((page.events as Array<{ type: string }>).map((e) => e.type));
    assert.ok(types.has('message') && types.has('connection'));
    const upload = await fetch(`${service.url}${at('/v1/media')}`, {
      method: 'POST',
      headers: service.headers({ 'content-type': 'image/png', 'x-filename': 'door.png' }),
      body: Buffer.from('png bytes'),
    });
    const uploaded = await check('POST', '/v1/media', upload);
    const mediaBytes = await req('GET', `/v1/media/${String(uploaded.media_id)}`);
    assert.equal(mediaBytes.status, 200);
    spec.checked.add(`GET ${documented('/v1/media/{media_id}')}`);
    await check('GET', '/v1/media/{media_id}', await req('GET', '/v1/media/u_nonexistentnonexistent'));
    await check('POST', '/v1/media', await fetch(`${service.url}${at('/v1/media')}`, { method: 'POST', headers: service.headers() }));

    const sent = await check('POST', '/v1/messages', await req('POST', '/v1/messages', { to: '+4917612345678', type: 'image', media_id: uploaded.media_id, caption: 'x' }));
    await check('POST', '/v1/messages', await req('POST', '/v1/messages', { to: '+4917612340000', type: 'text', text: 'x' }));
    await check('POST', '/v1/messages', await req('POST', '/v1/messages', { to: '+4917612345678', type: 'text' }));
    const keyed = (text: string) =>
      service.request('POST', at('/v1/messages'), { to: '+4917612345678', type: 'text', text }, { 'idempotency-key': 'openapi-key' });
    await check('POST', '/v1/messages', await keyed('one'));
    await check('POST', '/v1/messages', await keyed('two'));
    const chat = '4917612345678@s.whatsapp.net';
    await check('PATCH', '/v1/messages/{id}', await req('PATCH', `/v1/messages/${String(sent.id)}`, { chat, text: 'edited' }));
    await check('PATCH', '/v1/messages/{id}', await req('PATCH', '/v1/messages/UNKNOWN1', { chat, text: 'edited' }));
    // A contact's message cannot be edited: 409 not_own_message, which the document must list.
    const theirs = await check('POST', '/v1/simulator/incoming', await req('POST', '/v1/simulator/incoming', { from: '+4917612345678', text: 'mine' }));
    await check('PATCH', '/v1/messages/{id}', await req('PATCH', `/v1/messages/${String(theirs.id)}`, { chat, text: 'edited' }));
    await check('DELETE', '/v1/messages/{id}', await req('DELETE', `/v1/messages/${String(sent.id)}?chat=${chat}`));
    await check('DELETE', '/v1/messages/{id}', await req('DELETE', '/v1/messages/UNKNOWN1', {}));
    await check('POST', '/v1/chats/{chat}/read', await req('POST', `/v1/chats/${chat}/read`));
    await check('POST', '/v1/chats/{chat}/read', await req('POST', `/v1/chats/${chat}/read`, { message_ids: ['A1'] }));
    await check('POST', '/v1/chats/{chat}/presence', await req('POST', `/v1/chats/${chat}/presence`, { state: 'composing' }));
    await check('POST', '/v1/chats/{chat}/presence', await req('POST', `/v1/chats/${chat}/presence`, { state: 'dancing' }));
    await check('GET', '/v1/groups', await req('GET', '/v1/groups'));
    await check('GET', '/v1/contacts/check', await req('GET', '/v1/contacts/check?phone=%2B4917612345678'));
    await check('GET', '/v1/contacts/check', await req('GET', '/v1/contacts/check'));
    await check('GET', '/v1/simulator/outbox', await req('GET', '/v1/simulator/outbox'));
    await check('POST', '/v1/simulator/incoming', await req('POST', '/v1/simulator/incoming', { from: 'x' }));
    await check('POST', '/v1/session/restart', await req('POST', '/v1/session/restart'));
    await waitForState('connected');
    await check('POST', '/v1/simulator/disconnect', await req('POST', '/v1/simulator/disconnect', { reason: 'connectionLost' }));
    await check('POST', '/v1/session/logout', await req('POST', '/v1/session/logout'));
    await check('POST', '/v1/messages', await req('POST', '/v1/messages', { to: '+4917612345678', type: 'text', text: 'x' }));
    await check('GET', '/v1/groups', await req('GET', '/v1/groups'));
    await check('GET', '/v1/events', await req('GET', '/v1/events?limit=0'));
    await check('GET', '/v1/session', await fetch(`${service.url}${at('/v1/session')}`));

}

describe('openapi.json matches what the server really answers', () => {
  let service: RunningService;
  let spec: OpenApiChecker;
  before(async () => {
    // A send while unlinked gives up after 2 s (not the default minute) with the documented 503.
    service = await startService({ env: { WA_SEND_RATE_PER_MINUTE: '0', WA_SEND_WAIT_RECONNECTING_SECONDS: '2' } });
    spec = await OpenApiChecker.fetch(service.url);
  });
  after(async () => service.dispose());

  it('documents every route with the bearer scheme except the public two', () => {
    for (const [method, path] of spec.operations()) {
      const operation = (spec.document.paths as Record<string, Record<string, { security?: unknown[] }>>)[path]![method.toLowerCase()]!;
      const isPublic = path === '/health' || path === '/openapi.json';
      assert.deepEqual(operation.security, isPublic ? [] : [{ bearer: [] }], `${method} ${path}`);
    }
  });

  it('every real response of a whole pairing and messaging session matches its schema', async () => {
    await spec.checkResponse('GET', '/health', await fetch(`${service.url}/health`));
    await wholeSession(service, spec, undefined, '+15550000001');
  });

  it("so does every answer of the accounts routes and of a second account's own routes", async () => {
    await spec.checkResponse('GET', '/v1/accounts', await service.request('GET', '/v1/accounts'));
    await spec.checkResponse('POST', '/v1/accounts', await service.request('POST', '/v1/accounts', { id: 'Not A Slug' }));
    const created = await spec.checkResponse('POST', '/v1/accounts', await service.request('POST', '/v1/accounts', { id: 'office' }));
    assert.equal(created.id, 'office');
    await spec.checkResponse('POST', '/v1/accounts', await service.request('POST', '/v1/accounts', { id: 'office' }));
    await wholeSession(service, spec, 'office', '+15550000021');
    await spec.checkResponse('GET', '/v1/accounts/{account}/session', await service.request('GET', '/v1/accounts/nobody/session'));
    await spec.checkResponse('DELETE', '/v1/accounts/{id}', await service.request('DELETE', '/v1/accounts/default'));
    await spec.checkResponse('DELETE', '/v1/accounts/{id}', await service.request('DELETE', '/v1/accounts/office'));
    await spec.checkResponse('DELETE', '/v1/accounts/{id}', await service.request('DELETE', '/v1/accounts/office'));
    const left = await spec.checkResponse('GET', '/v1/accounts', await service.request('GET', '/v1/accounts'));
    assert.deepEqual((left.accounts as Array<{ id: string }>).map((a) => a.id), ['default']);
  });

  it('exercised every documented route', () => {
    const unchecked = spec.operations().filter(([m, p]) => !spec.checked.has(`${m} ${p}`) && p !== '/openapi.json');
    assert.deepEqual(unchecked, [], 'every documented route was exercised');
  });
});
