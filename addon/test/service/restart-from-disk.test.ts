/**
 * A power cut: the service is killed (SIGKILL, nothing flushed on the way out) and started again on
 * the same data directory. It must come back linked without a QR code, with its Signal sessions
 * intact (a contact's next message continues the session: `msg`, not a fresh `pkmsg`), and able to
 * send.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { describe, it } from 'node:test';

import { startService, waitForOutbox, type RunningService } from '../helpers/service.js';

const CONTACT = '+4917612345678';

/** The Signal message types the fake network put on the wire for message `id` (from its debug log). */
async function encTypesOnWire(service: RunningService, id: string): Promise<string[]> {
  return service.waitFor(`the wire log of message ${id}`, async () => {
    for (const line of service.output.split('\n')) {
      if (!line.includes('a contact message is on the wire')) continue;
      const entry = JSON.parse(line) as { id?: string; enc?: string[] };
      if (entry.id === id) return entry.enc ?? null;
    }
    return null;
  });
}

interface SessionBody {
  state: string;
  qr: unknown;
  me: { phone: string } | null;
}

describe('restart from disk after a SIGKILL', () => {
  it('comes back linked without a QR code, continues the Signal session (msg, not pkmsg) and sends', { timeout: 90_000 }, async () => {
    let service = await startService();
    try {
      await service.waitForState('pairing');
      await service.json('POST', '/v1/simulator/scan', {});
      await service.waitForState('connected');

      // The contact's first message starts the Signal session with this device.
      const first = await service.json<{ id: string }>('POST', '/v1/simulator/incoming', { from: CONTACT, text: 'first' });
      assert.deepEqual(await encTypesOnWire(service, first.id), ['pkmsg']);
      const reply = await service.json<{ id: string }>('POST', '/v1/messages', { to: CONTACT, type: 'text', text: 'before the power cut' });
      await waitForOutbox(service, (entry) => entry.id === reply.id, 'the reply before the power cut');

      await service.kill();
      service = await startService({ dataDir: service.dataDir, apiKey: service.apiKey });

      // Never pairing on the way back: watch every state until connected.
      const seen = new Set<string>();
      const connected = await service.waitFor('connected after the restart', async () => {
        const session = await service.json<SessionBody>('GET', '/v1/session');
        seen.add(session.state);
        return session.state === 'connected' ? session : null;
      }, 20_000);
      assert.equal(seen.has('pairing'), false, `states seen: ${[...seen].join(', ')}`);
      assert.equal(connected.qr, null);
      assert.equal(connected.me?.phone, '+15550000001');
      const journal = await service.json<{ events: Array<{ type: string; data: { state?: string } }> }>('GET', '/v1/events?after=0&limit=1000');
      const states = journal.events.filter((event) => event.type === 'connection').map((event) => event.data.state);
      assert.equal(states.lastIndexOf('pairing'), states.indexOf('pairing'), 'pairing was journalled only for the first link');

      const second = await service.json<{ id: string }>('POST', '/v1/simulator/incoming', { from: CONTACT, text: 'after the restart' });
      assert.deepEqual(await encTypesOnWire(service, second.id), ['msg'], 'the session survived: no new pre-key message');
      const page = await service.json<{ events: Array<{ type: string; data: { id?: string; text?: string; sender_phone?: string } }> }>(
        'GET',
        '/v1/events?after=0&limit=1000',
      );
      const message = page.events.find((event) => event.type === 'message' && event.data.id === second.id);
      assert.equal(message?.data.text, 'after the restart', 'decrypted and journalled');
      assert.equal(message?.data.sender_phone, CONTACT);

      const sent = await service.json<{ id: string }>('POST', '/v1/messages', { to: CONTACT, type: 'text', text: 'after the power cut' });
      const entry = await waitForOutbox(service, (candidate) => candidate.id === sent.id, 'the send after the restart');
      assert.equal(entry.text, 'after the power cut', 'the contact decrypted it');
    } finally {
      await service.dispose();
      rmSync(service.dataDir, { recursive: true, force: true });
    }
  });
});
