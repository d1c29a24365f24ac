/**
 * Every service a test starts runs with the loopback-only preload. These tests prove the guard is
 * really there and loud: a service that tries to reach anything outside 127.0.0.0/8 (a DNS lookup
 * or a TCP connect) is stopped before a packet leaves, and the test helper reports it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { LOOPBACK_VIOLATION_EXIT_CODE } from '../fixtures/loopback-preload.js';
import { startService } from '../helpers/service.js';

describe('test services stay on the loopback interface', () => {
  it('a connect to a non-loopback address is refused, reported and ends the service', { timeout: 30_000 }, async () => {
    // 192.0.2.1 is TEST-NET-1: reserved for documentation, never routed.
    const env = { WA_WEBSOCKET_URL: 'wss://192.0.2.1/ws/chat' };
    let output: string;
    try {
      const service = await startService({ engine: 'baileys', env });
      // It answered /health before its first connect: that connect ends it.
      await service.waitFor('the service to end itself', async () => service.process.exitCode !== null || null);
      assert.equal(service.process.exitCode, LOOPBACK_VIOLATION_EXIT_CODE);
      output = service.output;
      assert.throws(() => service.assertLoopbackOnly(), /tried to leave the loopback interface/);
    } catch (err) {
      // It ended before it answered /health.
      output = (err as Error).message;
      assert.match(output, new RegExp(`service exited with ${LOOPBACK_VIOLATION_EXIT_CODE}`));
    }
    assert.match(output, /LOOPBACK-ONLY VIOLATION: tried to reach 192\.0\.2\.1/);
  });

  it('the simulator service reaches nothing outside loopback through pairing, messages, media and restart', { timeout: 60_000 }, async () => {
    const service = await startService();
    try {
      await service.waitForState('pairing');
      await service.json('POST', '/v1/simulator/scan', {});
      await service.waitForState('connected');
      await service.json('POST', '/v1/simulator/incoming', { from: '+4917612345678', kind: 'image', caption: 'x', media: { mimetype: 'image/png', size: 100 } });
      const media = await fetch(`${service.url}/v1/media`, {
        method: 'POST',
        headers: service.headers({ 'content-type': 'image/jpeg' }),
        body: Buffer.from('jpeg bytes'),
      });
      const { media_id } = (await media.json()) as { media_id: string };
      await service.json('POST', '/v1/messages', { to: '+4917612345678', type: 'image', media_id });
      await service.json('POST', '/v1/session/restart', {});
      await service.waitForState('connected');
      assert.equal(service.process.exitCode, null, 'still running');
      service.assertLoopbackOnly();
    } finally {
      await service.dispose();
    }
  });
});
