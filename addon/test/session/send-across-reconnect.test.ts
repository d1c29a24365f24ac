/**
 * WhatsApp can end the stream just as a message goes out: the session still says `connected`, but
 * the socket is already closing. The send must then wait for the next connection and go out there,
 * not fail with an internal error.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { pino } from 'pino';

import {
  EngineRequestError,
  type ConnectionHandlers,
  type Engine,
  type EngineConnection,
  type OutgoingMessage,
  type SentMessage,
} from '../../src/engine/types.js';
import { Session, SessionError } from '../../src/session/session.js';
import { stubConnection } from '../helpers/stub-connection.js';

const ACCOUNT = { jid: '15550000001@s.whatsapp.net', phone: '+15550000001', name: null };
const MESSAGE: OutgoingMessage = { to: '4917612345678@s.whatsapp.net', content: { type: 'text', text: 'hi' }, replyTo: null, mentions: [] };

/** Each connection opens at once; the first one's socket is closing when the first send arrives. */
class DroppingEngine implements Engine {
  readonly kind = 'baileys' as const;
  readonly sentOn: number[] = [];
  private connections = 0;

  constructor(private readonly reconnects: boolean) {}

  isRegistered(): boolean {
    return true;
  }

  connect(handlers: ConnectionHandlers): EngineConnection {
    const number = ++this.connections;
    setImmediate(() => handlers.onOpen(ACCOUNT));
    return stubConnection('not used', {
      send: async (): Promise<SentMessage> => {
        if (number === 1) {
          // WhatsApp ended the stream (515) as the send went out: nothing was written.
          setImmediate(() => handlers.onClose({ reason: this.reconnects ? 'restartRequired' : 'connectionReplaced', statusCode: 515, message: 'restart required' }));
          throw new EngineRequestError(503, 'not_connected', 'WhatsApp is not connected.');
        }
        this.sentOn.push(number);
        return { id: `ID${number}`, to: MESSAGE.to, timestamp: new Date().toISOString() };
      },
    });
  }

  async clearCredentials(): Promise<void> {}
}

async function connectedSession(engine: Engine): Promise<Session> {
  const session = new Session({ engine, append: async () => undefined, logger: pino({ level: 'silent' }) });
  session.start();
  while (session.state !== 'connected') await new Promise((resolve) => setImmediate(resolve));
  return session;
}

describe('a send when the connection drops under it', () => {
  it('waits for the next connection and is sent there, once', async () => {
    const engine = new DroppingEngine(true);
    const session = await connectedSession(engine);
    try {
      const sent = await (await session.messenger(5_000)).send(MESSAGE);
      assert.equal(sent.id, 'ID2');
      assert.deepEqual(engine.sentOn, [2], 'sent once, on the new connection');
    } finally {
      await session.stop();
    }
  });

  it('fails with not_connected at once when the connection will not come back (replaced)', async () => {
    const engine = new DroppingEngine(false);
    const session = await connectedSession(engine);
    try {
      const started = Date.now();
      await assert.rejects((await session.messenger(5_000)).send(MESSAGE), (err: unknown) => err instanceof SessionError && err.code === 'not_connected' && err.status === 503);
      assert.ok(Date.now() - started < 1_000, 'no pointless wait for a reconnect that will not happen');
      assert.deepEqual(engine.sentOn, []);
    } finally {
      await session.stop();
    }
  });
});
