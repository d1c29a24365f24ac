/**
 * One test per way WhatsApp can end a connection, through the real Baileys engine on the fake
 * WhatsApp network: the state the user sees afterwards, the reason reported, whether the link is
 * kept, and the pause before the next connection attempt under the documented policy.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { CLIENT_OUTDATED_RETRY_MS, SIMULATED_DISCONNECT_REASONS } from '../../src/engine/disconnect.js';
import type { DisconnectReasonName } from '../../src/engine/types.js';
import { DEFAULT_BACKOFF } from '../../src/session/backoff.js';
import type { SessionView } from '../../src/session/session.js';
import { realSessionPerTest, type RealSession } from '../helpers/real-session.js';

/** Baileys' keep-alive: a silent connection is given up after the interval plus 5 s. */
const KEEP_ALIVE_MS = 500;
/** Scheduling slack between the session's timer firing and the engine being asked to connect. */
const TIMER_SLACK_MS = 250;

interface Expectation {
  /** What `last_disconnect.reason` says (Baileys reports some reasons under another name). */
  reported: DisconnectReasonName;
  outcome: 'reconnect-now' | 'backoff' | 'logged-out-wiped' | 'stopped-kept' | 'long-pause';
}

const EXPECTED: Readonly<Record<string, Expectation>> = {
  restartRequired: { reported: 'restartRequired', outcome: 'reconnect-now' },
  connectionClosed: { reported: 'connectionClosed', outcome: 'backoff' },
  // A silent network: Baileys' keep-alive gives up with 408, which it also uses for timedOut.
  connectionLost: { reported: 'connectionLost', outcome: 'backoff' },
  timedOut: { reported: 'connectionLost', outcome: 'backoff' },
  unavailableService: { reported: 'unavailableService', outcome: 'backoff' },
  badSession: { reported: 'badSession', outcome: 'backoff' },
  connectionReplaced: { reported: 'connectionReplaced', outcome: 'stopped-kept' },
  loggedOut: { reported: 'loggedOut', outcome: 'logged-out-wiped' },
  forbidden: { reported: 'forbidden', outcome: 'logged-out-wiped' },
  multideviceMismatch: { reported: 'multideviceMismatch', outcome: 'logged-out-wiped' },
  clientOutdated: { reported: 'clientOutdated', outcome: 'long-pause' },
};

describe('every disconnect reason, with the real engine on the fake WhatsApp network', () => {
  const startSession = realSessionPerTest();

  it('covers every reason the simulator can end a connection with', () => {
    assert.deepEqual([...SIMULATED_DISCONNECT_REASONS].sort(), Object.keys(EXPECTED).sort());
  });

  /** Linked and connected; resolves with the moment the connection then leaves `connected`. */
  async function linkedThenDropped(
    reason: DisconnectReasonName,
  ): Promise<{ s: RealSession; droppedAt: Promise<number>; attemptsBefore: number; journalledBefore: number }> {
    const s = await startSession({ keepAliveIntervalMs: KEEP_ALIVE_MS });
    await s.pair();
    const journalledBefore = (await s.journalledStates('connected')).length;
    const attemptsBefore = s.connectAttempts.length;
    const droppedAt = new Promise<number>((resolve) => {
      const listener = (view: SessionView): void => {
        if (view.state === 'connected') return;
        s.session.off('change', listener);
        resolve(Date.now());
      };
      s.session.on('change', listener);
    });
    await s.simulator.disconnect(reason);
    return { s, droppedAt, attemptsBefore, journalledBefore };
  }

  const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

  it('an HTTP error answer to the upgrade: connectionLost, a longer pause, then connected', { timeout: 30_000 }, async () => {
    const { s, droppedAt, attemptsBefore } = await linkedThenDropped('connectionClosed');
    await droppedAt;
    // The reconnect meets a refusing endpoint (a proxy's 503) once.
    s.simulator.network.failUpgrades(503, 1);
    const refused = new Promise<SessionView>((resolve) => {
      const listener = (view: SessionView): void => {
        if (view.last_disconnect?.reason !== 'connectionLost') return;
        s.session.off('change', listener);
        resolve(view);
      };
      s.session.on('change', listener);
    });
    const view = await refused;
    assert.equal(view.state, 'reconnecting', 'not stuck: the refused attempt is reported as a close');
    assert.equal(s.simulator.network.refusedUpgrades, 1);
    const plan = s.session.scheduledReconnect;
    assert.ok(plan);
    // The second retry in a row: a draw below twice the base delay.
    assert.ok(plan.delayMs >= DEFAULT_BACKOFF.floorMs && plan.delayMs <= DEFAULT_BACKOFF.baseMs * 2, `pause ${plan.delayMs} ms`);
    await s.waitForState('connected', 15_000);
    assert.equal(s.connectAttempts.length, attemptsBefore + 2);
    assert.ok(s.auth.isRegistered());
  });

  for (const [reason, expected] of Object.entries(EXPECTED) as Array<[DisconnectReasonName, Expectation]>) {
    it(`${reason}: ${describeOutcome(expected)}`, { timeout: 30_000 }, async () => {
      const { s, droppedAt, attemptsBefore, journalledBefore } = await linkedThenDropped(reason);
      const dropped = await droppedAt;
      const view = s.session.snapshot();
      assert.equal(view.last_disconnect?.reason, expected.reported, `reported as ${expected.reported}`);
      assert.ok((view.last_disconnect?.message.length ?? 0) > 20, 'the reason is explained in words');

      switch (expected.outcome) {
        case 'reconnect-now': {
          await s.waitForState('connected');
          const gap = s.connectAttempts[attemptsBefore]! - dropped;
          assert.ok(gap < TIMER_SLACK_MS, `reconnected at once (after ${gap} ms)`);
          assert.ok(s.auth.isRegistered(), 'still linked');
          assert.deepEqual((await s.journalledStates('connected', journalledBefore + 2)).slice(-2), [
            { state: 'reconnecting', reason },
            { state: 'connected', reason: null },
          ]);
          break;
        }
        case 'backoff': {
          assert.equal(view.state, 'reconnecting');
          const plan = s.session.scheduledReconnect;
          assert.ok(plan, 'a reconnect is scheduled');
          // The first retry after a connection drops: a draw between the floor and the base delay.
          assert.ok(plan.delayMs >= DEFAULT_BACKOFF.floorMs && plan.delayMs <= DEFAULT_BACKOFF.baseMs, `pause ${plan.delayMs} ms`);
          assert.equal(s.connectAttempts.length, attemptsBefore, 'no attempt before the pause is over');
          const connected = await s.waitForState('connected', 15_000);
          const gap = s.connectAttempts[attemptsBefore]! - dropped;
          assert.ok(gap >= plan.delayMs - 5 && gap <= plan.delayMs + TIMER_SLACK_MS, `next attempt after ${gap} ms; planned ${plan.delayMs} ms`);
          assert.equal(s.connectAttempts.length, attemptsBefore + 1, 'one attempt was enough');
          assert.equal(connected.me?.phone, '+15550000001', 'back as the same account, no new pairing');
          assert.ok(s.auth.isRegistered());
          assert.deepEqual((await s.journalledStates('connected', journalledBefore + 2)).slice(-2), [
            { state: 'reconnecting', reason: expected.reported },
            { state: 'connected', reason: null },
          ]);
          break;
        }
        case 'logged-out-wiped': {
          assert.equal(view.state, 'logged_out');
          assert.equal(view.me, null);
          assert.equal(s.auth.isRegistered(), false, 'credentials wiped');
          assert.equal(s.auth.state.creds.me, undefined);
          assert.deepEqual((await s.journalledStates('logged_out', journalledBefore + 1)).at(-1), { state: 'logged_out', reason: expected.reported });
          await pause(1_000);
          assert.equal(s.connectAttempts.length, attemptsBefore, 'no reconnect attempt');
          assert.equal(s.session.scheduledReconnect, null);
          // Linking again starts from a fresh QR code.
          await s.session.restart();
          const pairing = await s.waitForState('pairing');
          assert.ok(pairing.qr);
          break;
        }
        case 'stopped-kept': {
          assert.equal(view.state, 'logged_out');
          await pause(1_000);
          assert.equal(s.connectAttempts.length, attemptsBefore, 'no reconnect fight with the other client');
          assert.equal(s.session.scheduledReconnect, null);
          assert.ok(s.auth.isRegistered(), 'still linked: a restart reconnects');
          await s.session.restart();
          const connected = await s.waitForState('connected');
          assert.equal(connected.qr, null);
          break;
        }
        case 'long-pause': {
          assert.equal(view.state, 'reconnecting');
          assert.match(view.last_disconnect?.message ?? '', /update the add-on/i);
          const plan = s.session.scheduledReconnect;
          assert.ok(plan, 'a retry is scheduled');
          assert.ok(
            plan.delayMs >= CLIENT_OUTDATED_RETRY_MS * 0.8 && plan.delayMs <= CLIENT_OUTDATED_RETRY_MS * 1.2,
            `retry in ${(plan.delayMs / 3_600_000).toFixed(2)} h`,
          );
          await pause(1_000);
          assert.equal(s.connectAttempts.length, attemptsBefore, 'no hammering of WhatsApp');
          assert.ok(s.auth.isRegistered(), 'the link to the phone is kept');
          assert.deepEqual((await s.journalledStates('reconnecting', journalledBefore + 1)).at(-1), { state: 'reconnecting', reason: 'clientOutdated' });
          break;
        }
      }
    });
  }
});

function describeOutcome(expected: Expectation): string {
  switch (expected.outcome) {
    case 'reconnect-now':
      return 'reconnects at once and stays linked';
    case 'backoff':
      return `reconnecting (reported as ${expected.reported}) after a backoff pause, then connected, still linked`;
    case 'logged-out-wiped':
      return 'logged_out with the credentials wiped, no reconnect';
    case 'stopped-kept':
      return 'stops (logged_out) without reconnecting and keeps the credentials';
    case 'long-pause':
      return 'reconnecting only after hours, link kept, user told to update';
  }
}
