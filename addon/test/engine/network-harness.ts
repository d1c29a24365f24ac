/**
 * The real BaileysEngine (with the add-on's credential and message stores) on the fake WhatsApp
 * network: its contacts, groups and media host. A tiny driver stands in for the session: it
 * reconnects after the restart WhatsApp asks for once pairing is done, and records what the
 * engine reports, in order.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { pino, type Logger } from 'pino';

import { openAuthStore, type DurableAuthState } from '../../src/auth/auth-store.js';
import { openMessageStore, type MessageStore } from '../../src/auth/message-store.js';
import { BaileysEngine } from '../../src/engine/baileys.js';
import type { BaileysEngineOptions } from '../../src/engine/baileys-options.js';
import type { CloseInfo, EngineConnection } from '../../src/engine/types.js';
import { FakeContacts } from '../../src/fakewa/contacts.js';
import { startFakeMedia, type FakeMedia } from '../../src/fakewa/media.js';
import { FakeWhatsAppNetwork } from '../../src/fakewa/network.js';
import type { JournalInput, MessageData } from '../../src/journal/types.js';
import { installLoopbackGuard, type LoopbackGuard } from '../helpers/loopback-only.js';

export const ACCOUNT_PHONE = '15550000001';
export const ACCOUNT_JID = `${ACCOUNT_PHONE}@s.whatsapp.net`;
export const ALICE = '4917612345678';
export const ALICE_JID = `${ALICE}@s.whatsapp.net`;
export const ALICE_LID = '123456789012345';
export const BOB = '447700900123';
export const FAMILY = '120363000000000001@g.us';

export type Reported = { type: 'event'; event: JournalInput } | { type: 'close'; info: CloseInfo } | { type: 'open' } | { type: 'qr'; code: string };

export interface NetworkHarnessOptions {
  engine?: Partial<BaileysEngineOptions>;
  /** Keep the data of an earlier harness (a restart). */
  dir?: string;
  logger?: Logger;
}

export async function until<T>(probe: () => T | undefined | null | false, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export class NetworkHarness {
  readonly reported: Reported[] = [];
  connection: EngineConnection | null = null;
  /** Reconnect when WhatsApp asks for a restart (after pairing), as the session does. */
  reconnectOnRestart = true;

  private constructor(
    readonly dir: string,
    readonly network: FakeWhatsAppNetwork,
    readonly contacts: FakeContacts,
    readonly media: FakeMedia,
    readonly auth: DurableAuthState,
    readonly messages: MessageStore,
    readonly engine: BaileysEngine,
    private readonly guard: LoopbackGuard,
  ) {}

  static async start(options: NetworkHarnessOptions = {}): Promise<NetworkHarness> {
    const guard = installLoopbackGuard();
    const logger = options.logger ?? pino({ level: process.env.NETWORK_TEST_LOG ?? 'silent' });
    const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'network-engine-')));
    const network = await FakeWhatsAppNetwork.start({ dataDir: join(dir, 'network'), logger });
    const media = await startFakeMedia(network.router, { dir: join(dir, 'media'), logger });
    const contacts = await FakeContacts.open({
      dataDir: join(dir, 'contacts'),
      logger,
      uploadMedia: (bytes, mediaType) => media.host.uploadMedia(bytes, mediaType),
      downloadMedia: (reference) => media.host.downloadMedia(reference),
      rememberMedia: (id, sent) => media.retries.remember(id, sent),
    });
    contacts.attach(network);
    const auth = await openAuthStore(join(dir, 'auth'), logger);
    const messages = await openMessageStore(join(dir, 'messages'), {}, logger);
    const engine = new BaileysEngine({
      auth,
      messages,
      logger,
      waWebSocketUrl: network.url,
      mediaTransport: { uploadAgent: media.transport.uploadAgent, dispatcher: media.transport.dispatcher },
      ...options.engine,
    });
    return new NetworkHarness(dir, network, contacts, media, auth, messages, engine, guard);
  }

  connect(): EngineConnection {
    const connection = this.engine.connect({
      onQr: (code) => void this.reported.push({ type: 'qr', code }),
      onOpen: () => void this.reported.push({ type: 'open' }),
      onClose: (info) => {
        this.reported.push({ type: 'close', info });
        if (this.connection === connection) this.connection = null;
        if (info.reason === 'restartRequired' && this.reconnectOnRestart) this.connect();
      },
      onEvent: (event) => {
        this.reported.push({ type: 'event', event });
        return Promise.resolve(true);
      },
    });
    this.connection = connection;
    return connection;
  }

  /** Links the engine to the account by QR (or just connects when it is linked already), until open. */
  async linkAndOpen(): Promise<void> {
    const opens = this.count('open');
    if (this.engine.isRegistered()) {
      this.connect();
    } else {
      const qrs = this.count('qr');
      this.connect();
      const qr = await until(() => this.reported.filter((r) => r.type === 'qr')[qrs], 'a QR code');
      await this.network.scan((qr as { code: string }).code, ACCOUNT_PHONE, 'Home');
    }
    await until(() => this.count('open') > opens, 'the connection to open');
  }

  count(type: Reported['type']): number {
    return this.reported.filter((r) => r.type === type).length;
  }

  /** The journal events the engine reported, in order. */
  events(): JournalInput[] {
    return this.reported.flatMap((r) => (r.type === 'event' ? [r.event] : []));
  }

  messageData(id: string): MessageData | undefined {
    const found = this.events().find((event) => event.type === 'message' && (event.data as MessageData).id === id);
    return found?.data as MessageData | undefined;
  }

  waitForMessage(id: string, timeoutMs = 10_000): Promise<MessageData> {
    return until(() => this.messageData(id), `message ${id} to be journalled`, timeoutMs);
  }

  closes(): CloseInfo[] {
    return this.reported.flatMap((r) => (r.type === 'close' ? [r.info] : []));
  }

  /** Ends the engine's connection and the network; keeps the data directory when `keepData`. */
  async stop(keepData = false): Promise<void> {
    this.reconnectOnRestart = false;
    await this.connection?.close();
    await this.auth.flush();
    await this.messages.flush();
    await this.network.stop();
    await this.media.close();
    this.guard.restore();
    if (!keepData) await rm(this.dir, { recursive: true, force: true });
    this.guard.assertClean();
  }
}
