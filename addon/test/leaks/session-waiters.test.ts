/**
 * While WhatsApp reconnects, every send request that arrives waits for the connection. A burst of
 * them (Home Assistant automations firing together) must not make Node warn of a listener leak,
 * must all go out once connected, and must leave nothing attached to the session afterwards.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { pino } from 'pino';

import type { ConnectionHandlers, Engine, EngineConnection } from '../../src/engine/types.js';
import { Session } from '../../src/session/session.js';
import { stubConnection } from '../helpers/stub-connection.js';

const ACCOUNT = { jid: '15550000001@s.whatsapp.net', phone: '+15550000001', name: null };
const WAITING_REQUESTS = 40;

/** Connects only when the test says so. */
class HeldEngine implements Engine {
  readonly kind = 'baileys' as const;
  handlers: ConnectionHandlers | null = null;

  isRegistered(): boolean {
    return true;
  }

  connect(handlers: ConnectionHandlers): EngineConnection {
    this.handlers = handlers;
    return stubConnection('not used');
  }

  async clearCredentials(): Promise<void> {}
}

describe('requests waiting for the connection', () => {
  it('a burst of them raises no listener-leak warning, all proceed once connected, and none stay attached', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(`${warning.name}: ${warning.message}`);
    process.on('warning', onWarning);
    const engine = new HeldEngine();
    const session = new Session({ engine, append: async () => undefined, logger: pino({ level: 'silent' }) });
    try {
      session.start();
      const waiting = Array.from({ length: WAITING_REQUESTS }, () => session.messenger(5_000));
      engine.handlers!.onOpen(ACCOUNT);
      const messengers = await Promise.all(waiting);
      assert.equal(messengers.length, WAITING_REQUESTS);
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(warnings, []);
      assert.equal(session.listenerCount('change'), 0);
    } finally {
      process.off('warning', onWarning);
      await session.stop();
    }
  });
});
