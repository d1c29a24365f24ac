/**
 * One linked WhatsApp number: everything the add-on runs for it, opened from `accounts/<id>/`.
 * Nothing here is shared with another account except the storage health, the logger and the
 * settings, so one account's crash, logout, ban or full send queue leaves the others alone: each has
 * its own socket and reconnect backoff (Session), its own pacer and its own stores.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';

import { openAuthStore, type DurableAuthState } from '../auth/auth-store.js';
import { openMessageStore, type MessageStore } from '../auth/message-store.js';
import { BaileysEngine } from '../engine/baileys.js';
import type { SentMessage } from '../engine/types.js';
import { Journal } from '../journal/journal.js';
import { MediaStore } from '../media/media-store.js';
import { IdempotencyStore } from '../messaging/idempotency.js';
import { Pacer } from '../messaging/pacer.js';
import { RecipientResolver } from '../messaging/recipients.js';
import { Sender } from '../messaging/sender.js';
import { Session } from '../session/session.js';
import type { Settings } from '../settings.js';
import { SimulatedWhatsApp } from '../simulator/simulated-whatsapp.js';
import type { SimulatorTuning } from '../simulator/tuning.js';
import type { StorageHealth } from '../util/storage-health.js';
import { accountFolder, removeAccountFolder } from './account-folders.js';
import type { AccountServices } from './directory.js';

/** What every account of the add-on is opened with. */
export interface AccountContext {
  settings: Settings;
  /** The service's logger; each account logs through a child naming it (ids are not secrets). */
  logger: Logger;
  storageHealth: StorageHealth;
  simulatorTuning: SimulatorTuning;
}

/** How long a deleted account waits for WhatsApp to confirm the unlink before its data goes anyway. */
const UNLINK_WAIT_MS = 8_000;

/** The stores an account flushes when it stops. */
interface AccountStores {
  journal: Journal;
  auth: DurableAuthState;
  messages: MessageStore;
  media: MediaStore;
  idempotency: IdempotencyStore<SentMessage>;
}

export class Account {
  private started = false;
  private stopping: Promise<void> | null = null;

  private constructor(
    readonly services: AccountServices,
    private readonly stores: AccountStores,
    private readonly dataDir: string,
    private readonly logger: Logger,
  ) {}

  get id(): string {
    return this.services.id;
  }

  /** Opens the stores in `accounts/<id>/` and builds the account's session and sender. */
  static async open(id: string, cacheQuotaBytes: number, context: AccountContext): Promise<Account> {
    const opened: Array<() => unknown> = [];
    try {
      return await Account.compose(id, cacheQuotaBytes, context, opened);
    } catch (error) {
      // A broken account must not leave a listening fake network or store timers behind.
      await Promise.allSettled(opened.reverse().map(async (close) => close()));
      throw error;
    }
  }

  private static async compose(id: string, cacheQuotaBytes: number, context: AccountContext, opened: Array<() => unknown>): Promise<Account> {
    const { settings, storageHealth } = context;
    const folder = accountFolder(settings.dataDir, id);
    const logger = context.logger.child({ account: id });
    const journal = await Journal.open(
      join(folder, 'journal'),
      { maxEvents: settings.journalMaxEvents, maxAgeMs: settings.journalMaxAgeDays * 86_400_000, storageHealth },
      logger.child({ module: 'journal' }),
    );
    opened.push(() => journal.close());
    const auth = await openAuthStore(join(folder, 'auth'), logger.child({ module: 'auth' }), { storageHealth });
    const messages = await openMessageStore(join(folder, 'messages'), {}, logger.child({ module: 'messages' }));

    const tuning = context.simulatorTuning;
    // Each account links through its own fake network, so each pairs with its own phone.
    const simulator =
      settings.engine === 'simulator'
        ? await SimulatedWhatsApp.start({
            dataDir: join(folder, 'simulator'),
            logger: logger.child({ module: 'simulator' }),
            qrCodes: tuning.qrCodes,
            readAfterMs: tuning.readAfterMs,
          })
        : null;
    if (simulator) opened.push(() => simulator.stop());
    const engine = new BaileysEngine({
      auth,
      messages,
      logger: logger.child({ module: 'baileys' }),
      markOnline: settings.markOnline,
      // Only the real network is asked for WhatsApp Web's current version.
      fetchLatestVersion: simulator === null && settings.waWebSocketUrl === null,
      ...(simulator
        ? {
            waWebSocketUrl: simulator.transport.waWebSocketUrl,
            mediaTransport: { uploadAgent: simulator.transport.mediaUploadAgent, dispatcher: simulator.transport.mediaDispatcher },
            qrTimeoutMs: tuning.qrTimeoutMs,
          }
        : { waWebSocketUrl: settings.waWebSocketUrl ?? undefined }),
    });

    const session = new Session({
      engine,
      append: async (event) => {
        const journalled = await journal.append(event);
        simulator?.journalled(journalled);
        return journalled;
      },
      logger: logger.child({ module: 'session' }),
    });
    if (auth.recovery === 'lost') {
      session.noteStartupProblem(
        'badSession',
        "The stored WhatsApp credentials were damaged and could not be recovered. Link the phone again; the damaged files were kept in the add-on's data folder.",
      );
    }
    simulator?.attach(session);
    const media = await MediaStore.open(
      join(folder, 'media'),
      { maxUploadBytes: settings.mediaUploadMaxMb * 1024 * 1024, cacheQuotaBytes },
      logger.child({ module: 'media' }),
    );
    opened.push(() => media.close());
    const idempotency = await IdempotencyStore.open<SentMessage>(join(folder, 'idempotency'), logger.child({ module: 'idempotency' }), {
      storageHealth,
      // Where earlier releases kept the records (moved here with the rest of the account).
      legacyFile: join(folder, 'idempotency.json'),
    });
    const sender = new Sender({
      session,
      media,
      pacer: new Pacer({
        ratePerMinute: settings.sendRatePerMinute,
        burst: settings.sendBurst,
        jitterMeanMs: settings.sendJitterMeanMs,
        jitterSigmaMs: settings.sendJitterSigmaMs,
        maxQueue: settings.sendQueueLimit,
      }),
      recipients: new RecipientResolver(),
      idempotency,
      sendWaitMs: settings.sendWaitReconnectingSeconds * 1000,
      logger: logger.child({ module: 'sender' }),
    });
    return new Account(
      { id, session, journal, sender, media, simulator },
      { journal, auth, messages, media, idempotency },
      settings.dataDir,
      logger,
    );
  }

  /** Opens the socket: logs in with stored credentials, or starts pairing. */
  start(): void {
    if (this.started) return;
    this.started = true;
    try {
      this.services.session.start();
    } catch (err) {
      // The account stays listed (its state says it is not connected); the others carry on.
      this.logger.error({ err: (err as Error).message }, 'the account could not open its WhatsApp connection');
    }
  }

  /** Closes the socket (the device stays linked) and flushes every store to disk. */
  stop(): Promise<void> {
    this.stopping ??= this.stopAndFlush();
    return this.stopping;
  }

  private async stopAndFlush(): Promise<void> {
    const { journal, auth, messages, media, idempotency } = this.stores;
    await this.services.session.stop().catch((err: unknown) => this.logger.warn({ err: (err as Error).message }, 'the socket did not close cleanly'));
    await Promise.allSettled([journal.close(), auth.flush(), messages.flush(), idempotency.flush(), this.services.simulator?.stop()]);
    media.close();
  }

  /**
   * Unlinks the device from the phone (best effort: a silent WhatsApp is not waited for long),
   * stops the account and deletes its folder.
   */
  async destroy(): Promise<void> {
    const session = this.services.session;
    if (this.started && (session.state === 'connected' || session.state === 'reconnecting')) {
      const unlinked = session.logout().then(
        () => true,
        (err: unknown) => {
          this.logger.warn({ err: (err as Error).message }, 'WhatsApp did not confirm the unlink; deleting the account anyway');
          return false;
        },
      );
      let timer: NodeJS.Timeout | undefined;
      const gaveUp = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), UNLINK_WAIT_MS);
      });
      await Promise.race([unlinked, gaveUp]);
      clearTimeout(timer);
    }
    await this.stop();
    await removeAccountFolder(this.dataDir, this.id);
    this.logger.info('account deleted');
  }
}
