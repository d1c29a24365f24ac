import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { outboxBarrier, startService, type RunningService } from '../helpers/service.js';

const ALICE = '+4917612345678';

describe('deleting a message for everyone through the real API', () => {
  let service: RunningService;
  before(async () => {
    service = await startService({ env: { WA_SEND_RATE_PER_MINUTE: '0' } });
    await service.waitForState('pairing');
    await service.json('POST', '/v1/simulator/scan', {});
    await service.waitForState('connected');
  });
  after(async () => service.dispose());

  it('refuses an id the account never sent or saw with message_not_found, and sends no revoke', async () => {
    const response = await service.request('DELETE', `/v1/messages/3EB0NEVERSENT?chat=${encodeURIComponent(ALICE)}`);
    const body = (await response.json()) as { error: { code: string; message: string } };
    assert.deepEqual([response.status, body.error.code], [404, 'message_not_found']);
    assert.match(body.error.message, /3EB0NEVERSENT/);

    // WhatsApp would take a revoke for any id; the contact must not get one for a message that never existed.
    const { entries } = await outboxBarrier(service);
    assert.equal(entries.some((entry) => entry.type === 'delete'), false);
  });

  it('still deletes a message it sent', async () => {
    const sent = await service.json<{ id: string }>('POST', '/v1/messages', { to: ALICE, type: 'text', text: 'oops' });
    const response = await service.request('DELETE', `/v1/messages/${sent.id}?chat=${encodeURIComponent(ALICE)}`);
    assert.equal(response.status, 200, await response.text());
    const { entries } = await outboxBarrier(service);
    assert.deepEqual(
      entries.filter((entry) => entry.type === 'delete').map((entry) => entry.message_id),
      [sent.id],
    );
  });
});
