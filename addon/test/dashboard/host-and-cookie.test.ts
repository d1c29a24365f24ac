/**
 * DNS rebinding and the sign-in cookie. A web site whose name resolves to 127.0.0.1 makes the
 * visitor's browser talk to the page as "same origin": the page must refuse any Host it does not
 * answer to. And a sign-in must end: the cookie expires, and signing out (or a restart, or another
 * key) revokes every cookie handed out before.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { rawRequest } from '../helpers/http.js';
import { startService, type RunningService } from '../helpers/service.js';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

async function signIn(service: RunningService): Promise<{ cookie: string; header: string }> {
  const response = await rawRequest(`${service.dashboardUrl}/login`, {
    method: 'POST',
    headers: FORM,
    body: `api_key=${encodeURIComponent(service.apiKey!)}`,
  });
  assert.equal(response.status, 303, response.body);
  const header = response.headers['set-cookie']![0]!;
  return { cookie: header.split(';')[0]!, header };
}

describe('the web page answers only to the names it is reached by', () => {
  let service: RunningService;
  before(async () => {
    // Default trust: loopback counts as local, which is what a rebinding attack abuses.
    service = await startService({ env: { WA_DASHBOARD_HOSTS: 'whatsapp.home.arpa' } });
  });
  after(() => service.dispose());

  it('refuses a foreign Host with 421 and says why, even from loopback and with the key', async () => {
    const port = new URL(service.dashboardUrl).port;
    for (const path of ['/', '/api/state', '/api/key', '/api/stream', '/static/dashboard.js']) {
      const response = await rawRequest(`${service.dashboardUrl}${path}`, { headers: { host: `evil.example:${port}`, accept: 'application/json' } });
      assert.equal(response.status, 421, path);
      const body = JSON.parse(response.body) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'unknown_host');
      assert.match(body.error.message, /WA_DASHBOARD_HOSTS/);
      assert.ok(!response.body.includes(service.apiKey!));
    }
    const withKey = await rawRequest(`${service.dashboardUrl}/api/state`, {
      headers: { host: 'evil.example', authorization: `Bearer ${service.apiKey}` },
    });
    assert.equal(withKey.status, 421);
    const login = await rawRequest(`${service.dashboardUrl}/login`, {
      method: 'POST',
      headers: { ...FORM, host: 'evil.example' },
      body: `api_key=${encodeURIComponent(service.apiKey!)}`,
    });
    assert.equal(login.status, 421, 'no guessing keys through a rebound name either');
  });

  it('answers to localhost, IP addresses and the names in WA_DASHBOARD_HOSTS', async () => {
    const port = new URL(service.dashboardUrl).port;
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, '[::1]', 'whatsapp.home.arpa', `WhatsApp.Home.Arpa.:${port}`, '192.168.1.20:8099']) {
      const response = await rawRequest(`${service.dashboardUrl}/api/state`, { headers: { host, authorization: `Bearer ${service.apiKey}` } });
      assert.equal(response.status, 200, host);
    }
  });

  it('does not let loopback manage the session without the key', async () => {
    const state = await rawRequest(`${service.dashboardUrl}/api/state`);
    assert.equal((JSON.parse(state.body) as { can_manage: boolean }).can_manage, false);
    const restart = await rawRequest(`${service.dashboardUrl}/api/accounts/default/restart`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(restart.status, 403);
  });
});

describe('the sign-in cookie ends', () => {
  let service: RunningService;
  before(async () => {
    service = await startService({ env: { WA_INGRESS_TRUSTED: '' } });
  });
  after(() => service.dispose());

  it('expires within a day, and each sign-in gets its own cookie', async () => {
    const first = await signIn(service);
    const maxAge = Number(/Max-Age=(\d+)/.exec(first.header)?.[1]);
    assert.ok(maxAge > 0 && maxAge <= 12 * 3600, `Max-Age ${maxAge}`);
    assert.match(first.header, /HttpOnly/);
    assert.match(first.header, /SameSite=Strict/);
    const second = await signIn(service);
    assert.notEqual(first.cookie, second.cookie, 'each cookie is its own, with its own expiry');
  });

  it('signing out revokes every cookie handed out before', async () => {
    const mine = await signIn(service);
    const other = await signIn(service);
    assert.equal((await rawRequest(`${service.dashboardUrl}/api/state`, { headers: { cookie: other.cookie } })).status, 200);
    const out = await rawRequest(`${service.dashboardUrl}/api/sign-out`, {
      method: 'POST',
      headers: { cookie: mine.cookie, 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(out.status, 200, out.body);
    assert.match(out.headers['set-cookie']![0]!, /Max-Age=0/);
    for (const cookie of [mine.cookie, other.cookie]) {
      assert.equal((await rawRequest(`${service.dashboardUrl}/api/state`, { headers: { cookie } })).status, 401);
    }
  });

  it('a tampered cookie is refused', async () => {
    const { cookie } = await signIn(service);
    const [name, value] = cookie.split('=') as [string, string];
    const parts = value.split('.');
    parts[1] = String(Number(parts[1]) + 86_400 * 365);
    assert.equal((await rawRequest(`${service.dashboardUrl}/api/state`, { headers: { cookie: `${name}=${parts.join('.')}` } })).status, 401);
  });

  it('a restart signs everyone out', { timeout: 30_000 }, async () => {
    const { cookie } = await signIn(service);
    const dataDir = service.dataDir;
    const apiKey = service.apiKey!;
    await service.stop();
    const again = await startService({ dataDir, apiKey, env: { WA_INGRESS_TRUSTED: '' } });
    try {
      const dashboard = again.dashboardUrl;
      assert.equal((await rawRequest(`${dashboard}/api/state`, { headers: { cookie } })).status, 401);
    } finally {
      await again.dispose();
    }
  });
});
