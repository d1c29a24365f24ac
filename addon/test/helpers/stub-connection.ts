/**
 * Engine connections for session tests that script the engine themselves: every request fails, as
 * on a socket that is gone, except the parts a test replaces.
 */
import type { EngineConnection } from '../../src/engine/types.js';

/** Requests reject with `failure`; close and logout do nothing; `overrides` replaces any of it. */
export function stubConnection(failure: string, overrides: Partial<EngineConnection> = {}): EngineConnection {
  const refuse = (): Promise<never> => Promise.reject(new Error(failure));
  return {
    requestPairingCode: refuse,
    close: async () => undefined,
    logout: async () => undefined,
    send: refuse,
    edit: refuse,
    delete: refuse,
    markRead: refuse,
    setPresence: refuse,
    groups: refuse,
    checkNumber: refuse,
    downloadMedia: refuse,
    ...overrides,
  };
}
