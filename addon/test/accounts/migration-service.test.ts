/**
 * An add-on updated from the single-account layout: its data folder has the account's stores
 * directly under WA_DATA_DIR. The real service moves them into accounts/default and carries on
 * linked, with the same journal, also when an earlier start was cut off midway through the move.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { LEGACY_ENTRIES } from '../../src/accounts/legacy-layout.js';
import { startService, type RunningService } from '../helpers/service.js';

interface EventsPage {
  events: Array<{ seq: number; type: string; data: { id?: string } }>;
  last_seq: number;
  journal_id: string;
}

/** Puts the default account's stores back where the single-account releases kept them. */
function toSingleAccountLayout(dataDir: string): void {
  const account = join(dataDir, 'accounts', 'default');
  for (const entry of readdirSync(account)) renameSync(join(account, entry), join(dataDir, entry));
  rmSync(join(dataDir, 'accounts'), { recursive: true });
}

/** A linked add-on in today's single-account layout, with one received message in its journal. */
async function linkedSingleAccountFolder(): Promise<{ dataDir: string; apiKey: string; messageId: string; before: EventsPage }> {
  const service = await startService();
  try {
    await service.waitForState('pairing');
    await service.json('POST', '/v1/simulator/scan', { phone: '+4917612345678' });
    const { id: messageId } = await service.json<{ id: string }>('POST', '/v1/simulator/incoming', { from: '+15550000002', text: 'from before the update' });
    const before = await service.json<EventsPage>('GET', '/v1/events?after=0&limit=1000');
    assert.equal(await service.stop(), 0);
    toSingleAccountLayout(service.dataDir);
    assert.ok(existsSync(join(service.dataDir, 'journal')) && existsSync(join(service.dataDir, 'auth')), 'the old layout is in place');
    return { dataDir: service.dataDir, apiKey: service.apiKey!, messageId, before };
  } catch (error) {
    await service.dispose();
    throw error;
  }
}

/** Starts the updated service and checks it is the same linked account with the same journal. */
async function assertCarriesOn(dataDir: string, apiKey: string, messageId: string, before: EventsPage): Promise<RunningService> {
  const service = await startService({ dataDir, apiKey });
  const seen = new Set<string>();
  await service.waitFor('connected again', async () => {
    const { state } = await service.json<{ state: string }>('GET', '/v1/session');
    seen.add(state);
    return state === 'connected';
  }, 20_000);
  assert.equal(seen.has('pairing'), false, `linked without a new QR code (states seen: ${[...seen].join(', ')})`);
  const after = await service.json<EventsPage>('GET', '/v1/events?after=0&limit=1000');
  assert.equal(after.journal_id, before.journal_id, 'the same journal: the integration keeps its place');
  assert.ok(after.last_seq >= before.last_seq);
  assert.deepEqual(
    after.events.filter((event) => event.seq <= before.last_seq).map((event) => event.seq),
    before.events.map((event) => event.seq),
    'every event from before the update, with its seq',
  );
  assert.ok(after.events.some((event) => event.type === 'message' && event.data.id === messageId));
  for (const entry of LEGACY_ENTRIES) assert.ok(!existsSync(join(dataDir, entry)), `${entry} moved away from the top level`);
  assert.deepEqual(readdirSync(join(dataDir, 'accounts')), ['default']);
  assert.ok(existsSync(join(dataDir, 'api_key')) || apiKey !== '', 'the API key stays where it was');
  return service;
}

describe('updating from the single-account layout', () => {
  it('moves the data into accounts/default and stays linked with the same journal', async () => {
    const { dataDir, apiKey, messageId, before } = await linkedSingleAccountFolder();
    let service: RunningService | null = null;
    try {
      service = await assertCarriesOn(dataDir, apiKey, messageId, before);
      assert.match(service.output, /single-account/, 'the log says what happened');
      assert.equal(await service.stop(), 0);
      // And again: a second start finds nothing more to move.
      service = await assertCarriesOn(dataDir, apiKey, messageId, before);
    } finally {
      await service?.dispose();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('finishes a move that a crash cut off midway', async () => {
    const { dataDir, apiKey, messageId, before } = await linkedSingleAccountFolder();
    // What a start killed after its first renames leaves: part of the stores in the staging folder.
    const staging = join(dataDir, 'accounts', '.migrating-default');
    mkdirSync(staging, { recursive: true });
    renameSync(join(dataDir, 'journal'), join(staging, 'journal'));
    renameSync(join(dataDir, 'auth'), join(staging, 'auth'));
    let service: RunningService | null = null;
    try {
      service = await assertCarriesOn(dataDir, apiKey, messageId, before);
    } finally {
      await service?.dispose();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
