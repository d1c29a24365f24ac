/**
 * The real engine: WhatsApp through Baileys, one socket per connect() (see baileys-connection.ts).
 * What must outlive a single socket (retry counts, device lists, group names, the client version) lives here.
 */
import { BaileysConnection } from './baileys-connection.js';
import { createSharedState, type BaileysEngineOptions, type SharedState } from './baileys-options.js';
import { quietSignalSessionLogs } from './signal-console.js';
import type { ConnectionHandlers, Engine, EngineConnection } from './types.js';

export class BaileysEngine implements Engine {
  readonly kind = 'baileys' as const;
  private readonly shared: SharedState;

  constructor(private readonly options: BaileysEngineOptions) {
    this.shared = createSharedState(options);
    quietSignalSessionLogs(options.logger);
  }

  isRegistered(): boolean {
    return this.options.auth.isRegistered();
  }

  connect(handlers: ConnectionHandlers): EngineConnection {
    return new BaileysConnection(this.options, this.shared, handlers);
  }

  async clearCredentials(): Promise<void> {
    // Retry counters, device lists and group names belong to the account being forgotten.
    this.shared.caches.msgRetryCounter.flushAll();
    this.shared.caches.userDevices.flushAll();
    this.shared.groupNames.clear();
    await this.options.auth.clear();
  }
}
