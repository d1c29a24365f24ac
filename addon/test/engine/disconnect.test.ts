import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { DisconnectReason } from 'baileys';

import {
  reasonFromClose,
  reasonStatusCode,
  reconnectPolicy,
  RECONNECT_POLICIES,
  type ReconnectPolicy,
} from '../../src/engine/disconnect.js';
import type { DisconnectReasonName } from '../../src/engine/types.js';

const ALL_REASONS: DisconnectReasonName[] = [
  'connectionClosed',
  'connectionLost',
  'connectionReplaced',
  'timedOut',
  'loggedOut',
  'badSession',
  'restartRequired',
  'multideviceMismatch',
  'forbidden',
  'unavailableService',
  'qrExpired',
  'clientOutdated',
  'unknown',
];

describe('disconnect reasons', () => {
  it('maps every Baileys status code to its reason name', () => {
    const expected: Array<[number, DisconnectReasonName]> = [
      [428, 'connectionClosed'],
      [408, 'connectionLost'],
      [440, 'connectionReplaced'],
      [401, 'loggedOut'],
      [500, 'badSession'],
      [515, 'restartRequired'],
      [411, 'multideviceMismatch'],
      [403, 'forbidden'],
      [503, 'unavailableService'],
    ];
    for (const [code, name] of expected) assert.equal(reasonFromClose(code, 'x'), name, `status ${code}`);
    assert.equal(DisconnectReason.timedOut, DisconnectReason.connectionLost, 'Baileys shares 408 between the two');
  });

  it('recognises the end of an unanswered pairing by its text', () => {
    assert.equal(reasonFromClose(408, 'QR refs attempts ended'), 'qrExpired');
  });

  it('names a refused client version (failure 405) clientOutdated', () => {
    assert.equal(reasonFromClose(405, 'Connection Failure'), 'clientOutdated');
    assert.equal(reconnectPolicy('clientOutdated').action, 'reconnect-later');
    assert.ok((reconnectPolicy('clientOutdated').delayMs ?? 0) >= 60 * 60_000, 'waits hours, not seconds');
    assert.match(reconnectPolicy('clientOutdated').explanation, /update the add-on/i);
  });

  it('calls anything else unknown', () => {
    assert.equal(reasonFromClose(406, 'Connection Failure'), 'unknown');
    assert.equal(reasonFromClose(null, 'closed'), 'unknown');
    assert.equal(reasonFromClose(undefined, undefined), 'unknown');
  });

  it('gives each reason the status code Baileys would report, which maps back to an equivalent reason', () => {
    for (const reason of ALL_REASONS) {
      const code = reasonStatusCode(reason);
      if (reason === 'unknown') {
        assert.equal(code, null);
        continue;
      }
      assert.equal(typeof code, 'number', reason);
      const back = reasonFromClose(code, reason === 'qrExpired' ? 'QR refs attempts ended' : 'x');
      assert.deepEqual(
        { action: reconnectPolicy(back).action, wipe: reconnectPolicy(back).wipeCredentials },
        { action: reconnectPolicy(reason).action, wipe: reconnectPolicy(reason).wipeCredentials },
        `${reason} → ${code} → ${back}`,
      );
    }
  });
});

describe('reconnect policy', () => {
  it('has an entry for every reason and no others', () => {
    assert.deepEqual(Object.keys(RECONNECT_POLICIES).sort(), [...ALL_REASONS].sort());
  });

  const expected: Record<DisconnectReasonName, Omit<ReconnectPolicy, 'explanation'>> = {
    restartRequired: { action: 'reconnect-now', wipeCredentials: false },
    connectionClosed: { action: 'reconnect-backoff', wipeCredentials: false },
    connectionLost: { action: 'reconnect-backoff', wipeCredentials: false },
    timedOut: { action: 'reconnect-backoff', wipeCredentials: false },
    unavailableService: { action: 'reconnect-backoff', wipeCredentials: false },
    badSession: { action: 'reconnect-backoff', wipeCredentials: false },
    unknown: { action: 'reconnect-backoff', wipeCredentials: false },
    connectionReplaced: { action: 'stop', wipeCredentials: false },
    loggedOut: { action: 'logged-out', wipeCredentials: true },
    forbidden: { action: 'logged-out', wipeCredentials: true },
    multideviceMismatch: { action: 'logged-out', wipeCredentials: true },
    qrExpired: { action: 'logged-out', wipeCredentials: false },
    clientOutdated: { action: 'reconnect-later', wipeCredentials: false },
  };
  for (const reason of ALL_REASONS) {
    it(`${reason}: ${expected[reason].action}${expected[reason].wipeCredentials ? ', wiping credentials' : ''}`, () => {
      const { explanation, delayMs: _delay, ...rest } = reconnectPolicy(reason);
      assert.deepEqual(rest, expected[reason]);
      assert.ok(explanation.length > 30, 'explains itself');
    });
  }

  it('never reconnects after another client took over', () => {
    assert.notEqual(reconnectPolicy('connectionReplaced').action, 'reconnect-now');
    assert.notEqual(reconnectPolicy('connectionReplaced').action, 'reconnect-backoff');
  });

  it('tells users something different for each reason', () => {
    const explanations = ALL_REASONS.map((reason) => reconnectPolicy(reason).explanation);
    assert.equal(new Set(explanations).size, explanations.length);
  });
});
