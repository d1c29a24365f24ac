/**
 * Several WhatsApp accounts through the API: the accounts routes, and each account's own routes under
 * /v1/accounts/{account}/… kept apart from the others and from the unscoped (`default`) routes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startService, type RunningService } from '../helpers/service.js';

interface ErrorBody {
  error: { code: string; message: string };
}

async function errorOf(response: Response): Promise<{ status: number; code: string; message: string }> {
  const body = (await response.json()) as ErrorBody;
  return { status: response.status, code: body.error.code, message: body.error.message };
}

describe('accounts through the API', () => {
  let service: RunningService;
  before(async () => {
    service = await startService({ env: { WA_MAX_ACCOUNTS: '2', WA_SEND_RATE_PER_MINUTE: '0' } });
  });
  after(async () => service.dispose());

  const stateOf = async (path: string): Promise<string> => (await service.json<{ state: string }>('GET', path)).state;
  const waitForState = (path: string, state: string) =>
    service.waitFor(`${path} in state ${state}`, async () => ((await stateOf(path)) === state ? true : null), 15_000);

  it('answers a route of an unknown account with 404 account_not_found, but a wrong key with 401 first', async () => {
    const unknown = await errorOf(await service.request('GET', '/v1/accounts/nobody/events'));
    assert.deepEqual([unknown.status, unknown.code], [404, 'account_not_found']);
    assert.match(unknown.message, /"nobody"/);
    const wrongKey = await fetch(`${service.url}/v1/accounts/nobody/events`, { headers: { authorization: 'Bearer wrong-key-wrong-key' } });
    assert.equal(wrongKey.status, 401);
    // Even a body the route would refuse: the account is looked up first.
    const badBody = await errorOf(await service.request('POST', '/v1/accounts/nobody/messages', { to: 1 }));
    assert.deepEqual([badBody.status, badBody.code], [404, 'account_not_found']);
  });

  it('serves the default account under both paths', async () => {
    const unscoped = await service.json('GET', '/v1/session');
    const scoped = await service.json('GET', '/v1/accounts/default/session');
    assert.equal(scoped.state, unscoped.state);
    const events = await service.json<{ journal_id: string }>('GET', '/v1/events');
    const scopedEvents = await service.json<{ journal_id: string }>('GET', '/v1/accounts/default/events');
    assert.equal(scopedEvents.journal_id, events.journal_id);
    const notAllowed = await service.request('PUT', '/v1/accounts/default/session');
    assert.equal(notAllowed.status, 405);
    assert.equal(notAllowed.headers.get('allow'), 'GET, HEAD');
  });

  it('refuses a bad account id with a 400 that says what an id looks like', async () => {
    const bad = await errorOf(await service.request('POST', '/v1/accounts', { id: 'Office Phone' }));
    assert.deepEqual([bad.status, bad.code], [400, 'invalid_request']);
    assert.match(bad.message, /"id" must be lower-case letters, digits and single dashes/);
    const unknownField = await errorOf(await service.request('POST', '/v1/accounts', { name: 'office' }));
    assert.deepEqual([unknownField.status, unknownField.code], [400, 'invalid_request']);
    assert.match(unknownField.message, /"name"/);
  });

  it('keeps a second account apart: its own pairing, link, journal and messages', async () => {
    const created = await service.request('POST', '/v1/accounts', { id: 'office' });
    assert.equal(created.status, 201);
    assert.deepEqual(await created.json(), { id: 'office' });
    const taken = await errorOf(await service.request('POST', '/v1/accounts', { id: 'office' }));
    assert.deepEqual([taken.status, taken.code], [409, 'account_exists']);

    await waitForState('/v1/accounts/office/session', 'pairing');
    const scan = await service.json<{ me: { phone: string } }>('POST', '/v1/accounts/office/simulator/scan', { phone: '+15550000031' });
    assert.equal(scan.me.phone, '+15550000031');
    await waitForState('/v1/accounts/office/session', 'connected');
    // Linking the office number did not link the default account.
    assert.notEqual(await stateOf('/v1/session'), 'connected');
    const health = await service.json<{ state: string }>('GET', '/health');
    assert.equal(health.state, await stateOf('/v1/session'));

    const listed = await service.json<{ accounts: Array<{ id: string; state: string; me: { phone: string } | null }> }>('GET', '/v1/accounts');
    assert.deepEqual(listed.accounts.map((a) => a.id), ['default', 'office']);
    assert.equal(listed.accounts[1]!.state, 'connected');
    assert.equal(listed.accounts[1]!.me?.phone, '+15550000031');

    const delivered = await service.json<{ id: string }>('POST', '/v1/accounts/office/simulator/incoming', { from: '+15550000002', text: 'for the office' });
    const officeEvents = await service.waitFor('the office message in its journal', async () => {
      const page = await service.json<{ journal_id: string; events: Array<{ type: string; data: { id?: string } }> }>('GET', '/v1/accounts/office/events');
      return page.events.some((e) => e.type === 'message' && e.data.id === delivered.id) ? page : null;
    });
    const defaultEvents = await service.json<{ journal_id: string; events: Array<{ data: { id?: string } }> }>('GET', '/v1/events?limit=1000');
    assert.notEqual(officeEvents.journal_id, defaultEvents.journal_id);
    assert.equal(defaultEvents.events.some((e) => e.data.id === delivered.id), false);

    const sent = await service.json<{ id: string }>('POST', '/v1/accounts/office/messages', { to: '+4917612345678', type: 'text', text: 'from the office' });
    const outbox = await service.waitFor('the office send in its outbox', async () => {
      const entries = (await service.json<{ messages: Array<{ id: string }> }>('GET', '/v1/accounts/office/simulator/outbox')).messages;
      return entries.some((e) => e.id === sent.id) ? entries : null;
    });
    assert.ok(outbox.length > 0);
    const defaultOutbox = (await service.json<{ messages: Array<{ id: string }> }>('GET', '/v1/simulator/outbox')).messages;
    assert.equal(defaultOutbox.some((e) => e.id === sent.id), false);
  });

  it('stops at the account limit with 409 too_many_accounts', async () => {
    const over = await errorOf(await service.request('POST', '/v1/accounts', {}));
    assert.deepEqual([over.status, over.code], [409, 'too_many_accounts']);
  });

  it('deletes an account, after which its routes are 404; default cannot be deleted', async () => {
    const refused = await errorOf(await service.request('DELETE', '/v1/accounts/default'));
    assert.deepEqual([refused.status, refused.code], [409, 'default_account']);
    assert.match(refused.message, /log it out|Log it out/);
    const deleted = await service.request('DELETE', '/v1/accounts/office');
    assert.equal(deleted.status, 200);
    assert.deepEqual(await deleted.json(), { id: 'office', deleted: true });
    const gone = await errorOf(await service.request('GET', '/v1/accounts/office/session'));
    assert.deepEqual([gone.status, gone.code], [404, 'account_not_found']);
    const again = await errorOf(await service.request('DELETE', '/v1/accounts/office'));
    assert.deepEqual([again.status, again.code], [404, 'account_not_found']);
    // A new account gets a generated id when none is asked for.
    const generated = await service.request('POST', '/v1/accounts');
    assert.equal(generated.status, 201);
    assert.match(((await generated.json()) as { id: string }).id, /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/);
  });
});
