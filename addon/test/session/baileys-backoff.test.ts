import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { openAuthStore } from '../../src/auth/auth-store.js';
import { openMessageStore } from '../../src/auth/message-store.js';
import { BaileysEngine } from '../../src/engine/baileys.js';
import { Journal } from '../../src/journal/journal.js';
import { Session } from '../../src/session/session.js';
import { refusedWsUrl, startLoopbackWsServer } from '../fixtures/loopback-ws.js';

const logger = pino({ level: 'silent' });
// Small delays so the test is quick; the shape (growth, jitter, cap) is what is under test.
const BACKOFF = { baseMs: 100, capMs: 1_600, floorMs: 50, stableAfterMs: 60_000 };

async function sessionAgainst(url: string) {
  const dir = mkdtempSync(join(tmpdir(), 'wa-baileys-backoff-'));
  const auth = await openAuthStore(join(dir, 'auth'), logger);
  const messages = await openMessageStore(join(dir, 'messages'), {}, logger);
  const journal = await Journal.open(join(dir, 'journal'), {}, logger);
  const engine = new BaileysEngine({ auth, messages, logger, waWebSocketUrl: url, connectTimeoutMs: 2_000 });
  const session = new Session({ engine, append: (e) => journal.append(e), logger, backoff: BACKOFF });
  return {
    session,
    journal,
    async dispose() {
      await session.stop();
      await journal.close();
      await auth.flush();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('reconnect backoff with the real Baileys socket', () => {
  it('a server that keeps dropping the connection: growing, jittered pauses and no storm', async () => {
    const server = await startLoopbackWsServer({ behaviour: 'close' });
    const { session, journal, dispose } = await sessionAgainst(server.url);
    try {
      session.start();
      await server.waitForAttempts(7, 20_000);
      const started = server.attempts[0]!.at;
      const gaps = server.attempts.slice(1, 7).map((a, i) => a.at - server.attempts[i]!.at);
      // Ceilings double from 100 ms; each gap is one draw below its ceiling plus connect time.
      const ceilings = [100, 200, 400, 800, 1_600, 1_600];
      gaps.forEach((gap, i) => assert.ok(gap >= BACKOFF.floorMs, `gap ${i} = ${gap} ms is below the floor`));
      gaps.forEach((gap, i) => assert.ok(gap <= ceilings[i]! + 1_000, `gap ${i} = ${gap} ms exceeds its ceiling`));
      const firstHalf = gaps.slice(0, 3).reduce((a, b) => a + b, 0);
      const secondHalf = gaps.slice(3).reduce((a, b) => a + b, 0);
      assert.ok(secondHalf > firstHalf, `pauses grow: ${gaps.join(', ')}`);
      const elapsedSeconds = (server.attempts[6]!.at - started) / 1000;
      assert.ok(6 / elapsedSeconds < 10, `no reconnect storm: ${(6 / elapsedSeconds).toFixed(1)} attempts/s`);

      assert.equal(session.state, 'reconnecting');
      const snapshot = session.snapshot();
      assert.equal(snapshot.last_disconnect?.reason, 'connectionClosed');
      const states = (await journal.read(0, 1_000)).events.filter((e) => e.type === 'connection').map((e) => (e.data as { state: string }).state);
      assert.ok(states.includes('reconnecting'));
    } finally {
      await dispose();
      await server.close();
    }
  });

  it('the pauses are jittered: two sessions against the same failure do not retry in lock-step', async () => {
    const a = await startLoopbackWsServer({ behaviour: 'close' });
    const b = await startLoopbackWsServer({ behaviour: 'close' });
    const first = await sessionAgainst(a.url);
    const second = await sessionAgainst(b.url);
    try {
      first.session.start();
      second.session.start();
      await Promise.all([a.waitForAttempts(6, 20_000), b.waitForAttempts(6, 20_000)]);
      const gapsOf = (attempts: readonly { at: number }[]) => attempts.slice(1, 6).map((x, i) => x.at - attempts[i]!.at);
      const differences = gapsOf(a.attempts).map((gap, i) => Math.abs(gap - gapsOf(b.attempts)[i]!));
      assert.ok(differences.some((d) => d > 40), `gaps differ: ${differences.join(', ')}`);
    } finally {
      await first.dispose();
      await second.dispose();
      await a.close();
      await b.close();
    }
  });

  it('a refused port: reconnecting, never connected, and stop() ends the attempts', async () => {
    const { session, dispose } = await sessionAgainst(await refusedWsUrl());
    try {
      session.start();
      const deadline = Date.now() + 10_000;
      while (session.snapshot().last_disconnect === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.equal(session.snapshot().last_disconnect?.reason, 'connectionLost');
      assert.equal(session.state, 'reconnecting');
    } finally {
      await dispose();
    }
    assert.equal(session.state, 'reconnecting', 'stop() leaves the state as it was and schedules nothing');
  });
});
