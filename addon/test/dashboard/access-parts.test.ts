/**
 * The parts of the page's access rules that need a clock or an address the tests cannot have: the
 * admin answer's lifetime, the cookie's expiry, and the ingress proxy's own (non-loopback) address.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Request, Response } from 'express';
import pino from 'pino';
import { adminsFrom, CoreAdminCheck } from '../../src/dashboard/ha-admins.js';
import { hostAllowed, hostGuard, hostName } from '../../src/dashboard/host-check.js';
import { DashboardSessions } from '../../src/dashboard/sessions.js';
import { coreUser, SupervisorCoreStandIn } from './supervisor-core.js';

const quiet = pino({ level: 'silent' });

describe('asking Core who is an administrator', () => {
  let supervisor: SupervisorCoreStandIn;
  before(async () => {
    supervisor = await SupervisorCoreStandIn.start('token');
  });
  after(() => supervisor.close());

  it('follows Core’s rule: the owner, or an active member of system-admin', () => {
    const admins = adminsFrom([
      coreUser('A', 'admin', { id: 'a' }),
      coreUser('O', 'owner', { id: 'o', group_ids: [] }),
      coreUser('U', 'user', { id: 'u' }),
      coreUser('D', 'admin', { id: 'd', is_active: false }),
      { id: 42, is_owner: true },
      null,
    ]);
    assert.deepEqual([...admins], [['a', true], ['o', true], ['u', false], ['d', false]]);
    assert.throws(() => adminsFrom({ users: [] }), /not a list/);
  });

  it('asks once for pages opened together, answers from memory, and sees a demotion once the memory ends', async () => {
    let now = 1_000_000;
    const check = new CoreAdminCheck({ url: supervisor.url, token: 'token' }, quiet, { cacheMs: 30_000, now: () => now });
    supervisor.users = [coreUser('Ada', 'admin', { id: 'ada' })];
    const asked = supervisor.commands.length;
    assert.deepEqual(await Promise.all([check.isAdmin('ada'), check.isAdmin('ada'), check.isAdmin('nobody')]), [true, true, false]);
    assert.equal(supervisor.commands.length - asked, 1, 'one question for three pages');

    supervisor.users = [coreUser('Ada', 'user', { id: 'ada' })];
    now += 29_000;
    assert.equal(await check.isAdmin('ada'), true, 'still the remembered answer');
    now += 2_000;
    assert.equal(await check.isAdmin('ada'), false, 'demoted once the memory ended');
    assert.equal(supervisor.commands.length - asked, 2);
  });

  it('answers no for a while after a failure instead of asking on every request', async () => {
    let now = 0;
    const check = new CoreAdminCheck({ url: supervisor.url, token: 'wrong' }, quiet, { retryAfterFailureMs: 5_000, now: () => now });
    supervisor.users = [coreUser('Ada', 'admin', { id: 'ada' })];
    const attempts = supervisor.tokens.length;
    assert.equal(await check.isAdmin('ada'), false);
    assert.equal(await check.isAdmin('ada'), false);
    assert.equal(supervisor.tokens.length - attempts, 1, 'asked once');
    now += 5_001;
    assert.equal(await check.isAdmin('ada'), false);
    assert.equal(supervisor.tokens.length - attempts, 2, 'asked again after the pause');
  });

  it('answers no when Core is silent, within the time limit', async () => {
    supervisor.behaviour = 'silent';
    try {
      const check = new CoreAdminCheck({ url: supervisor.url, token: 'token' }, quiet, { timeoutMs: 300 });
      const started = Date.now();
      assert.equal(await check.isAdmin('ada'), false);
      assert.ok(Date.now() - started < 2_000);
    } finally {
      supervisor.behaviour = 'normal';
    }
  });
});

describe('the sign-in cookie', () => {
  it('works until it expires, and not after', () => {
    let now = Date.UTC(2026, 0, 1);
    const sessions = new DashboardSessions('key', { lifetimeMs: 60_000, now: () => now });
    const { value, maxAgeSeconds } = sessions.issue();
    assert.equal(maxAgeSeconds, 60);
    assert.equal(sessions.valid(value), true);
    now += 59_000;
    assert.equal(sessions.valid(value), true);
    now += 1_000;
    assert.equal(sessions.valid(value), false);
  });

  it('is refused by another key, after revocation, and when altered', () => {
    const sessions = new DashboardSessions('key');
    const { value } = sessions.issue();
    assert.equal(new DashboardSessions('another key').valid(value), false);
    assert.equal(sessions.valid(value.slice(0, -2) + (value.endsWith('AA') ? 'BB' : 'AA')), false);
    assert.equal(sessions.valid(`${value}.extra`), false);
    assert.equal(sessions.valid(''), false);
    assert.equal(sessions.valid(null), false);
    sessions.revokeAll();
    assert.equal(sessions.valid(value), false);
    assert.equal(sessions.valid(sessions.issue().value), true, 'new sign-ins work after a revocation');
  });
});

describe('the Host check', () => {
  it('reads the name out of Host', () => {
    assert.equal(hostName('Example.ORG.:8099'), 'example.org');
    assert.equal(hostName('[::1]:8099'), '::1');
    assert.equal(hostName(''), null);
    assert.equal(hostName(undefined), null);
    assert.equal(hostAllowed('10.0.0.5:8099', new Set()), true);
    assert.equal(hostAllowed('localhost', new Set()), true);
    assert.equal(hostAllowed('localhost.evil.example', new Set()), false);
    assert.equal(hostAllowed('127.0.0.1.nip.io', new Set()), false);
  });

  function passes(peer: string, host: string): boolean {
    const guard = hostGuard(new Set(['172.30.32.2', '127.0.0.1']), []);
    let allowed = false;
    const req = { socket: { remoteAddress: peer }, get: (name: string) => (name.toLowerCase() === 'host' ? host : undefined) } as unknown as Request;
    const res = { status: () => res, set: () => res, json: () => res } as unknown as Response;
    void guard(req, res, () => {
      allowed = true;
    });
    return allowed;
  }

  it('lets the ingress proxy forward any name Home Assistant was opened by, but not loopback', () => {
    assert.equal(passes('172.30.32.2', 'homeassistant.local:8123'), true);
    assert.equal(passes('::ffff:172.30.32.2', 'my-home.duckdns.org'), true);
    assert.equal(passes('127.0.0.1', 'evil.example'), false, 'a trusted loopback peer is still checked');
    assert.equal(passes('172.30.33.9', 'evil.example'), false, 'another add-on is checked');
  });
});
