/**
 * Phone numbers stay out of the log at info level and above, also where Baileys itself names the
 * account or a contact (its jid, LID, Signal address, login username); debug lines keep them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { redactLogLine } from '../../src/log-redaction.js';
import { startService, waitForOutbox } from '../helpers/service.js';

const ACCOUNT = '+4915112345678';
const CONTACT = '+4917612345678';
const NUMBER_LIKE = /\d{6,}(?::\d+)?@(?:s\.whatsapp\.net|lid)|\d{6,}_\d+\.\d+|\+\d{7,}|"\d{8,15}"/;

function levelOf(line: string): number {
  return Number(/^\{"level":(\d+)/.exec(line)?.[1] ?? 0);
}

describe('phone numbers in the log of the real service', () => {
  it('are masked at info and above, where Baileys names the account and contacts, and kept at debug', { timeout: 60_000 }, async () => {
    const service = await startService();
    try {
      await service.waitForState('pairing');
      await service.json('POST', '/v1/simulator/scan', { phone: ACCOUNT });
      await service.waitForState('connected');
      await service.json('POST', '/v1/simulator/incoming', { from: CONTACT, text: 'hello' });
      const { id } = await service.json<{ id: string }>('POST', '/v1/messages', { to: CONTACT, type: 'text', text: 'hi back' });
      await waitForOutbox(service, (entry) => entry.id === id);
      await service.json('POST', '/v1/simulator/disconnect', { reason: 'restartRequired' });
      await service.waitForState('connected');
      assert.equal(await service.stop(), 0);

      const lines = service.output.split('\n').filter((line) => line.startsWith('{'));
      const shown = lines.filter((line) => levelOf(line) >= 30);
      const leaks = shown.filter((line) => NUMBER_LIKE.test(line) || line.includes(ACCOUNT.slice(1)) || line.includes(CONTACT.slice(1)));
      assert.deepEqual(leaks, [], 'no phone number, jid or LID at info level or above');
      assert.ok(
        shown.some((line) => line.includes('"module":"baileys"') && /\d\d…\d\d(?::\d+)?@s\.whatsapp\.net/.test(line)),
        'Baileys named the account at info level, masked',
      );
      assert.ok(
        lines.some((line) => levelOf(line) < 30 && line.includes(`${ACCOUNT.slice(1)}`)),
        'debug lines keep the number for problem reports',
      );
    } finally {
      await service.dispose();
    }
  });
});

describe('masking a log line', () => {
  it('masks jids, LIDs, Signal addresses, E.164 in any spelling and bare numbers, and keeps the line valid JSON', () => {
    const line = JSON.stringify({
      level: 50,
      time: '2026-11-27T19:18:32.739+01:00',
      jid: '4917612345678:12@s.whatsapp.net',
      lid: '123456789012345@lid',
      group: '4917612345678-1600000000@g.us',
      addr: '123456789012345_1.0',
      username: '4915112345678',
      err: { message: 'no session for +49 176 1234-5678', stack: 'Error: no session with 4917612345678@s.whatsapp.net\n    at x' },
      t: 1732733841,
      version: { tertiary: 1043857760 },
      id: '3EB0C767F26EE7B1D46A',
    });
    const masked = redactLogLine(line);
    const parsed = JSON.parse(masked) as Record<string, unknown>;
    assert.equal(parsed.jid, '49…78:12@s.whatsapp.net');
    assert.equal(parsed.lid, '12…45@lid');
    assert.equal(parsed.group, '49…78-1600000000@g.us');
    assert.equal(parsed.addr, '12…45_1.0');
    assert.equal(parsed.username, '49…78');
    assert.deepEqual(parsed.err, { message: 'no session for +49…78', stack: 'Error: no session with 49…78@s.whatsapp.net\n    at x' });
    assert.equal(parsed.t, 1732733841, 'numbers that are not phone numbers stay');
    assert.deepEqual(parsed.version, { tertiary: 1043857760 });
    assert.equal(parsed.id, '3EB0C767F26EE7B1D46A');
    assert.equal(parsed.time, '2026-11-27T19:18:32.739+01:00');
  });

  it('leaves debug and trace lines as they are', () => {
    const line = JSON.stringify({ level: 20, jid: '4917612345678@s.whatsapp.net' });
    assert.equal(redactLogLine(line), line);
  });
});
