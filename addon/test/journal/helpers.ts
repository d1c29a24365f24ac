import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JournalEvent, JournalInput } from '../../src/journal/types.js';

export async function withTempDir<T>(run: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'wa-journal-test-'));
  try {
    return await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function statusEvent(id: string): JournalInput {
  return { type: 'message_status', data: { id, chat: '123@g.us', status: 'delivered' } };
}

export function eventId(event: JournalEvent): string | undefined {
  return 'id' in event.data ? event.data.id : undefined;
}
