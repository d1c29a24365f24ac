/**
 * When WhatsApp refuses the client version the session must neither hammer WhatsApp nor give up:
 * it waits hours, keeps the link, and tells the user to update the add-on.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';

import { pino } from 'pino';

import { CLIENT_OUTDATED_RETRY_MS, reasonFromClose } from '../../src/engine/disconnect.js';
import type { ConnectionHandlers, Engine, EngineConnection } from '../../src/engine/types.js';
import type { JournalInput } from '../../src/journal/types.js';
import { Session } from '../../src/session/session.js';
import { stubConnection } from '../helpers/stub-connection.js';

/** An engine whose connections WhatsApp refuses as it does an outdated client. */
class RefusingEngine implements Engine {
  readonly kind = 'baileys' as const;
  connects = 0;
  cleared = 0;

  isRegistered(): boolean {
    return true;
  }

  connect(handlers: ConnectionHandlers): EngineConnection {
    this.connects += 1;
    setImmediate(() =>
      handlers.onClose({ reason: reasonFromClose(405, 'Connection Failure'), statusCode: 405, message: 'Connection Failure' }),
    );
    return stubConnection('closed');
  }

  async clearCredentials(): Promise<void> {
    this.cleared += 1;
  }
}

const flushImmediates = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('session: WhatsApp refuses the client version (405)', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  it('reports clientOutdated with an update hint, keeps the link and retries only after hours', async () => {
    const engine = new RefusingEngine();
    const journal: JournalInput[] = [];
    const session = new Session({
      engine,
      append: async (event) => void journal.push(event),
      logger: pino({ level: 'silent' }),
      random: () => 0.5,
    });
    session.start();
    await flushImmediates();
    await flushImmediates();

    const view = session.snapshot();
    assert.equal(view.state, 'reconnecting');
    assert.equal(view.last_disconnect?.reason, 'clientOutdated');
    assert.match(view.last_disconnect?.message ?? '', /update the add-on/i);
    assert.equal(engine.cleared, 0, 'the link to the phone is kept');
    assert.deepEqual(journal.at(-1), { type: 'connection', data: { state: 'reconnecting', reason: 'clientOutdated' } });

    mock.timers.tick(CLIENT_OUTDATED_RETRY_MS / 2);
    assert.equal(engine.connects, 1, 'no retry within the first hours');
    mock.timers.tick(CLIENT_OUTDATED_RETRY_MS);
    assert.equal(engine.connects, 2, 'retried once the long pause is over');
    await session.stop();
  });
});
