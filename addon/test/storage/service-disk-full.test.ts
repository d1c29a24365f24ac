/**
 * The real service with its data directory on a full disk: nothing acknowledged is lost, nothing
 * is sent twice, `/health` says why, and logging out still works.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { outboxOf, startService, type RunningService } from '../helpers/service.js';
import { canMountTmpfs, TMPFS_SKIP, withTmpfs } from './tmpfs.js';

interface Health {
  status: string;
  reason: string | null;
  storage?: { components: string[] };
}

interface EventPage {
  events: Array<{ seq: number; type: string; data: { id?: string; text?: string | null } }>;
  last_seq: number;
  journal_id: string;
}

async function health(service: RunningService): Promise<Health> {
  return (await (await fetch(`${service.url}/health`)).json()) as Health;
}

// The fake WhatsApp network keeps its own state under the data directory; it stands for WhatsApp's
// servers, whose disk is not the one that is full, so it lives on the ordinary disk.
const networkDirs: string[] = [];
after(() => networkDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function networkOffTheFullDisk(dataDir: string): void {
  const dir = mkdtempSync(join(tmpdir(), 'wa-fake-network-'));
  networkDirs.push(dir);
  symlinkSync(dir, join(dataDir, 'simulator'));
}

async function link(service: RunningService): Promise<void> {
  await service.waitForState('pairing', 20_000);
  await service.json('POST', '/v1/simulator/scan', {});
  await service.waitForState('connected', 20_000);
}

describe('the service on a full disk', { skip: canMountTmpfs() ? false : TMPFS_SKIP, timeout: 120_000 }, () => {
  it('keeps a message it could not journal, refuses keyed sends, says storage_full, and catches up when space returns', async () => {
    await withTmpfs(16 * 1024, async (fs) => {
      networkOffTheFullDisk(fs.dir);
      const service = await startService({ dataDir: fs.dir });
      try {
        await link(service);
        assert.equal((await health(service)).status, 'ok');
        await fs.fill();

        const text = `while full ${'x'.repeat(6_000)}`;
        const delivering = service.request('POST', '/v1/simulator/incoming', { from: '+15550000002', text, id: 'FULL-1' });
        const degraded = await service.waitFor('health to say storage_full', async () => {
          const current = await health(service);
          return current.status === 'degraded' ? current : null;
        });
        assert.equal(degraded.reason, 'storage_full');
        assert.ok(degraded.storage?.components.includes('journal'), JSON.stringify(degraded));

        const refused = await service.request('POST', '/v1/messages', { to: '+4917612345678', type: 'text', text: 'keyed' }, { 'idempotency-key': 'full-disk-1' });
        assert.equal(refused.status, 507);
        assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'storage_full');
        assert.equal((await outboxOf(service)).some((entry) => JSON.stringify(entry).includes('keyed')), false, 'a refused send is not sent');

        await fs.free();
        await delivering.catch(() => undefined);
        const page = await service.waitFor('the message to be journalled', async () => {
          const current = await service.json<EventPage>('GET', '/v1/events?after=0&limit=1000');
          return current.events.some((event) => event.data.id === 'FULL-1') ? current : null;
        }, 20_000);
        assert.equal(page.events.filter((event) => event.data.id === 'FULL-1').length, 1);
        const sent = await service.request('POST', '/v1/messages', { to: '+4917612345678', type: 'text', text: 'keyed' }, { 'idempotency-key': 'full-disk-1' });
        assert.equal(sent.status, 200);
        await service.waitFor('health to be ok again', async () => (await health(service)).status === 'ok', 15_000);
      } finally {
        await fs.free();
        await service.dispose();
      }
    });
  });

  it('logs out on a full disk: 200, no longer connected, and still unlinked after a restart', async () => {
    await withTmpfs(16 * 1024, async (fs) => {
      networkOffTheFullDisk(fs.dir);
      const first = await startService({ dataDir: fs.dir });
      try {
        await link(first);
        await fs.fill();
        const response = await first.request('POST', '/v1/session/logout', {});
        assert.equal(response.status, 200, await response.clone().text());
        const session = (await response.json()) as { state: string };
        assert.notEqual(session.state, 'connected');
        await fs.free();
        assert.equal(await first.stop(), 0);
      } finally {
        await fs.free();
        await first.dispose();
      }
      const second = await startService({ dataDir: fs.dir });
      try {
        await second.waitForState('pairing', 20_000);
      } finally {
        await second.dispose();
      }
    });
  });
});
