import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startService } from '../helpers/service.js';

describe('service lifecycle', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'wa-lifecycle-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('generates an API key once, keeps it private and reuses it after a restart', async () => {
    const first = await startService({ dataDir, apiKey: null });
    const keyFile = join(dataDir, 'api_key');
    const key = readFileSync(keyFile, 'utf8').trim();
    assert.equal(Buffer.from(key, 'base64url').length, 32);
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    const withKey = await fetch(`${first.url}/v1/session`, { headers: { authorization: `Bearer ${key}` } });
    assert.equal(withKey.status, 200);
    assert.ok(!first.output.includes(key), 'the generated key is never logged');
    assert.equal(await first.stop(), 0);

    const second = await startService({ dataDir, apiKey: null });
    assert.equal(readFileSync(keyFile, 'utf8').trim(), key);
    const again = await fetch(`${second.url}/v1/session`, { headers: { authorization: `Bearer ${key}` } });
    assert.equal(again.status, 200);
    assert.equal(await second.stop(), 0);
  });

  it('stays linked and keeps its journal across a restart; SIGTERM exits 0 within 5 s', async () => {
    const first = await startService({ dataDir });
    await first.waitForState('pairing');
    await first.json('POST', '/v1/simulator/scan', { phone: '+49 176 1234-5678' });
    await first.waitForState('connected');
    const { id } = await first.json<{ id: string }>('POST', '/v1/simulator/incoming', { from: '+15550000002', text: 'before restart' });
    const before = await first.json<{ last_seq: number }>('GET', '/v1/events?after=0&limit=1000');
    const started = Date.now();
    assert.equal(await first.stop('SIGTERM'), 0);
    assert.ok(Date.now() - started < 5_000, 'shutdown within 5 s');

    const second = await startService({ dataDir });
    const session = await second.waitForState('connected');
    assert.equal((session.me as { phone: string }).phone, '+4917612345678');
    const page = await second.json<{ events: Array<{ seq: number; type: string; data: { id?: string } }>; last_seq: number }>(
      'GET',
      '/v1/events?after=0&limit=1000',
    );
    assert.ok(page.events.some((e) => e.type === 'message' && e.data.id === id), 'the message survived the restart');
    // The session says `connected` as soon as it is; its journal entry may land a moment later, as a long-poll sees.
    const newer = await second.json<{ events: Array<{ seq: number; type: string }> }>('GET', `/v1/events?after=${before.last_seq}&wait=10`);
    assert.ok(newer.events.some((e) => e.type === 'connection'), 'the reconnect was journalled after the old events');
    const seqs = page.events.map((e) => e.seq);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
    assert.equal(new Set(seqs).size, seqs.length);
    await second.dispose();
  });

  it('answers pending long-polls at shutdown instead of holding the exit', async () => {
    const service = await startService();
    const { last_seq: lastSeq } = await service.json<{ last_seq: number }>('GET', '/v1/events');
    const poll = service.request('GET', `/v1/events?after=${lastSeq + 100}&wait=60`);
    await new Promise((r) => setTimeout(r, 200));
    const started = Date.now();
    assert.equal(await service.stop('SIGTERM'), 0);
    assert.ok(Date.now() - started < 5_000);
    await poll.then(
      (response) => assert.ok(response.status === 200 || response.status >= 500),
      () => undefined,
    );
    await service.dispose();
  });

  it('still serves the API when the web page port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as AddressInfo).port;
    try {
      const service = await startService({ env: { WA_INGRESS_PORT: String(taken) } });
      const session = await service.json('GET', '/v1/session');
      assert.ok(session.state);
      assert.match(service.output, /web page could not start/);
      assert.equal(await service.stop(), 0);
      await service.dispose();
    } finally {
      blocker.close();
    }
  });

  it('refuses to start with an invalid setting and says which', async () => {
    await assert.rejects(startService({ env: { WA_ENGINE: 'carrier-pigeon' } }), /WA_ENGINE/);
  });
});

describe('long-poll over HTTP', () => {
  it('returns at once when events exist, waits otherwise, and wakes on a new event', async () => {
    const service = await startService();
    try {
      await service.waitForState('pairing');
      const first = await service.json<{ events: unknown[]; last_seq: number }>('GET', '/v1/events?after=0&wait=30');
      assert.ok(first.events.length > 0, 'connection events exist already');

      const started = Date.now();
      const empty = await service.json<{ events: unknown[] }>('GET', `/v1/events?after=${first.last_seq}&wait=1`);
      assert.deepEqual(empty.events, []);
      assert.ok(Date.now() - started >= 900, 'a caught-up reader waits for the requested time');


      const waiting = service.json<{ events: Array<{ type: string }> }>('GET', `/v1/events?after=${first.last_seq}&wait=30`);
      await new Promise((r) => setTimeout(r, 100));
      await service.json('POST', '/v1/simulator/scan', {});
      const woken = await waiting;
      assert.ok(woken.events.length > 0);
      assert.equal(woken.events[0]!.type, 'connection');
    } finally {
      await service.dispose();
    }
  });
});
