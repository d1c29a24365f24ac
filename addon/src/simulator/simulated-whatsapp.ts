/**
 * WA_ENGINE=simulator: the fake WhatsApp network (server, phone, contacts, groups, media host) that
 * the real Baileys engine connects to, and the controls the simulator routes offer on it. Nothing
 * here stands in for Baileys: only WhatsApp's side of the wire is simulated.
 */
import { join } from 'node:path';
import type { Agent as HttpsAgent } from 'node:https';

import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';

import { FakeContacts, type DeliverSpec, type OutboxEntry } from '../fakewa/contacts.js';
import { registerMediaConn } from '../fakewa/media-conn.js';
import { MediaHost } from '../fakewa/media-host.js';
import { MediaRetryDesk, registerMediaRetry } from '../fakewa/media-retry.js';
import { createMediaDispatcher, createMediaUploadAgent } from '../fakewa/media-transport.js';
import { FakeWhatsAppNetwork } from '../fakewa/network.js';
import type { Account, DisconnectReasonName } from '../engine/types.js';
import type { JournalEvent } from '../journal/types.js';
import type { Session, SessionView } from '../session/session.js';
import { MessageArrivals } from './message-arrivals.js';
import { WireObserver } from './wire-observer.js';

export const DEFAULT_SIMULATED_PHONE = '+15550000001';

/** A simulator control was used when the session cannot take it (e.g. scanning while connected). */
export class SimulatorStateError extends Error {}

export interface SimulatorSettings {
  dataDir: string;
  logger: Logger;
  /** QR codes a pairing shows before it gives up (WhatsApp: 6). */
  qrCodes: number;
  /** Contacts read what they receive after this long; never when null. */
  readAfterMs: number | null;
}

/** How the Baileys engine reaches the fake network: its WebSocket and its media host. */
export interface SimulatedTransport {
  waWebSocketUrl: string;
  mediaUploadAgent: HttpsAgent;
  mediaDispatcher: Dispatcher;
}

const LINKED_WITHIN_MS = 20_000;
const JOURNALLED_WITHIN_MS = 20_000;

export class SimulatedWhatsApp {
  readonly arrivals = new MessageArrivals();
  private session: Session | null = null;

  private constructor(
    readonly network: FakeWhatsAppNetwork,
    readonly contacts: FakeContacts,
    readonly media: MediaHost,
    readonly mediaRetries: MediaRetryDesk,
    /** The Signal message types contacts' messages carried on the wire. */
    readonly wire: WireObserver,
    private readonly logger: Logger,
  ) {}

  static async start(settings: SimulatorSettings): Promise<SimulatedWhatsApp> {
    const logger = settings.logger;
    const network = await FakeWhatsAppNetwork.start({
      dataDir: join(settings.dataDir, 'network'),
      logger,
      qrRefCount: settings.qrCodes,
    });
    const media = await MediaHost.start({ dir: join(settings.dataDir, 'media'), logger: logger.child({ component: 'media-host' }) });
    // The sender's phone, asked to upload expired media again.
    const mediaRetries = new MediaRetryDesk(media, logger);
    const contacts = await FakeContacts.open({
      dataDir: join(settings.dataDir, 'contacts'),
      logger: logger.child({ component: 'contacts' }),
      uploadMedia: (bytes, mediaType) => media.uploadMedia(bytes, mediaType),
      downloadMedia: (reference) => media.downloadMedia(reference),
      rememberMedia: (messageId, sent) => mediaRetries.remember(messageId, sent),
      readAfterMs: settings.readAfterMs,
    });
    registerMediaConn(network.router, media);
    registerMediaRetry(network.router, mediaRetries);
    const wire = new WireObserver(logger);
    contacts.attach(wire.observe(network));
    return new SimulatedWhatsApp(network, contacts, media, mediaRetries, wire, logger);
  }

  get transport(): SimulatedTransport {
    return {
      waWebSocketUrl: this.network.url,
      mediaUploadAgent: createMediaUploadAgent(this.media),
      mediaDispatcher: createMediaDispatcher(this.media),
    };
  }

  /** The session whose QR code the phone scans and whose journal `incoming` waits for. */
  attach(session: Session): void {
    this.session = session;
  }

  /** Called with every event the add-on journalled. */
  journalled(event: JournalEvent): void {
    this.arrivals.journalled(event);
  }

  /**
   * The phone of `phone` (E.164) scans the QR code the add-on shows, or confirms its pairing code.
   * Resolves once the add-on is connected as that account.
   */
  async scan(phone: string, name: string | null): Promise<Account> {
    const session = this.requireSession();
    const view = session.snapshot();
    const digits = phone.replace(/\D/g, '');
    if (view.state !== 'pairing' || (!view.qr && !view.pairing_code)) {
      throw new SimulatorStateError('There is no QR code to scan: the session is not pairing.');
    }
    try {
      if (view.pairing_code) await this.network.confirmPairingCode(view.pairing_code, digits, name ?? undefined);
      else await this.network.scan(view.qr!.code, digits, name ?? undefined);
    } catch (err) {
      throw new SimulatorStateError(`The phone could not link the add-on: ${(err as Error).message}`);
    }
    const linked = await viewWhen(session, (candidate) => candidate.state === 'connected', LINKED_WITHIN_MS);
    if (!linked?.me) throw new SimulatorStateError('The phone linked the add-on, but it did not connect in time.');
    return linked.me;
  }

  /** A contact sends a message. Resolves with its id once the add-on has journalled it. */
  async incoming(spec: DeliverSpec): Promise<string> {
    const session = this.requireSession();
    if (session.state !== 'connected') {
      throw new SimulatorStateError('WhatsApp is not connected: scan the QR code first (POST /v1/simulator/scan).');
    }
    const expectedId = spec.id ?? null;
    const watch = this.arrivals.watch();
    try {
      const id = await this.contacts.deliver(spec);
      if (!expectedId) watch.expect(id);
      else watch.expect(expectedId);
      await watch.journalled(JOURNALLED_WITHIN_MS);
      return id;
    } finally {
      watch.dispose();
    }
  }

  /** What the contacts decrypted, including everything the add-on handed to WhatsApp before this call. */
  async outbox(): Promise<OutboxEntry[]> {
    await this.contacts.settle();
    return this.contacts.outbox();
  }

  /** WhatsApp ends the connection for `reason`. */
  async disconnect(reason: DisconnectReasonName): Promise<void> {
    if (reason === 'qrExpired' || reason === 'unknown') throw new SimulatorStateError(`WhatsApp cannot end a connection with "${reason}".`);
    if (!this.network.currentLink()) throw new SimulatorStateError('There is no open connection to drop.');
    this.logger.info({ reason }, 'simulator: WhatsApp ends the connection');
    await this.network.disconnect(reason);
  }

  async stop(): Promise<void> {
    await this.network.stop();
    await this.media.close();
  }

  private requireSession(): Session {
    if (!this.session) throw new SimulatorStateError('The add-on session has not started yet.');
    return this.session;
  }
}

/** The session's view once `accept` takes it; null when that does not happen within `timeoutMs`. */
function viewWhen(session: Session, accept: (view: SessionView) => boolean, timeoutMs: number): Promise<SessionView | null> {
  const now = session.snapshot();
  if (accept(now)) return Promise.resolve(now);
  return new Promise((resolve) => {
    const onChange = (view: SessionView): void => {
      if (!accept(view)) return;
      finish(view);
    };
    const timer = setTimeout(() => finish(null), timeoutMs);
    const finish = (view: SessionView | null): void => {
      clearTimeout(timer);
      session.off('change', onChange);
      resolve(view);
    };
    session.on('change', onChange);
  });
}

export type { OutboxEntry };
