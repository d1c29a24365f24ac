/**
 * Each account paces its own sends: when one number's send queue is full (an automation gone wild),
 * the household's other numbers still send at once.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';

import { startService, type RunningService } from '../helpers/service.js';

const ALICE = '+4917612345678';
const PHONES: Record<string, string> = { default: '+15551110001', office: '+15551110002' };

describe('one account with a full send queue', () => {
  let service: RunningService;
  const stuck: Array<Promise<unknown>> = [];

  after(async () => {
    await service?.dispose();
    await Promise.allSettled(stuck);
  });

  it('leaves the other account sending at once', async () => {
    service = await startService({
      env: {
        // One send a minute, one at once, one more may wait: the third send in a row finds the queue full.
        WA_SEND_RATE_PER_MINUTE: '1',
        WA_SEND_BURST: '1',
        WA_SEND_QUEUE_LIMIT: '1',
        WA_SEND_JITTER_MEAN_MS: '0',
        WA_SEND_JITTER_SIGMA_MS: '0',
      },
    });
    await service.json('POST', '/v1/accounts', { id: 'office' });
    for (const id of Object.keys(PHONES)) {
      await service.waitFor(`${id} pairing`, async () => (await service.json<{ state: string }>('GET', `/v1/accounts/${id}/session`)).state === 'pairing', 20_000);
      await service.json('POST', `/v1/accounts/${id}/simulator/scan`, { phone: PHONES[id] });
    }

    const send = (id: string, text: string): Promise<Response> =>
      service.request('POST', `/v1/accounts/${id}/messages`, { to: ALICE, type: 'text', text });
    assert.equal((await send('office', 'first')).status, 200);
    // The second waits its turn, a minute away; the request stays open meanwhile.
    stuck.push(send('office', 'second').catch(() => undefined));
    const refused = await service.waitFor('office queue full', async () => {
      const response = await send('office', 'third');
      return response.status === 429 ? response : null;
    });
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'queue_full');

    const started = Date.now();
    const other = await send('default', 'meanwhile');
    assert.equal(other.status, 200, 'the other number is not held up by the full queue');
    assert.ok(Date.now() - started < 10_000, 'and does not wait for the other account’s pacing');
    const outbox = (await service.json<{ messages: Array<{ text?: string }> }>('GET', '/v1/accounts/default/simulator/outbox')).messages;
    assert.ok(outbox.some((entry) => entry.text === 'meanwhile'));
  });
});
