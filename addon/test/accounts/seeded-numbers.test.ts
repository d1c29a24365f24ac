/**
 * Testers link the simulator's phones with the numbers the contract suggests (+15550000001, …2,
 * …3), which are also numbers of the network's seeded contacts. Linking with such a number must
 * work like any other: the account sends and receives.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';

import type { OutboxEntry } from '../../src/fakewa/outbox.js';
import { startService, type RunningService } from '../helpers/service.js';

const ALICE = '+4917612345678';
const PHONES: Record<string, string> = { default: '+15550000001', second: '+15550000002', third: '+15550000003' };

describe('accounts linked with the numbers of seeded contacts', () => {
  let service: RunningService;
  after(async () => service?.dispose());

  it('send and receive like any other account', async () => {
    service = await startService({ env: { WA_SEND_RATE_PER_MINUTE: '0' } });
    for (const id of ['second', 'third']) await service.json('POST', '/v1/accounts', { id });
    for (const [id, phone] of Object.entries(PHONES)) {
      await service.waitFor(`${id} pairing`, async () => (await service.json<{ state: string }>('GET', `/v1/accounts/${id}/session`)).state === 'pairing', 20_000);
      const { me } = await service.json<{ me: { phone: string } }>('POST', `/v1/accounts/${id}/simulator/scan`, { phone });
      assert.equal(me.phone, phone);
    }
    for (const id of Object.keys(PHONES)) {
      const sent = await service.request('POST', `/v1/accounts/${id}/messages`, { to: ALICE, type: 'text', text: `from ${id}` });
      assert.equal(sent.status, 200, `${id}: ${await sent.clone().text()}`);
      const { id: messageId } = (await sent.json()) as { id: string };
      await service.waitFor(`${id}'s message at Alice`, async () =>
        (await service.json<{ messages: OutboxEntry[] }>('GET', `/v1/accounts/${id}/simulator/outbox`)).messages.find((entry) => entry.id === messageId),
      );
      const { id: incoming } = await service.json<{ id: string }>('POST', `/v1/accounts/${id}/simulator/incoming`, { from: ALICE, text: `to ${id}` });
      const page = await service.json<{ events: Array<{ type: string; data: { id?: string } }> }>('GET', `/v1/accounts/${id}/events?after=0&limit=1000`);
      assert.ok(page.events.some((event) => event.type === 'message' && event.data.id === incoming));
    }
  });
});
