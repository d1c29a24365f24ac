/** The real service with damaged state files: it always starts, and says what it had to give up. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startService } from '../helpers/service.js';

describe('the service with damaged state files', () => {
  it('starts pairing with last_disconnect badSession when the credentials cannot be read', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wa-damaged-'));
    try {
      mkdirSync(join(dataDir, 'auth'));
      writeFileSync(join(dataDir, 'auth', 'auth.snapshot'), '{"format":2,"generation":3,"crc":1,"bytes":5}\nhello');
      const service = await startService({ dataDir });
      try {
        const session = await service.waitForState('pairing', 20_000);
        const last = session.last_disconnect as { reason: string; message: string } | null;
        assert.equal(last?.reason, 'badSession');
        assert.match(last.message, /damaged/);
        const health = (await (await fetch(`${service.url}/health`)).json()) as { status: string };
        assert.equal(health.status, 'ok');
      } finally {
        await service.dispose();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('starts when the idempotency records and the journal id are damaged', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wa-damaged-'));
    try {
      mkdirSync(join(dataDir, 'idempotency'));
      writeFileSync(join(dataDir, 'idempotency', 'idempotency.snapshot'), 'not a snapshot at all');
      const service = await startService({ dataDir });
      try {
        const page = await service.json<{ journal_id: string }>('GET', '/v1/events?after=0');
        assert.match(page.journal_id, /^[A-Za-z0-9_-]{22}$/);
      } finally {
        await service.dispose();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
