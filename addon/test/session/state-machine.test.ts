import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { pino } from 'pino';
import { openAuthStore, type DurableAuthState } from '../../src/auth/auth-store.js';
import { openMessageStore } from '../../src/auth/message-store.js';
import { SimulatorEngine } from '../../src/engine/simulator.js';
import type { DisconnectReasonName } from '../../src/engine/types.js';
import { Journal } from '../../src/journal/journal.js';
import type { ConnectionState } from '../../src/journal/types.js';
import { Session, type SessionView } from '../../src/session/session.js';

const logger = pino({ level: 'silent' });
const FAST_BACKOFF = { baseMs: 20, capMs: 200, floorMs: 5, stableAfterMs: 60_000 };

interface Harness {
  dir: string;
  auth: DurableAuthState;
  journal: Journal;
  simulator: SimulatorEngine;
  session: Session;
  states: ConnectionState[];
}

async function harness(timing = { firstQrTtlMs: 60_000, nextQrTtlMs: 60_000, qrCodes: 6 }): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'wa-session-'));
  const auth = await openAuthStore(join(dir, 'auth'), logger);
  const messages = await openMessageStore(join(dir, 'messages'), {}, logger);
  const journal = await Journal.open(join(dir, 'journal'), {}, logger);
  const simulator = new SimulatorEngine(auth, messages, logger, timing);
  const session = new Session({ engine: simulator, append: (e) => journal.append(e), logger, backoff: FAST_BACKOFF });
  const states: ConnectionState[] = [];
  session.on('change', (view) => {
    if (states.at(-1) !== view.state) states.push(view.state);
  });
  session.start();
  return { dir, auth, journal, simulator, session, states };
}

function waitForState(session: Session, state: ConnectionState, timeoutMs = 3_000): Promise<SessionView> {
  if (session.state === state) return Promise.resolve(session.snapshot());
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      session.off('change', listener);
      reject(new Error(`state ${state} not reached; still ${session.state}`));
    }, timeoutMs);
    const listener = (view: SessionView): void => {
      if (view.state !== state) return;
      clearTimeout(timer);
      session.off('change', listener);
      resolve(view);
    };
    session.on('change', listener);
  });
}

async function linked(h: Harness): Promise<void> {
  await waitForState(h.session, 'pairing');
  await h.simulator.scan('+15550000001');
  await waitForState(h.session, 'connected');
}

type JournalledState = { state: string; reason: string | null };

/** The journalled connection states once the last one is `lastState` (appends finish a moment after the change). */
async function journalledStates(journal: Journal, lastState: string, timeoutMs = 3_000): Promise<JournalledState[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const states = journal
      .read(0, 10_000)
      .events.filter((e) => e.type === 'connection')
      .map((e) => e.data as JournalledState);
    if (states.at(-1)?.state === lastState || Date.now() > deadline) return states;
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('session state machine through the simulator', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await harness();
  });
  afterEach(async () => {
    await h.session.stop();
    await h.journal.close();
    await h.auth.flush();
    rmSync(h.dir, { recursive: true, force: true });
  });

  it('pairs: starting → pairing (QR) → restartRequired after the scan → connected', async () => {
    const pairing = await waitForState(h.session, 'pairing');
    assert.ok(pairing.qr && pairing.qr.code.startsWith('2@'));
    assert.ok(Date.parse(pairing.qr.expires_at) > Date.now());
    await h.simulator.scan('+15550000001');
    const connected = await waitForState(h.session, 'connected');
    assert.deepEqual(connected.me, { jid: '15550000001@s.whatsapp.net', phone: '+15550000001', name: null });
    assert.equal(connected.qr, null);
    assert.equal(connected.last_disconnect?.reason, 'restartRequired');
    assert.deepEqual(h.states, ['starting', 'pairing', 'starting', 'connected']);
    const journalled = await journalledStates(h.journal, 'connected');
    assert.deepEqual(journalled.map((s) => s.state), ['pairing', 'starting', 'connected']);
  });

  for (const reason of ['loggedOut', 'forbidden', 'multideviceMismatch'] as DisconnectReasonName[]) {
    it(`${reason}: wipes the credentials and ends in logged_out with the reason`, async () => {
      await linked(h);
      assert.ok(h.auth.isRegistered());
      h.simulator.disconnect(reason);
      const view = await waitForState(h.session, 'logged_out');
      assert.equal(view.me, null);
      assert.equal(view.last_disconnect?.reason, reason);
      assert.ok(view.last_disconnect!.message.length > 20, 'the reason is explained in words');
      assert.equal(h.auth.isRegistered(), false);
      assert.deepEqual((await journalledStates(h.journal, 'logged_out')).at(-1), { state: 'logged_out', reason });
      await h.session.restart();
      await waitForState(h.session, 'pairing');
    });
  }

  it('connectionReplaced: stops without a reconnect fight and keeps the credentials', async () => {
    await linked(h);
    h.simulator.disconnect('connectionReplaced');
    const view = await waitForState(h.session, 'logged_out');
    assert.equal(view.last_disconnect?.reason, 'connectionReplaced');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(h.session.state, 'logged_out', 'no reconnect attempt');
    assert.ok(h.auth.isRegistered(), 'still linked: a restart reconnects');
    await h.session.restart();
    await waitForState(h.session, 'connected');
  });

  it('restartRequired while connected reconnects at once', async () => {
    await linked(h);
    const started = Date.now();
    h.simulator.disconnect('restartRequired');
    await waitForState(h.session, 'reconnecting');
    await waitForState(h.session, 'connected');
    assert.ok(Date.now() - started < 500);
  });

  for (const reason of ['connectionClosed', 'connectionLost', 'timedOut', 'unavailableService', 'badSession'] as DisconnectReasonName[]) {
    it(`${reason}: reconnecting with backoff, then connected again, still linked`, async () => {
      await linked(h);
      h.simulator.disconnect(reason);
      const view = await waitForState(h.session, 'reconnecting');
      assert.equal(view.last_disconnect?.reason, reason);
      await waitForState(h.session, 'connected');
      assert.ok(h.auth.isRegistered());
    });
  }

  it('logout unlinks, wipes credentials and shows a fresh QR code', async () => {
    await linked(h);
    await h.session.logout();
    const view = await waitForState(h.session, 'pairing');
    assert.equal(view.me, null);
    assert.equal(h.auth.isRegistered(), false);
  });
});

describe('QR codes running out', () => {
  it('rotates the QR, then ends pairing in logged_out until a restart or a pairing-code request', async () => {
    const h = await harness({ firstQrTtlMs: 60, nextQrTtlMs: 60, qrCodes: 3 });
    try {
      const codes = new Set<string>();
      h.session.on('change', (view) => view.qr && codes.add(view.qr.code));
      const view = await waitForState(h.session, 'logged_out', 3_000);
      assert.equal(codes.size, 3, 'three different QR codes were shown');
      assert.equal(view.last_disconnect?.reason, 'qrExpired');
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(h.session.state, 'logged_out', 'pairing does not restart by itself');

      const code = await h.session.requestPairingCode('15550000001');
      assert.match(code, /^[A-Z0-9]{8}$/);
      assert.equal(h.session.state, 'pairing');
      assert.equal(h.session.snapshot().pairing_code, code);
    } finally {
      await h.session.stop();
      await h.journal.close();
      rmSync(h.dir, { recursive: true, force: true });
    }
  });
});
