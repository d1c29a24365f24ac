import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { outboxBarrier, outboxOf, sentMessages, startService, waitForOutbox, type OutboxEntry, type RunningService } from '../helpers/service.js';

const UNPACED = { WA_SEND_RATE_PER_MINUTE: '0' };

async function linkedService(env: Record<string, string> = UNPACED): Promise<RunningService> {
  const service = await startService({ env });
  await service.waitForState('pairing');
  await service.json('POST', '/v1/simulator/scan', {});
  await service.waitForState('connected');
  return service;
}

const outbox = outboxOf;

/** The contact's decrypted copy of the message the API answered with `id`. */
function delivered(service: RunningService, id: string): Promise<OutboxEntry> {
  return waitForOutbox(service, (entry) => entry.id === id, `message ${id} in the outbox`);
}

async function upload(service: RunningService, bytes: Buffer, type: string, filename?: string): Promise<{ media_id: string; size: number; mimetype: string }> {
  const response = await fetch(`${service.url}/v1/media`, {
    method: 'POST',
    headers: service.headers({ 'content-type': type, ...(filename ? { 'x-filename': encodeURIComponent(filename) } : {}) }),
    body: bytes,
  });
  assert.equal(response.status, 200, await response.clone().text());
  return (await response.json()) as { media_id: string; size: number; mimetype: string };
}

async function errorOf(response: Response): Promise<{ status: number; code: string; message: string }> {
  const body = (await response.json()) as { error: { code: string; message: string } };
  return { status: response.status, ...body.error };
}

describe('sending through the real API into the simulator outbox', () => {
  let service: RunningService;
  before(async () => {
    service = await linkedService();
  });
  after(async () => service.dispose());

  it('sends text to a phone number written any common way, normalised to its jid', async () => {
    for (const to of ['+49 176 1234-5678', '0049 176 12345678', '4917612345678', '+49 (176) 1234 5678']) {
      const sent = await service.json<{ id: string; to: string; timestamp: string }>('POST', '/v1/messages', { to, type: 'text', text: `hi ${to}` });
      assert.equal(sent.to, '4917612345678@s.whatsapp.net');
      assert.match(sent.id, /^3EB0[0-9A-F]{18}$/);
      assert.ok(Math.abs(Date.parse(sent.timestamp) - Date.now()) < 10_000);
      const entry = await delivered(service, sent.id);
      assert.equal(entry.type, 'text');
      assert.equal(entry.text, `hi ${to}`);
    }
  });

  it('sends every type with its content, reply and mentions', async () => {
    const image = Buffer.from('not really a jpeg, but bytes are bytes');
    const uploaded = await upload(service, image, 'image/jpeg');
    assert.equal(uploaded.size, image.length);
    const doc = await upload(service, Buffer.from('%PDF-1.4 hello'), 'application/pdf', 'Rechnung März.pdf');
    const group = '120363000000000001@g.us';
    // A reply quotes a message the add-on has seen: one a group member wrote.
    await service.json('POST', '/v1/simulator/incoming', { from: '+4917612345678', chat: group, id: 'QUOTED1', text: 'what do we need?' });
    const cases: Array<[Record<string, unknown>, Record<string, unknown>]> = [
      [{ type: 'image', media_id: uploaded.media_id, caption: 'Front door' }, { caption: 'Front door', mimetype: 'image/jpeg', sha256: createHash('sha256').update(image).digest('hex') }],
      [{ type: 'document', media_id: doc.media_id }, { filename: 'Rechnung März.pdf', mimetype: 'application/pdf' }],
      [{ type: 'audio', media_id: uploaded.media_id, voice: true }, { voice: true }],
      [{ type: 'location', latitude: 52.52, longitude: 13.405, name: 'Home', address: 'Street 1' }, { latitude: 52.52, longitude: 13.405, name: 'Home', address: 'Street 1' }],
      [{ type: 'contact', name: 'Plumber', phone: '+4915112345678' }, { name: 'Plumber', phone: '+4915112345678' }],
      [{ type: 'poll', question: 'Dinner?', options: ['Pizza', 'Pasta'], multiple: true }, { question: 'Dinner?', options: ['Pizza', 'Pasta'], multiple: true }],
      [{ type: 'reaction', message_id: 'ABCDEF', emoji: '👍' }, { message_id: 'ABCDEF', emoji: '👍' }],
      [{ type: 'text', text: 'see above', reply_to: 'QUOTED1', mentions: ['+4917612345678'] }, { reply_to: 'QUOTED1', mentions: ['4917612345678@s.whatsapp.net'] }],
    ];
    for (const [body, expected] of cases) {
      const sent = await service.json<{ id: string }>('POST', '/v1/messages', { to: group, ...body });
      const entry = await delivered(service, sent.id);
      assert.equal(entry.to, group);
      assert.equal(entry.type, body.type);
      for (const [field, value] of Object.entries(expected)) assert.deepEqual(entry[field], value, `${String(body.type)}.${field}`);
    }
  });

  it('journals sent → delivered receipts for what it sends', async () => {
    const { last_seq: before } = await service.json<{ last_seq: number }>('GET', '/v1/events');
    const sent = await service.json<{ id: string }>('POST', '/v1/messages', { to: '+4917612345678', type: 'text', text: 'receipt please' });
    const statuses = await service.waitFor('delivered receipt', async () => {
      const page = await service.json<{ events: Array<{ type: string; data: { id: string; status: string } }> }>('GET', `/v1/events?after=${before}`);
      const mine = page.events.filter((e) => e.type === 'message_status' && e.data.id === sent.id).map((e) => e.data.status);
      return mine.includes('delivered') ? mine : null;
    });
    assert.deepEqual(statuses, ['sent', 'delivered']);
  });

  it('edits, deletes, marks read, shows presence, lists groups and checks numbers', async () => {
    const sent = await service.json<{ id: string; to: string }>('POST', '/v1/messages', { to: '+4917612345678', type: 'text', text: 'tpyo' });
    await service.json('PATCH', `/v1/messages/${sent.id}`, { chat: '+4917612345678', text: 'typo' });
    await service.json('PATCH', `/v1/messages/${sent.id}`, { chat: '+4917612345678', message: 'typo, again' });
    const both = await errorOf(await service.request('PATCH', `/v1/messages/${sent.id}`, { chat: '+4917612345678', text: 'a', message: 'b' }));
    assert.deepEqual([both.status, both.code], [400, 'invalid_request']);
    await service.json('POST', '/v1/chats/+4917612345678/presence', { presence: 'paused' });
    const del = await service.request('DELETE', `/v1/messages/${sent.id}?chat=4917612345678@s.whatsapp.net`);
    assert.equal(del.status, 200);
    await service.json('POST', '/v1/chats/4917612345678@s.whatsapp.net/read', { message_ids: ['IN1', 'IN2'] });
    await service.json('POST', '/v1/chats/+4917612345678/presence', { state: 'composing' });
    const expectations: Array<[string, (e: OutboxEntry) => boolean]> = [
      ['the first edit', (e) => e.type === 'edit' && e.message_id === sent.id && e.text === 'typo'],
      ['the second edit', (e) => e.type === 'edit' && e.message_id === sent.id && e.text === 'typo, again'],
      ['presence paused', (e) => e.type === 'presence' && e.state === 'paused'],
      ['the delete', (e) => e.type === 'delete' && e.message_id === sent.id],
      ['the read receipt', (e) => e.type === 'read' && JSON.stringify(e.message_ids) === '["IN1","IN2"]'],
      ['presence composing', (e) => e.type === 'presence' && e.state === 'composing' && e.to === '4917612345678@s.whatsapp.net'],
    ];
    for (const [what, match] of expectations) await waitForOutbox(service, match, what);

    const missing = await errorOf(await service.request('PATCH', '/v1/messages/NOPE123', { chat: '+4917612345678', text: 'x' }));
    assert.deepEqual([missing.status, missing.code], [404, 'message_not_found']);

    const groups = await service.json<{ groups: Array<{ jid: string; subject: string; participants: number }> }>('GET', '/v1/groups');
    assert.ok(groups.groups.some((g) => g.subject === 'Family' && g.participants === 4));
    const known = await service.json('GET', '/v1/contacts/check?phone=%2B49%20176%2012345678');
    assert.deepEqual(known, { phone: '+4917612345678', exists: true, jid: '4917612345678@s.whatsapp.net' });
    const unknown = await service.json('GET', '/v1/contacts/check?phone=4915550000000');
    assert.deepEqual(unknown, { phone: '+4915550000000', exists: false, jid: null });
  });

  it('refuses numbers that are not on WhatsApp with not_on_whatsapp, and sends nothing', async () => {
    const error = await errorOf(await service.request('POST', '/v1/messages', { to: '+4915550000000', type: 'text', text: 'hello?' }));
    assert.deepEqual([error.status, error.code], [404, 'not_on_whatsapp']);
    assert.match(error.message, /\+4915550000000/);
    const { entries } = await outboxBarrier(service);
    assert.equal(entries.some((e) => e.text === 'hello?' || e.to.startsWith('4915550000000')), false);
  });

  it('gives each bad input a clear 400 and sends nothing', async () => {
    const before = sentMessages((await outboxBarrier(service)).entries).length;
    const bad: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ to: '+4917612345678', type: 'text' }, 'invalid_request', /"text" is required/],
      [{ to: '+4917612345678', type: 'text', text: '' }, 'invalid_request', /must not be empty/],
      [{ to: '017612345678', type: 'text', text: 'x' }, 'invalid_phone_number', /country code/],
      [{ to: 'hello', type: 'text', text: 'x' }, 'invalid_phone_number', /not a phone number/],
      [{ to: 'x@g.us!', type: 'text', text: 'x' }, 'invalid_recipient', /jid/],
      [{ to: '+4917612345678', type: 'fax' }, 'invalid_request', /"type" must be one of/],
      [{ to: '+4917612345678', type: 'text', text: 'x', caption: 'y' }, 'invalid_request', /caption/],
      [{ to: '+4917612345678', type: 'poll', question: 'Q', options: ['only one'] }, 'invalid_request', /2 to 12/],
      [{ to: '+4917612345678', type: 'location', latitude: 91, longitude: 0 }, 'invalid_request', /latitude/],
      [{ to: '+4917612345678', type: 'image', media_id: 'u_doesnotexistatall0000' }, 'media_not_found', /Upload it first/],
    ];
    for (const [body, code, message] of bad) {
      const error = await errorOf(await service.request('POST', '/v1/messages', body));
      assert.equal(error.code, code, JSON.stringify(body));
      assert.match(error.message, message);
    }
    const after = await outboxBarrier(service);
    assert.deepEqual(sentMessages(after.entries).slice(before).map((e) => e.id), [after.id], 'nothing but the barrier was sent');
  });

  it('answers an Idempotency-Key retry with the first result, also while the first is in flight', async () => {
    const body = { to: '+4917612345678', type: 'text', text: 'only once' };
    const headers = { 'idempotency-key': 'door-opened-2026-11-21T10:00' };
    const responses = await Promise.all(Array.from({ length: 5 }, () => service.request('POST', '/v1/messages', body, headers)));
    const ids = await Promise.all(responses.map(async (r) => ((await r.json()) as { id: string }).id));
    assert.equal(new Set(ids).size, 1);
    const again = (await (await service.request('POST', '/v1/messages', body, headers)).json()) as { id: string };
    assert.equal(again.id, ids[0]);
    await waitForOutbox(service, (e) => e.id === ids[0], 'the one send');
    const { entries } = await outboxBarrier(service);
    assert.equal(entries.filter((e) => e.text === 'only once').length, 1);
    const reused = await errorOf(await service.request('POST', '/v1/messages', { ...body, text: 'other' }, headers));
    assert.deepEqual([reused.status, reused.code], [422, 'idempotency_key_reused']);
  });

  it('serves uploaded media back, and downloads received media on demand', async () => {
    const bytes = Buffer.from([0, 1, 2, 3, 254, 255]);
    const uploaded = await upload(service, bytes, 'application/octet-stream', 'raw.bin');
    const response = await service.request('GET', `/v1/media/${uploaded.media_id}`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/octet-stream');
    assert.match(response.headers.get('content-disposition') ?? '', /raw\.bin/);
    assert.deepEqual(Buffer.from(await response.arrayBuffer()), bytes);

    const { id } = await service.json<{ id: string }>('POST', '/v1/simulator/incoming', {
      from: '+4917612345678',
      kind: 'image',
      caption: 'look',
      media: { mimetype: 'image/png', size: 5000 },
    });
    const received = await service.request('GET', `/v1/media/r_${id}`);
    assert.equal(received.status, 200);
    assert.equal(received.headers.get('content-type'), 'image/png');
    assert.equal((await received.arrayBuffer()).byteLength, 5000);
    const missing = await errorOf(await service.request('GET', '/v1/media/r_UNKNOWN'));
    assert.deepEqual([missing.status, missing.code], [404, 'media_not_found']);
  });
});

describe('sending limits and connection problems', () => {
  it('refuses media over the upload limit with 413', async () => {
    const service = await linkedService({ ...UNPACED, WA_MEDIA_UPLOAD_MAX_MB: '1' });
    try {
      const response = await fetch(`${service.url}/v1/media`, {
        method: 'POST',
        headers: service.headers({ 'content-type': 'video/mp4' }),
        body: Buffer.alloc(1024 * 1024 + 1),
      });
      const error = await errorOf(response);
      assert.deepEqual([error.status, error.code], [413, 'payload_too_large']);
      assert.match(error.message, /1 MB/);
    } finally {
      await service.dispose();
    }
  });

  it('paces sends: burst, then the configured rate with jitter', async () => {
    // 60/min = one a second after a burst of 2, plus 100±30 ms jitter between sends.
    const service = await linkedService({
      WA_SEND_RATE_PER_MINUTE: '60',
      WA_SEND_BURST: '2',
      WA_SEND_JITTER_MEAN_MS: '100',
      WA_SEND_JITTER_SIGMA_MS: '30',
    });
    try {
      await Promise.all(Array.from({ length: 6 }, (_, i) => service.json('POST', '/v1/messages', { to: '+4917612345678', type: 'text', text: `paced ${i}` })));
      await waitForOutbox(service, (e) => e.text === 'paced 5', 'the last paced send');
      const sent = (await outbox(service)).filter((e) => String(e.text).startsWith('paced '));
      assert.deepEqual(sent.map((e) => e.text), Array.from({ length: 6 }, (_, i) => `paced ${i}`), 'order kept');
      const times = sent.map((e) => Date.parse(e.sent_at));
      const gaps = times.slice(1).map((t, i) => t - times[i]!);
      assert.ok(gaps[0]! < 350, `burst gap ${gaps[0]}`);
      for (const gap of gaps.slice(2)) assert.ok(gap >= 900 && gap < 1_400, `paced gap ${gap}`);
      assert.ok(times.at(-1)! - times[0]! >= 3_500, 'six sends with a burst of two take at least four intervals');
    } finally {
      await service.dispose();
    }
  });

  it('refuses sends with 429 when the queue is full', async () => {
    const service = await linkedService({ WA_SEND_RATE_PER_MINUTE: '1', WA_SEND_BURST: '1', WA_SEND_QUEUE_LIMIT: '2', WA_SEND_JITTER_MEAN_MS: '0', WA_SEND_JITTER_SIGMA_MS: '0' });
    try {
      const first = await service.json<{ id: string }>('POST', '/v1/messages', { to: '+4917612345678', type: 'text', text: 'first' });
      // Both wait for their turn (one a minute) and fill the queue of two.
      // They are still waiting when the service stops at the end of the test: their fetches fail then.
      const pending = Array.from({ length: 2 }, () =>
        service.request('POST', '/v1/messages', { to: '+4917612345678', type: 'text', text: 'queued' }).catch(() => null),
      );
      await new Promise((r) => setTimeout(r, 200));
      const error = await errorOf(await service.request('POST', '/v1/messages', { to: '+4917612345678', type: 'text', text: 'one too many' }));
      assert.deepEqual([error.status, error.code], [429, 'queue_full']);
      assert.match(error.message, /paced/);
      await waitForOutbox(service, (e) => e.id === first.id, 'the first send');
      assert.equal((await outbox(service)).filter((e) => e.text === 'queued').length, 0, 'the queued ones are still waiting');
      void pending;
    } finally {
      await service.dispose();
    }
  });

  it('fails at once with 503 not_connected when nothing is linked', async () => {
    const service = await startService({ env: UNPACED });
    try {
      await service.waitForState('pairing');
      const error = await errorOf(await service.request('POST', '/v1/messages', { to: '+4917612345678', type: 'text', text: 'x' }));
      assert.deepEqual([error.status, error.code], [503, 'not_connected']);
      assert.match(error.message, /Link/);
    } finally {
      await service.dispose();
    }
  });

  it('waits while reconnecting and sends once WhatsApp is back', async () => {
    const service = await linkedService({ ...UNPACED, WA_SEND_WAIT_RECONNECTING_SECONDS: '1' });
    try {
      await service.json('POST', '/v1/simulator/disconnect', { reason: 'restartRequired' });
      const sent = await service.json<{ id: string }>('POST', '/v1/messages', { to: '+4917612345678', type: 'text', text: 'after reconnect' });
      assert.equal((await delivered(service, sent.id)).text, 'after reconnect');
    } finally {
      await service.dispose();
    }
  });
});
