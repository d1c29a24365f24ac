/**
 * Three WhatsApp numbers served by one real add-on on the fake network, each linked with its own
 * phone (each account has a fake network of its own). Everything goes through the account-scoped
 * routes, as the integration uses them.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import type { OutboxEntry } from '../../src/fakewa/outbox.js';
import { startService, type RunningService } from '../helpers/service.js';

const CAROL = '+15550000002';
const ALICE = '+4917612345678';
/** The phone each account is linked with. */
const PHONES: Record<string, string> = { default: '+15551110001', office: '+15551110002', 'account-2': '+15551110003' };
/** As GET /v1/accounts lists them: `default` first, then by id. */
const IDS = ['default', 'account-2', 'office'];

interface EventsPage {
  events: Array<{ seq: number; type: string; data: { id?: string; state?: string; text?: string } }>;
  last_seq: number;
  journal_id: string;
}
interface AccountList {
  accounts: Array<{ id: string; state: string; me: { phone: string } | null }>;
}

const scoped = (id: string, route: string): string => `/v1/accounts/${id}${route}`;

async function eventsOf(service: RunningService, id: string): Promise<EventsPage> {
  return service.json<EventsPage>('GET', scoped(id, '/events?after=0&limit=1000'));
}

async function messageIdsOf(service: RunningService, id: string): Promise<string[]> {
  return (await eventsOf(service, id)).events.filter((event) => event.type === 'message').map((event) => event.data.id!);
}

async function outboxOf(service: RunningService, id: string): Promise<OutboxEntry[]> {
  return (await service.json<{ messages: OutboxEntry[] }>('GET', scoped(id, '/simulator/outbox'))).messages;
}

async function statesOf(service: RunningService): Promise<Record<string, string>> {
  const { accounts } = await service.json<AccountList>('GET', '/v1/accounts');
  return Object.fromEntries(accounts.map((account) => [account.id, account.state]));
}

async function waitForAccountState(service: RunningService, id: string, state: string, timeoutMs = 20_000): Promise<void> {
  await service.waitFor(`${id} ${state}`, async () => (await statesOf(service))[id] === state, timeoutMs);
}

/** Samples every account's state until `during` settles: the states each account went through meanwhile. */
async function statesDuring(service: RunningService, during: Promise<unknown>): Promise<Record<string, Set<string>>> {
  const seen: Record<string, Set<string>> = {};
  let done = false;
  const finished = during.finally(() => {
    done = true;
  });
  while (!done) {
    for (const [id, state] of Object.entries(await statesOf(service))) (seen[id] ??= new Set()).add(state);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await finished;
  return seen;
}

async function deliverTo(service: RunningService, id: string, text: string): Promise<string> {
  return (await service.json<{ id: string }>('POST', scoped(id, '/simulator/incoming'), { from: CAROL, text })).id;
}

describe('three accounts in one add-on', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'wa-three-accounts-'));
  const env = { WA_MAX_ACCOUNTS: '3', WA_SEND_RATE_PER_MINUTE: '0' };
  let service: RunningService;
  /** Every message each account received, by account: nothing of it may ever go missing. */
  const received: Record<string, string[]> = { default: [], office: [], 'account-2': [] };
  const journalIds: Record<string, string> = {};

  after(async () => {
    await service?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('adds accounts up to WA_MAX_ACCOUNTS and refuses one more with 409', async () => {
    service = await startService({ dataDir, env });
    assert.deepEqual(await service.json('POST', '/v1/accounts', { id: 'office' }), { id: 'office' });
    const generated = await service.request('POST', '/v1/accounts', {});
    assert.equal(generated.status, 201);
    assert.deepEqual(await generated.json(), { id: 'account-2' });
    const refused = await service.request('POST', '/v1/accounts', {});
    assert.equal(refused.status, 409);
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'too_many_accounts');
    assert.deepEqual(Object.keys(await statesOf(service)), IDS);
    const unknown = await service.request('GET', scoped('nobody', '/session'));
    assert.equal(unknown.status, 404);
  });

  it('links each account with its own phone', async () => {
    for (const id of IDS) {
      await waitForAccountState(service, id, 'pairing');
      const { me } = await service.json<{ me: { phone: string } }>('POST', scoped(id, '/simulator/scan'), { phone: PHONES[id] });
      assert.equal(me.phone, PHONES[id]);
    }
    const { accounts } = await service.json<AccountList>('GET', '/v1/accounts');
    for (const account of accounts) {
      assert.equal(account.state, 'connected', account.id);
      assert.equal(account.me?.phone, PHONES[account.id], `${account.id} is its own number`);
    }
    const session = await service.json<{ me: { phone: string } }>('GET', '/v1/session');
    assert.equal(session.me.phone, PHONES.default, 'the unscoped routes are the account "default"');
  });

  it('journals each message in its own account only, with per-account seqs and journal ids', async () => {
    for (const id of IDS) received[id]!.push(await deliverTo(service, id, `for ${id}`));
    for (const id of IDS) {
      const page = await eventsOf(service, id);
      journalIds[id] = page.journal_id;
      const ids = page.events.filter((event) => event.type === 'message').map((event) => event.data.id);
      assert.deepEqual(ids, received[id], `${id} has its message and no other`);
      assert.equal(page.events[0]?.seq, 1, `${id} counts its own seqs from 1`);
    }
    assert.equal(new Set(Object.values(journalIds)).size, 3, 'three journals');
    const unscoped = await service.json<EventsPage>('GET', '/v1/events?after=0&limit=1000');
    assert.equal(unscoped.journal_id, journalIds.default);
  });

  it('sends from each account to the right contact, through that account only', async () => {
    const sent: Record<string, string> = {};
    for (const id of IDS) {
      sent[id] = (await service.json<{ id: string }>('POST', scoped(id, '/messages'), { to: ALICE, type: 'text', text: `from ${id}` })).id;
    }
    for (const id of IDS) {
      // Each account's network links only that account's phone: what its contacts read came from that number.
      const entry = await service.waitFor(`${id}'s message at Alice`, async () => (await outboxOf(service, id)).find((candidate) => candidate.id === sent[id]));
      assert.equal(entry.to, '4917612345678@s.whatsapp.net');
      assert.equal(entry.text, `from ${id}`);
      const elsewhere = (await Promise.all(IDS.filter((other) => other !== id).map((other) => outboxOf(service, other)))).flat();
      assert.ok(!elsewhere.some((candidate) => candidate.id === sent[id]), `${id}'s message went out through no other account`);
    }
  });

  it('keeps the other two connected when one account loses its socket, and loses nothing', async () => {
    await service.json('POST', scoped('office', '/simulator/disconnect'), { reason: 'connectionClosed' });
    await service.waitFor('office to notice', async () => (await statesOf(service)).office !== 'connected');
    const seen = await statesDuring(
      service,
      (async () => {
        for (const id of ['default', 'account-2']) received[id]!.push(await deliverTo(service, id, `while office reconnects, for ${id}`));
        await waitForAccountState(service, 'office', 'connected');
      })(),
    );
    assert.deepEqual([...seen.default!], ['connected'], 'default never left connected');
    assert.deepEqual([...seen['account-2']!], ['connected'], 'account-2 never left connected');
    received.office!.push(await deliverTo(service, 'office', 'for office after its reconnect'));
    for (const id of IDS) assert.deepEqual(await messageIdsOf(service, id), received[id], `${id} kept every message`);
  });

  it('keeps the other two connected when one account is logged out', async () => {
    const logout = service.json('POST', scoped('account-2', '/session/logout'));
    const seen = await statesDuring(service, logout);
    assert.deepEqual([...seen.default!], ['connected']);
    assert.deepEqual([...seen.office!], ['connected']);
    await waitForAccountState(service, 'account-2', 'pairing');
    for (const id of ['default', 'office']) received[id]!.push(await deliverTo(service, id, `after account-2 left, for ${id}`));
    for (const id of ['default', 'office']) assert.deepEqual(await messageIdsOf(service, id), received[id]);
    // Link it again (same phone), for the restart below.
    await service.json('POST', scoped('account-2', '/simulator/scan'), { phone: PHONES['account-2'] });
  });

  it('keeps all three linked, with their journals, across a restart', async () => {
    assert.equal(await service.stop(), 0);
    service = await startService({ dataDir, apiKey: service.apiKey, env });
    for (const id of IDS) await waitForAccountState(service, id, 'connected');
    const { accounts } = await service.json<AccountList>('GET', '/v1/accounts');
    for (const account of accounts) assert.equal(account.me?.phone, PHONES[account.id]);
    for (const id of IDS) {
      const page = await eventsOf(service, id);
      assert.equal(page.journal_id, journalIds[id], `${id} kept its journal`);
      assert.deepEqual(await messageIdsOf(service, id), received[id]);
    }
  });

  it('deletes an account with its data: its folder goes, its routes answer 404, its place is free again', async () => {
    const folder = join(dataDir, 'accounts', 'office');
    assert.ok(existsSync(folder));
    const deleted = await service.request('DELETE', '/v1/accounts/office');
    assert.equal(deleted.status, 200);
    assert.ok(!existsSync(folder), 'the account folder is gone');
    assert.deepEqual(readdirSync(join(dataDir, 'accounts')).sort(), ['account-2', 'default'], 'no tombstone left behind');
    for (const route of ['/session', '/events', '/simulator/outbox']) {
      assert.equal((await service.request('GET', scoped('office', route))).status, 404, route);
    }
    assert.equal((await service.request('DELETE', '/v1/accounts/office')).status, 404);
    assert.equal((await service.request('DELETE', '/v1/accounts/default')).status, 409);
    const states = await statesOf(service);
    assert.deepEqual(states, { default: 'connected', 'account-2': 'connected' });
    received.default!.push(await deliverTo(service, 'default', 'after office was deleted'));
    assert.deepEqual(await messageIdsOf(service, 'default'), received.default);
    const again = await service.request('POST', '/v1/accounts', { id: 'office' });
    assert.equal(again.status, 201, 'the freed place and id can be used again');
    await waitForAccountState(service, 'office', 'pairing');
    assert.deepEqual(await messageIdsOf(service, 'office'), [], 'a new office account starts with an empty journal');
  });
});
