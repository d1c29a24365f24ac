/**
 * What one client may hold of the API: long-polls, connections, silent sockets, wrong keys; and the
 * minimum length of a key the user chose. Clients are told apart by address: the tests come from
 * several addresses of 127.0.0.0/8.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { after, before, describe, it } from 'node:test';

import { rawRequest, type RawResponse } from '../helpers/http.js';
import { startService, type RunningService } from '../helpers/service.js';

function errorCode(response: RawResponse): string {
  return (JSON.parse(response.body) as { error: { code: string } }).error.code;
}

function get(service: RunningService, path: string, from: string, key: string | null = service.apiKey): Promise<RawResponse> {
  return rawRequest(`${service.url}${path}`, {
    localAddress: from,
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), connection: 'close' },
  });
}

/** A TCP connection from `from` that sends nothing. */
function openSocket(service: RunningService, from: string): Promise<Socket> {
  const { port } = new URL(service.url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: Number(port), localAddress: from }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Milliseconds until the server closes `socket`, or null if it is still open after `withinMs`. */
function closedWithin(socket: Socket, withinMs: number): Promise<number | null> {
  const started = Date.now();
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), withinMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(Date.now() - started);
    });
    socket.on('error', () => undefined);
    socket.resume();
  });
}

async function latestSeq(service: RunningService): Promise<number> {
  return (await service.json<{ last_seq: number }>('GET', '/v1/events')).last_seq;
}

describe('long-polls are capped per client and in all', () => {
  let service: RunningService;
  before(async () => {
    service = await startService({ env: { WA_MAX_LONG_POLLS: '20', WA_MAX_LONG_POLLS_PER_CLIENT: '16' } });
  });
  after(async () => service.dispose());

  it('refuses the 17th waiting poll from one address with 429, while another address still polls', async () => {
    const ahead = (await latestSeq(service)) + 1000;
    const held = Array.from({ length: 16 }, () => get(service, `/v1/events?after=${ahead}&wait=60`, '127.0.0.1').catch(() => null));
    await new Promise((r) => setTimeout(r, 500));
    const refused = await get(service, `/v1/events?after=${ahead}&wait=60`, '127.0.0.1');
    assert.equal(refused.status, 429, refused.body);
    assert.equal(errorCode(refused), 'too_many_long_polls');
    assert.ok(Number(refused.headers['retry-after']) > 0);
    // Not waiting is not capped, and another client is not affected.
    assert.equal((await get(service, '/v1/events?after=0', '127.0.0.1')).status, 200);
    assert.equal((await get(service, `/v1/events?after=${ahead}&wait=1`, '127.0.0.2')).status, 200);

    // 16 + 4 more from other addresses reach the process-wide cap of 20.
    const more = ['127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6'].map((from) =>
      get(service, `/v1/events?after=${ahead}&wait=60`, from).catch(() => null),
    );
    await new Promise((r) => setTimeout(r, 500));
    const full = await get(service, `/v1/events?after=${ahead}&wait=60`, '127.0.0.7');
    assert.equal(full.status, 503, full.body);
    assert.equal(errorCode(full), 'too_many_long_polls');
    void held;
    void more;
  });
});

describe('connections are capped per client and in all', () => {
  const sockets: Socket[] = [];
  let service: RunningService;
  before(async () => {
    service = await startService({ env: { WA_MAX_CONNECTIONS_PER_CLIENT: '4', WA_MAX_CONNECTIONS: '12' } });
  });
  after(async () => {
    for (const socket of sockets) socket.destroy();
    await service.dispose();
  });

  it('answers a connection over the per-address cap with 429 and the error body; other addresses get in', async () => {
    for (let i = 0; i < 4; i++) sockets.push(await openSocket(service, '127.0.0.11'));
    const refused = await get(service, '/v1/session', '127.0.0.11');
    assert.equal(refused.status, 429, refused.body);
    assert.equal(errorCode(refused), 'too_many_connections');
    assert.equal((await get(service, '/v1/session', '127.0.0.12')).status, 200);
  });

  it('answers 503 once the process holds its maximum, whoever asks', async () => {
    for (const from of ['127.0.0.13', '127.0.0.14']) for (let i = 0; i < 4; i++) sockets.push(await openSocket(service, from));
    const refused = await get(service, '/v1/session', '127.0.0.15');
    assert.equal(refused.status, 503, refused.body);
    assert.equal(errorCode(refused), 'too_many_connections');
  });
});

describe('connections that have not shown the key are short-lived', () => {
  let service: RunningService;
  before(async () => {
    service = await startService();
  });
  after(async () => service.dispose());

  it('drops a silent connection and one that trickles its headers within about 10 s', { timeout: 30_000 }, async () => {
    const silent = await openSocket(service, '127.0.0.21');
    const trickling = await openSocket(service, '127.0.0.22');
    trickling.write('GET /v1/session HTTP/1.1\r\nHost: x\r\n');
    const drip = setInterval(() => trickling.writable && trickling.write('X-Slow: 1\r\n'), 1_000);
    try {
      const [silentMs, tricklingMs] = await Promise.all([closedWithin(silent, 14_000), closedWithin(trickling, 14_000)]);
      assert.ok(silentMs !== null, 'a silent connection stayed open');
      assert.ok(tricklingMs !== null, 'a connection trickling its headers stayed open');
    } finally {
      clearInterval(drip);
      silent.destroy();
      trickling.destroy();
    }
  });

  it('closes the connection of a request with a wrong key', async () => {
    // Asked on a keep-alive connection: the refusal still closes it.
    const refused = await rawRequest(`${service.url}/v1/session`, {
      localAddress: '127.0.0.23',
      headers: { authorization: 'Bearer wrong-key-but-long-enough', connection: 'keep-alive' },
    });
    assert.equal(refused.status, 401);
    assert.equal(refused.headers.connection, 'close');
  });

  it('lets an authenticated long-poll wait longer than the idle limit', { timeout: 30_000 }, async () => {
    const ahead = (await latestSeq(service)) + 1000;
    const started = Date.now();
    const poll = await rawRequest(`${service.url}/v1/events?after=${ahead}&wait=12`, { headers: { authorization: `Bearer ${service.apiKey}` } });
    assert.equal(poll.status, 200);
    assert.ok(Date.now() - started >= 11_500, 'it waited the full 12 s');
  });
});

describe('wrong keys from one address slow that address down', () => {
  let service: RunningService;
  before(async () => {
    service = await startService();
  });
  after(async () => service.dispose());

  it('answers the first 5 wrong keys at once, then each later 401 comes later; the right key is never held back', { timeout: 30_000 }, async () => {
    const attacker = '127.0.0.31';
    const timed = async (key?: string, from = attacker): Promise<{ status: number; ms: number }> => {
      const started = Date.now();
      const response = await get(service, '/v1/session', from, key);
      return { status: response.status, ms: Date.now() - started };
    };
    for (let i = 0; i < 5; i++) {
      const free = await timed(`guess-number-${i}-padding`);
      assert.equal(free.status, 401);
      assert.ok(free.ms < 100, `wrong key ${i + 1} is answered at once`);
    }
    const held = [];
    for (let i = 5; i < 9; i++) held.push(await timed(`guess-number-${i}-padding`));
    assert.deepEqual(held.map((r) => r.status), [401, 401, 401, 401], 'a wrong key is always answered 401, as the contract says');
    assert.ok(held[0]!.ms >= 90, `the 6th wrong key waited ${held[0]!.ms} ms`);
    assert.ok(held[3]!.ms >= 750, `the delay doubles: the 9th waited ${held[3]!.ms} ms`);
    // The right key is answered at once, from the guessing address and from any other…
    const right = await timed();
    assert.equal(right.status, 200);
    assert.ok(right.ms < 500);
    assert.equal((await timed(undefined, '127.0.0.32')).status, 200);
    // …and clears the record: the next typo is free again.
    const typo = await timed('one-more-typo-padding');
    assert.equal(typo.status, 401);
    assert.ok(typo.ms < 100);
  });
});

describe('an API key typed into the add-on options must be at least 16 characters', () => {
  /** A service whose only key setting is the add-on option, as Home Assistant writes it. */
  const withOption = async (apiKey: string): Promise<RunningService> => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wa-key-option-'));
    writeFileSync(join(dataDir, 'options.json'), JSON.stringify({ api_key: apiKey }));
    return startService({ dataDir, apiKey: null });
  };

  it('does not accept a short key; the service runs on its own key and says why in the log', async () => {
    const service = await withOption('short-key');
    try {
      const short = await get(service, '/v1/session', '127.0.0.41', 'short-key');
      assert.equal(short.status, 401);
      const ownKey = readFileSync(join(service.dataDir, 'api_key'), 'utf8').trim();
      assert.ok(ownKey.length >= 40);
      assert.equal((await get(service, '/v1/session', '127.0.0.41', ownKey)).status, 200);
      assert.match(service.output, /"level":50[^\n]*api_key option is shorter than 16 characters and is NOT used/);
      assert.ok(!service.output.includes(ownKey), 'the key in use is not logged');
    } finally {
      await service.dispose();
      rmSync(service.dataDir, { recursive: true, force: true });
    }
  });

  it('accepts a chosen key of 16 characters', async () => {
    const service = await withOption('sixteen-chars-ok');
    try {
      assert.equal((await get(service, '/v1/session', '127.0.0.42', 'sixteen-chars-ok')).status, 200);
    } finally {
      await service.dispose();
      rmSync(service.dataDir, { recursive: true, force: true });
    }
  });

  it('uses a short WA_API_KEY as its operator set it, with a warning', async () => {
    const service = await startService({ apiKey: 'short-key' });
    try {
      assert.equal((await get(service, '/v1/session', '127.0.0.43', 'short-key')).status, 200);
      assert.match(service.output, /"level":40[^\n]*WA_API_KEY is shorter than 16 characters/);
      assert.ok(!service.output.includes('"short-key"'), 'the key is not logged');
    } finally {
      await service.dispose();
    }
  });
});
