/**
 * The two stores the Baileys engine works with (credentials and sent messages), in a temporary
 * folder of their own, for tests that drive the engine without the service around it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Logger } from 'pino';

import { openAuthStore, type DurableAuthState } from '../../src/auth/auth-store.js';
import { openMessageStore, type MessageStore } from '../../src/auth/message-store.js';

export interface EngineStores {
  dir: string;
  auth: DurableAuthState;
  messages: MessageStore;
  /** Waits until both stores are on disk, then removes the folder. */
  close(): Promise<void>;
}

export async function openEngineStores(dirPrefix: string, logger: Logger): Promise<EngineStores> {
  const dir = await mkdtemp(join(tmpdir(), dirPrefix));
  const auth = await openAuthStore(join(dir, 'auth'), logger);
  const messages = await openMessageStore(join(dir, 'messages'), {}, logger);
  return {
    dir,
    auth,
    messages,
    async close() {
      await auth.flush();
      await messages.flush();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
