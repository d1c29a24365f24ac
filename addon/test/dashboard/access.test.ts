import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { rawRequest } from '../helpers/http.js';
import { startService, type RunningService } from '../helpers/service.js';

/** Stands for the Supervisor's ingress proxy: any loopback address other than the one the tests use. */
const INGRESS_PROXY = '127.0.0.2';

describe('who may open the add-on web page', () => {
  let service: RunningService;
  before(async () => {
    service = await startService({ env: { WA_INGRESS_TRUSTED: INGRESS_PROXY } });
  });
  after(() => service.dispose());

  it('refuses requests from other addresses without the key with 401 and the error body', async () => {
    for (const path of ['/', '/api/state', '/api/key', '/api/stream']) {
      const response = await rawRequest(`${service.dashboardUrl}${path}`, { headers: { accept: 'application/json' } });
      assert.equal(response.status, 401, path);
      assert.match(String(response.headers['content-type']), /application\/json/);
      const body = JSON.parse(response.body) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'unauthorized');
      assert.ok(!response.body.includes(service.apiKey!));
    }
    const logout = await rawRequest(`${service.dashboardUrl}/api/accounts/default/logout`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(logout.status, 401);
    assert.equal((await service.json<{ state: string }>('GET', '/v1/session')).state, 'pairing', 'nothing happened');
  });

  it('serves the style, script and icon to anyone (the sign-in form needs them), but not the page', async () => {
    for (const asset of ['dashboard.css', 'dashboard.js', 'icon.svg']) {
      assert.equal((await rawRequest(`${service.dashboardUrl}/static/${asset}`)).status, 200, asset);
    }
    assert.equal((await rawRequest(`${service.dashboardUrl}/static/index.html`)).status, 401);
  });

  it('shows a browser the sign-in form, still with 401 and without the key', async () => {
    const response = await rawRequest(`${service.dashboardUrl}/`, { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    assert.equal(response.status, 401);
    assert.match(response.body, /<form method="post" action="login"/);
    assert.ok(!response.body.includes(service.apiKey!));
  });

  it('lets the ingress proxy in without a key, to look', async () => {
    const page = await rawRequest(`${service.dashboardUrl}/`, { localAddress: INGRESS_PROXY, headers: { accept: 'text/html' } });
    assert.equal(page.status, 200);
    assert.match(page.body, /<title>WhatsApp<\/title>/);
    const state = await rawRequest(`${service.dashboardUrl}/api/state`, { localAddress: INGRESS_PROXY });
    assert.equal(state.status, 200);
    assert.deepEqual((JSON.parse(state.body) as { accounts: Array<{ id: string; state: string }> }).accounts.map(({ id, state }) => [id, state]), [['default', 'pairing']]);
  });

  it('accepts the API key as a bearer header', async () => {
    const response = await rawRequest(`${service.dashboardUrl}/api/state`, { headers: { authorization: `Bearer ${service.apiKey}` } });
    assert.equal(response.status, 200);
    const wrong = await rawRequest(`${service.dashboardUrl}/api/state`, { headers: { authorization: 'Bearer not-the-key' } });
    assert.equal(wrong.status, 401);
  });

  it('signs a browser in with the key through the form, with a cookie that is not the key', async () => {
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const refused = await rawRequest(`${service.dashboardUrl}/login`, { method: 'POST', headers: form, body: 'api_key=wrong' });
    assert.equal(refused.status, 401);
    assert.match(refused.body, /That key is not right/);
    assert.equal(refused.headers['set-cookie'], undefined);

    const accepted = await rawRequest(`${service.dashboardUrl}/login`, {
      method: 'POST',
      headers: form,
      body: `api_key=${encodeURIComponent(service.apiKey!)}`,
    });
    assert.equal(accepted.status, 303);
    assert.equal(accepted.headers.location, './');
    const cookie = accepted.headers['set-cookie']![0]!;
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    assert.ok(!cookie.includes(service.apiKey!), 'the cookie does not carry the key itself');

    const session = cookie.split(';')[0]!;
    const page = await rawRequest(`${service.dashboardUrl}/`, { headers: { cookie: session, accept: 'text/html' } });
    assert.equal(page.status, 200);
    const state = await rawRequest(`${service.dashboardUrl}/api/state`, { headers: { cookie: session } });
    assert.equal((JSON.parse(state.body) as { can_manage: boolean }).can_manage, true, 'the key holder may manage the session');
  });

  it('takes actions only as JSON, so a form on another site cannot trigger them', async () => {
    for (const [method, path] of [['POST', '/api/accounts/default/restart'], ['POST', '/api/accounts'], ['DELETE', '/api/accounts/office']] as const) {
      const response = await rawRequest(`${service.dashboardUrl}${path}`, {
        method,
        // Node's client sends a DELETE body without a length unless told.
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': '9', authorization: `Bearer ${service.apiKey}` },
        body: 'id=office',
      });
      assert.equal(response.status, 415, `${method} ${path}`);
      assert.equal((JSON.parse(response.body) as { error: { code: string } }).error.code, 'unsupported_media_type');
    }
  });

  it('adds and deletes accounts for the key holder, refusing a bad name and the default account', async () => {
    const action = async (method: 'POST' | 'DELETE', path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> => {
      const text = JSON.stringify(body);
      const response = await rawRequest(`${service.dashboardUrl}${path}`, {
        method,
        headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), authorization: `Bearer ${service.apiKey}` },
        body: text,
      });
      return { status: response.status, body: JSON.parse(response.body) as Record<string, unknown> };
    };
    const ids = (view: Record<string, unknown>): string[] => (view.accounts as Array<{ id: string }>).map((account) => account.id);
    const errorCode = (answer: { body: Record<string, unknown> }): string => (answer.body.error as { code: string }).code;

    const badName = await action('POST', '/api/accounts', { id: 'Office Phone' });
    assert.equal(badName.status, 400);
    assert.match((badName.body.error as { message: string }).message, /"id" must be lower-case letters/);

    const added = await action('POST', '/api/accounts', { id: 'office' });
    assert.equal(added.status, 201);
    assert.equal(added.body.created, 'office');
    assert.deepEqual(ids(added.body), ['default', 'office']);

    const keepDefault = await action('DELETE', '/api/accounts/default', {});
    assert.equal(keepDefault.status, 409);
    assert.equal(errorCode(keepDefault), 'default_account');

    const deleted = await action('DELETE', '/api/accounts/office', {});
    assert.equal(deleted.status, 200);
    assert.deepEqual(ids(deleted.body), ['default']);
    const again = await action('DELETE', '/api/accounts/office', {});
    assert.equal(again.status, 404);
    assert.equal(errorCode(again), 'account_not_found');
  });

  it('answers unknown paths with the JSON error body', async () => {
    const response = await rawRequest(`${service.dashboardUrl}/nope`, { localAddress: INGRESS_PROXY });
    assert.equal(response.status, 404);
    assert.equal((JSON.parse(response.body) as { error: { code: string } }).error.code, 'not_found');
  });
});
