import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import pino from 'pino';

import { LEGACY_ENTRIES, migrateLegacyLayout } from '../../src/accounts/legacy-layout.js';
import { Journal } from '../../src/journal/journal.js';

const quiet = pino({ level: 'silent' });

class PlayedCrash extends Error {}

/** A data folder as the single-account releases left it: a journal with events, and the other stores' files. */
async function singleAccountLayout(parent: string): Promise<{ dataDir: string; journalId: string; lastSeq: number }> {
  const dataDir = mkdtempSync(join(parent, 'old-layout-'));
  const journal = await Journal.open(join(dataDir, 'journal'), {}, quiet);
  for (const text of ['one', 'two', 'three']) {
    await journal.append({ type: 'connection', data: { state: 'connected', reason: text } });
  }
  const { id: journalId, lastSeq } = journal;
  await journal.close();
  for (const folder of ['auth', 'messages', 'media', 'idempotency', 'simulator']) {
    mkdirSync(join(dataDir, folder));
    writeFileSync(join(dataDir, folder, 'state'), `${folder} of the only account`);
  }
  writeFileSync(join(dataDir, 'idempotency.json'), '{}');
  writeFileSync(join(dataDir, 'api_key'), 'the-key-stays-at-the-top');
  writeFileSync(join(dataDir, 'options.json'), '{}');
  return { dataDir, journalId, lastSeq };
}

async function assertMigrated(dataDir: string, journalId: string, lastSeq: number): Promise<void> {
  const account = join(dataDir, 'accounts', 'default');
  assert.deepEqual(readdirSync(join(dataDir, 'accounts')), ['default'], 'no staging folder is left');
  for (const entry of LEGACY_ENTRIES) {
    assert.ok(existsSync(join(account, entry)), `${entry} moved into accounts/default`);
    assert.ok(!existsSync(join(dataDir, entry)), `${entry} left the top level`);
  }
  assert.equal(readFileSync(join(account, 'auth', 'state'), 'utf8'), 'auth of the only account');
  assert.equal(readFileSync(join(dataDir, 'api_key'), 'utf8'), 'the-key-stays-at-the-top');
  assert.ok(existsSync(join(dataDir, 'options.json')));
  const journal = await Journal.open(join(account, 'journal'), {}, quiet);
  try {
    assert.equal(journal.id, journalId, 'the same journal, so clients keep their place');
    assert.equal(journal.lastSeq, lastSeq);
    assert.deepEqual(
      (await journal.read(0, 100)).events.map((event) => (event.data as { reason: string }).reason),
      ['one', 'two', 'three'],
    );
  } finally {
    await journal.close();
  }
}

describe('moving a single-account data folder into accounts/default', () => {
  const parent = mkdtempSync(join(tmpdir(), 'wa-migration-'));
  after(() => rmSync(parent, { recursive: true, force: true }));

  it('moves every store of the old layout and leaves the API key where it was', async () => {
    const { dataDir, journalId, lastSeq } = await singleAccountLayout(parent);
    assert.equal(await migrateLegacyLayout(dataDir, quiet), 'migrated');
    await assertMigrated(dataDir, journalId, lastSeq);
    assert.equal(await migrateLegacyLayout(dataDir, quiet), 'nothing-to-do', 'a second start changes nothing');
  });

  for (let crashAfter = 1; crashAfter <= LEGACY_ENTRIES.length; crashAfter += 1) {
    it(`resumes at the next start after a crash following rename ${crashAfter} of ${LEGACY_ENTRIES.length}`, async () => {
      const { dataDir, journalId, lastSeq } = await singleAccountLayout(parent);
      let renames = 0;
      await assert.rejects(
        migrateLegacyLayout(dataDir, quiet, {
          afterRename: () => {
            renames += 1;
            if (renames === crashAfter) throw new PlayedCrash();
          },
        }),
        PlayedCrash,
      );
      assert.ok(!existsSync(join(dataDir, 'accounts', 'default')), 'the account appears only once it is complete');
      assert.equal(await migrateLegacyLayout(dataDir, quiet), 'migrated');
      await assertMigrated(dataDir, journalId, lastSeq);
    });
  }

  it('does nothing in a new data folder', async () => {
    const dataDir = mkdtempSync(join(parent, 'new-'));
    assert.equal(await migrateLegacyLayout(dataDir, quiet), 'nothing-to-do');
    assert.ok(!existsSync(join(dataDir, 'accounts', 'default')));
  });

  it('leaves old-layout entries alone once accounts/default exists, rather than replace newer data', async () => {
    const dataDir = mkdtempSync(join(parent, 'restored-'));
    mkdirSync(join(dataDir, 'accounts', 'default', 'journal'), { recursive: true });
    writeFileSync(join(dataDir, 'accounts', 'default', 'journal', 'newer'), 'newer');
    mkdirSync(join(dataDir, 'journal'));
    assert.equal(await migrateLegacyLayout(dataDir, quiet), 'left-old-entries');
    assert.ok(existsSync(join(dataDir, 'journal')));
    assert.equal(readFileSync(join(dataDir, 'accounts', 'default', 'journal', 'newer'), 'utf8'), 'newer');
  });
});
