/**
 * Home Assistant lets any of its users open an add-on's ingress page (the Supervisor does not enforce
 * `panel_admin`). The page must never show the API key, and only a Home Assistant administrator (as
 * Core says, asked through the Supervisor) may change the session. Anything unclear is read-only.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { rawRequest, type RawResponse } from '../helpers/http.js';
import { freePort, startService, type RunningService } from '../helpers/service.js';
import { coreUser, SupervisorCoreStandIn } from './supervisor-core.js';

/** Stands for the Supervisor's ingress proxy: a loopback address other than the one tests use. */
const INGRESS_PROXY = '127.0.0.2';
const SUPERVISOR_TOKEN = 'supervisor-token-for-this-add-on';
const DESTRUCTIVE: ReadonlyArray<readonly [method: 'POST' | 'DELETE', path: string, body: unknown]> = [
  ['POST', '/api/accounts/default/logout', {}],
  ['POST', '/api/accounts/default/restart', {}],
  ['POST', '/api/accounts/default/pairing-code', { phone_number: '+4917612345678' }],
  ['POST', '/api/accounts', {}],
  ['POST', '/api/accounts', { id: 'office' }],
  ['DELETE', '/api/accounts/default', {}],
  ['DELETE', '/api/accounts/office', {}],
];

interface PageState {
  can_manage: boolean;
  accounts: Array<{ id: string; state: string; qr: unknown; pairing_code: unknown; can_remove: boolean }>;
}

function asUser(id: string | null, name = 'Someone'): Record<string, string> {
  return id === null ? {} : { 'x-remote-user-id': id, 'x-remote-user-name': name.toLowerCase(), 'x-remote-user-display-name': name };
}

function throughIngress(service: RunningService, path: string, user: Record<string, string>, body?: unknown, method: 'POST' | 'DELETE' = 'POST'): Promise<RawResponse> {
  return rawRequest(`${service.dashboardUrl}${path}`, {
    method: body === undefined ? 'GET' : method,
    localAddress: INGRESS_PROXY,
    // Node's client sends a DELETE body without a length unless told.
    headers: { ...user, ...(body === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(JSON.stringify(body))) }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function assertReadOnly(service: RunningService, user: Record<string, string>, label: string): Promise<void> {
  const state = await throughIngress(service, '/api/state', user);
  assert.equal(state.status, 200, label);
  const view = JSON.parse(state.body) as PageState;
  assert.equal(view.can_manage, false, `${label}: no management`);
  assert.deepEqual(view.accounts.map((account) => account.id), ['default'], `${label}: sees the accounts`);
  for (const account of view.accounts) {
    assert.equal(account.qr, null, `${label}: whoever scans the QR code links their phone, so it is not shown`);
    assert.equal(account.can_remove, false, `${label}: no delete button`);
  }
  for (const [method, path, body] of DESTRUCTIVE) {
    const refused = await throughIngress(service, path, user, body, method);
    assert.equal(refused.status, 403, `${label}: ${method} ${path}`);
    assert.equal((JSON.parse(refused.body) as { error: { code: string } }).error.code, 'forbidden', `${label}: ${method} ${path}`);
  }
  const accounts = await service.json<{ accounts: Array<{ id: string }> }>('GET', '/v1/accounts').catch(() => null);
  if (accounts) assert.deepEqual(accounts.accounts.map((account) => account.id), ['default'], `${label}: no account added or deleted`);
}

describe('the web page and Home Assistant users who are not administrators', () => {
  let supervisor: SupervisorCoreStandIn;
  let service: RunningService;
  const admin = coreUser('Ada', 'admin');
  const owner = coreUser('Otto', 'owner', { group_ids: [] });
  const child = coreUser('Kid', 'user');
  const disabledAdmin = coreUser('Former', 'admin', { is_active: false });

  before(async () => {
    supervisor = await SupervisorCoreStandIn.start(SUPERVISOR_TOKEN);
    supervisor.users = [admin, owner, child, disabledAdmin];
    service = await startService({
      env: { WA_INGRESS_TRUSTED: INGRESS_PROXY, SUPERVISOR_URL: supervisor.url, SUPERVISOR_TOKEN },
    });
    await service.waitForState('pairing');
  });
  after(async () => {
    await service?.dispose();
    await supervisor?.close();
  });

  it('never hands out the API key, not even to an administrator', async () => {
    const key = service.apiKey!;
    const keyRoute = await throughIngress(service, '/api/key', asUser(admin.id, admin.name));
    assert.equal(keyRoute.status, 404);
    for (const path of ['/', '/api/state', '/static/dashboard.js']) {
      const response = await throughIngress(service, path, asUser(admin.id, admin.name));
      assert.equal(response.status, 200, path);
      assert.ok(!response.body.includes(key), `${path} does not contain the key`);
    }
    const page = await throughIngress(service, '/', asUser(admin.id, admin.name));
    assert.doesNotMatch(page.body, /id="api-key"|show-key|copy-key/, 'no way to reveal the key');
    assert.match(page.body, /api_key/, 'the page says where the key lives instead');
  });

  it('a signed-in key holder cannot read the key back either', async () => {
    const signIn = await rawRequest(`${service.dashboardUrl}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `api_key=${encodeURIComponent(service.apiKey!)}`,
    });
    const cookie = signIn.headers['set-cookie']![0]!.split(';')[0]!;
    const keyRoute = await rawRequest(`${service.dashboardUrl}/api/key`, { headers: { cookie } });
    assert.equal(keyRoute.status, 404);
    assert.ok(!keyRoute.body.includes(service.apiKey!));
  });

  it('shows a non-administrator the state but refuses logout, reconnect, pairing codes, adding and deleting accounts', async () => {
    const before = (await service.json<{ state: string; qr: { code: string } | null }>('GET', '/v1/session')).state;
    await assertReadOnly(service, asUser(child.id, child.name), 'non-admin');
    assert.equal((await service.json<{ state: string }>('GET', '/v1/session')).state, before, 'nothing happened');
  });

  it('treats a disabled administrator, an unknown user and a request without a user as read-only', async () => {
    await assertReadOnly(service, asUser(disabledAdmin.id, disabledAdmin.name), 'disabled admin');
    await assertReadOnly(service, asUser('0123456789abcdef0123456789abcdef'), 'unknown user');
    await assertReadOnly(service, asUser(null), 'no user header');
  });

  it('lets an administrator and the owner manage the session', async () => {
    for (const user of [admin, owner]) {
      const state = await throughIngress(service, '/api/state', asUser(user.id, user.name));
      const view = JSON.parse(state.body) as PageState;
      assert.equal(view.can_manage, true, user.name);
      assert.notEqual(view.accounts[0]?.qr ?? null, null, `${user.name} sees the QR code`);
    }
    const restarted = await throughIngress(service, '/api/accounts/default/restart', asUser(admin.id, admin.name), {});
    assert.equal(restarted.status, 200, restarted.body);
  });

  it('believes user headers only from the ingress proxy', async () => {
    const forged = await rawRequest(`${service.dashboardUrl}/api/accounts/default/restart`, {
      method: 'POST',
      headers: { ...asUser(admin.id, admin.name), 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(forged.status, 401);
  });

  it('asks Core only for the user list, with the Supervisor token, and remembers the answer briefly', async () => {
    assert.ok(supervisor.commands.length >= 1);
    assert.deepEqual([...new Set(supervisor.commands)], ['config/auth/list']);
    assert.deepEqual([...new Set(supervisor.tokens)], [SUPERVISOR_TOKEN]);
    const asked = supervisor.commands.length;
    for (let i = 0; i < 5; i++) await throughIngress(service, '/api/state', asUser(admin.id, admin.name));
    assert.equal(supervisor.commands.length, asked, 'answered from the short cache');
  });

  it('logs who changed the session by Home Assistant user id, never by phone number or key', () => {
    assert.match(service.output, new RegExp(`"user":"${admin.id}"`));
    assert.ok(!service.output.includes(service.apiKey!));
  });
});

describe('the web page when the admin check cannot be made', () => {
  const refusals = [
    ['the Supervisor refuses the token', async (): Promise<Record<string, string>> => {
      const supervisor = await SupervisorCoreStandIn.start('the-real-token');
      cleanups.push(() => supervisor.close());
      supervisor.users = [coreUser('Ada', 'admin', { id: 'ada' })];
      return { SUPERVISOR_URL: supervisor.url, SUPERVISOR_TOKEN: 'a-stale-token' };
    }],
    ['the Supervisor is not there', async (): Promise<Record<string, string>> => ({
      SUPERVISOR_URL: `http://127.0.0.1:${await freePort()}`,
      SUPERVISOR_TOKEN,
    })],
    ['Core never answers', async (): Promise<Record<string, string>> => {
      const supervisor = await SupervisorCoreStandIn.start(SUPERVISOR_TOKEN);
      cleanups.push(() => supervisor.close());
      supervisor.behaviour = 'silent';
      return { SUPERVISOR_URL: supervisor.url, SUPERVISOR_TOKEN };
    }],
    ['there is no Supervisor token (outside Home Assistant)', async (): Promise<Record<string, string>> => ({})],
  ] as const;
  const cleanups: Array<() => Promise<void>> = [];
  after(async () => {
    for (const cleanup of cleanups) await cleanup();
  });

  for (const [situation, environment] of refusals) {
    it(`is read-only for everyone through ingress when ${situation}`, { timeout: 30_000 }, async () => {
      const service = await startService({ env: { WA_INGRESS_TRUSTED: INGRESS_PROXY, ...(await environment()) } });
      try {
        await service.waitForState('pairing');
        await assertReadOnly(service, asUser('ada', 'Ada'), situation);
      } finally {
        await service.dispose();
      }
    });
  }
});
