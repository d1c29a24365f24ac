/**
 * Regression tests for what the chaos and fuzz runs (tests/reliability) found.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { DeliverSpec } from '../../src/fakewa/contacts.js';
import { Journal } from '../../src/journal/journal.js';
import type { MessageData } from '../../src/journal/types.js';
import { statusEvent, withTempDir } from '../journal/helpers.js';
import { rawRequest } from '../helpers/http.js';
import { messageEvent } from '../helpers/messages.js';
import { startRealSession } from '../helpers/real-session.js';
import { startService, type RunningService } from '../helpers/service.js';

async function messageIds(journal: Journal): Promise<string[]> {
  return (await journal.read(0, 1000)).events
    .filter((event) => event.type === 'message')
    .map((event) => (event.data as MessageData).id);
}

describe('a message WhatsApp delivers again is journalled once', () => {
  it('answers a redelivery with the first event, also while the first is still being written', async () => {
    await withTempDir(async (dir) => {
      const journal = await Journal.open(dir);
      const [first, concurrent] = await Promise.all([journal.append(messageEvent('A')), journal.append(messageEvent('A'))]);
      const later = await journal.append(messageEvent('A'));
      assert.equal(concurrent.seq, first.seq);
      assert.equal(later.seq, first.seq);
      assert.deepEqual(await messageIds(journal), ['A']);
      await journal.close();
    });
  });

  it('remembers journalled messages across a restart', async () => {
    await withTempDir(async (dir) => {
      const journal = await Journal.open(dir);
      const first = await journal.append(messageEvent('A'));
      await journal.close();
      const reopened = await Journal.open(dir);
      assert.equal((await reopened.append(messageEvent('A'))).seq, first.seq);
      assert.equal((await reopened.append(messageEvent('B'))).seq, first.seq + 1);
      assert.deepEqual(await messageIds(reopened), ['A', 'B']);
      await reopened.close();
    });
  });

  it('keeps different messages apart: another id, chat or sender, and repeated statuses', async () => {
    await withTempDir(async (dir) => {
      const journal = await Journal.open(dir);
      await journal.append(messageEvent('A'));
      await journal.append(messageEvent('B'));
      await journal.append(messageEvent('A', { chat: '120363000000000001@g.us', chat_type: 'group' }));
      await journal.append(messageEvent('A', { chat: '120363000000000001@g.us', chat_type: 'group', sender: '4915100000000@s.whatsapp.net' }));
      await journal.append(statusEvent('A'));
      await journal.append(statusEvent('A'));
      assert.equal((await journal.read(0, 1000)).events.length, 6);
      await journal.close();
    });
  });

  it('forgets a message once it is trimmed, so the memory it needs stays bounded', async () => {
    await withTempDir(async (dir) => {
      const journal = await Journal.open(dir, { maxEvents: 100 });
      const first = await journal.append(messageEvent('A'));
      for (let i = 0; i < 150; i += 1) await journal.append(statusEvent(`s${i}`));
      const again = await journal.append(messageEvent('A'));
      assert.ok(again.seq > first.seq, 'a trimmed message is journalled as new');
      await journal.close();
    });
  });
});

describe('the simulator acknowledges a message only once it is journalled', () => {
  it('does not answer before the session has the event on disk', async () => {
    let releaseDisk: () => void = () => undefined;
    const diskWritten = new Promise<void>((resolve) => (releaseDisk = resolve));
    const h = await startRealSession({
      // A slow disk: the message event waits until the test lets it through.
      beforeAppend: async (event) => {
        if (event.type === 'message') await diskWritten;
      },
    });
    try {
      await h.pair();
      let answered = false;
      const delivery = h.simulator
        .incoming({ ...minimalIncoming(), id: 'SLOWDISK' })
        .then((id) => ((answered = true), id));
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(answered, false, 'answered before the event was journalled');
      releaseDisk();
      assert.equal(await delivery, 'SLOWDISK');
      assert.deepEqual(await messageIds(h.journal), ['SLOWDISK']);
    } finally {
      releaseDisk();
      await h.dispose();
    }
  });

  it('keeps every acknowledged message when the service is SIGKILLed in the middle of a stream', { timeout: 60_000 }, async () => {
    let service = await startService();
    const acknowledged: string[] = [];
    try {
      await service.waitForState('pairing');
      await service.json('POST', '/v1/simulator/scan', {});
      for (let round = 0; round < 3; round += 1) {
        await service.waitForState('connected');
        const current = service;
        let stopped = false;
        const deliverUntilStopped = async (lane: number): Promise<void> => {
          for (let n = 0; !stopped; n += 1) {
            const id = `R${round}L${lane}N${n}`;
            try {
              const response = await current.request('POST', '/v1/simulator/incoming', { from: '+4917612345678', id, text: id });
              if (response.status === 200) acknowledged.push(id);
            } catch {
              return; // the service died mid-request: this one may or may not be journalled
            }
          }
        };
        const lanes = Array.from({ length: 32 }, (_, lane) => deliverUntilStopped(lane));
        // The kill lands mid-stream: once messages are being acknowledged, at a random moment.
        await current.waitFor(`round ${round}: messages acknowledged`, async () => acknowledged.length > 0, 20_000);
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 200));
        await current.kill();
        stopped = true;
        await Promise.all(lanes);
        service = await startService({ dataDir: current.dataDir, apiKey: current.apiKey });
        const journalled = await journalledMessageIds(service);
        assert.deepEqual(acknowledged.filter((id) => !journalled.has(id)), [], `round ${round}`);
        assert.ok(acknowledged.length > 0);
        acknowledged.length = 0;
      }
    } finally {
      await service.dispose();
      rmSync(service.dataDir, { recursive: true, force: true });
    }
  });
});

describe('a reader ahead of the journal', () => {
  it('waits as the contract says, then learns from last_seq that the journal started over', async () => {
    const service = await startService();
    try {
      await service.waitForState('pairing');
      const started = performance.now();
      const page = await service.json<{ events: unknown[]; last_seq: number }>('GET', '/v1/events?after=1000000&wait=1');
      assert.ok(performance.now() - started >= 900, 'nothing newer than after: the request waits');
      assert.deepEqual(page.events, []);
      assert.ok(page.last_seq < 1_000_000, 'last_seq below after tells the reader to start over');
    } finally {
      await service.dispose();
    }
  });
});

async function journalledMessageIds(service: RunningService): Promise<Set<string>> {
  const ids = new Set<string>();
  for (let after = 0; ; ) {
    const page = await service.json<{ events: Array<{ seq: number; type: string; data: { id: string } }> }>('GET', `/v1/events?after=${after}&limit=1000`);
    if (page.events.length === 0) return ids;
    for (const event of page.events) if (event.type === 'message') ids.add(event.data.id);
    after = page.events.at(-1)!.seq;
  }
}

function minimalIncoming(): DeliverSpec {
  return {
    from: '4917612345678@s.whatsapp.net',
    kind: 'text',
    chat: null,
    id: null,
    name: null,
    fromMe: false,
    timestamp: null,
    text: 'hello',
    caption: null,
    media: null,
    location: null,
    contact: null,
    poll: null,
    reaction: null,
    poll_vote: null,
    target_id: null,
    quoted_id: null,
    mentions: [],
  };
}

describe('a known path asked with a method it does not have', () => {
  it('answers 405 with the methods it does have, and unknown paths stay 404', async () => {
    const service = await startService();
    try {
      for (const [method, path, allow] of [
        ['TRACE', '/v1/simulator/outbox', 'GET, HEAD'],
        ['PUT', '/v1/messages', 'POST'],
        ['GET', '/v1/messages/ABC', 'PATCH, DELETE'],
        ['DELETE', '/v1/media/u_0123456789abcdef0123', 'GET, HEAD'],
        ['POST', '/health', 'GET, HEAD'],
      ] as const) {
        // node:http, because fetch refuses to send TRACE.
        const response = await rawRequest(`${service.url}${path}`, { method, headers: service.headers() });
        assert.equal(response.status, 405, `${method} ${path}`);
        assert.equal(response.headers.allow, allow);
        const body = JSON.parse(response.body) as { error: { code: string; message: string } };
        assert.equal(body.error.code, 'method_not_allowed');
        assert.match(body.error.message, new RegExp(allow));
      }
      assert.equal((await service.request('PUT', '/v1/nothing-here')).status, 404);
      assert.equal((await fetch(`${service.url}/v1/messages`, { method: 'PUT' })).status, 401, 'the key is checked first');
    } finally {
      await service.dispose();
    }
  });
});

describe('a pairing code asked for while the linked session reconnects', () => {
  it('is refused at once as already linked, instead of after a 15 s wait for a pairing that never comes', { timeout: 60_000 }, async () => {
    const service = await startService();
    try {
      await service.waitForState('pairing');
      await service.json('POST', '/v1/simulator/scan', {});
      await service.waitForState('connected');
      const ask = async (): Promise<{ status: number; ms: number; code: string }> => {
        const started = performance.now();
        const response = await service.request('POST', '/v1/session/pairing-code', { phone_number: '+15550000001' });
        const body = (await response.json()) as { error: { code: string } };
        return { status: response.status, ms: performance.now() - started, code: body.error.code };
      };
      // Right after a restart the session is `starting` again, then `connected`.
      await service.json('POST', '/v1/session/restart', {});
      const whileStarting = await ask();
      // connectionReplaced stops without reconnecting but keeps the credentials.
      await service.waitForState('connected');
      await service.json('POST', '/v1/simulator/disconnect', { reason: 'connectionReplaced' });
      await service.waitForState('logged_out');
      const whileStopped = await ask();
      for (const answer of [whileStarting, whileStopped]) {
        assert.equal(answer.status, 409);
        assert.equal(answer.code, 'already_linked');
        assert.ok(answer.ms < 2_000, `took ${Math.round(answer.ms)} ms`);
      }
    } finally {
      await service.dispose();
    }
  });
});
