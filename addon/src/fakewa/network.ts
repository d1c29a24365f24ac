/**
 * The fake WhatsApp network: one object that owns the loopback endpoint, the accounts WhatsApp
 * remembers, the phone that links companions and the login service. Contacts, groups and media plug
 * in through `router` and `onLogin`. Starting it makes this process trust the network's test
 * certificate (and no longer WhatsApp's own), so only start it in simulator mode.
 */
import type { Socket } from 'node:net';

import type { BinaryNode } from 'baileys';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';

import { AccountRegistry, type AccountRecord } from './accounts.js';
import { createServerIdentity, installTestRoot, type ServerIdentity } from './certs.js';
import { CompanionConnection } from './connection.js';
import { endConnection, failWith, type SimulatedDisconnect } from './disconnects.js';
import { LoginService, type LoginListener } from './login.js';
import { Phone, type PairingCodeRequest } from './phone.js';
import { Router } from './router.js';
import { WebSocketEndpoint } from './server.js';
import type { CompanionLink, StanzaRouter } from './types.js';

export interface FakeWhatsAppNetworkOptions {
  /** Where the network keeps the accounts it remembers (created when missing). */
  dataDir: string;
  logger: Logger;
  /** How many QR refs a pairing companion gets; default 6. */
  qrRefCount?: number;
}

export class FakeWhatsAppNetwork {
  readonly router: StanzaRouter;
  private readonly connections = new Set<CompanionConnection>();
  private latest: CompanionConnection | null = null;
  private stopped = false;

  private constructor(
    private readonly endpoint: WebSocketEndpoint,
    readonly accounts: AccountRegistry,
    private readonly routerImpl: Router,
    private readonly login: LoginService,
    private readonly phone: Phone,
    private readonly logger: Logger,
  ) {
    this.router = routerImpl;
  }

  static async start(options: FakeWhatsAppNetworkOptions): Promise<FakeWhatsAppNetwork> {
    const logger = options.logger.child({ component: 'fake-whatsapp' });
    installTestRoot();
    const identity = createServerIdentity();
    const accounts = await AccountRegistry.open(options.dataDir, logger);
    const router = new Router(logger);
    const login = new LoginService(accounts, logger);
    const phone = new Phone(accounts, logger, { refCount: options.qrRefCount });
    router.on(login.handle);
    router.on(phone.handle);
    let network: FakeWhatsAppNetwork | null = null;
    const endpoint = await WebSocketEndpoint.listen((ws, rawSocket) => network?.accept(ws, rawSocket, identity), logger);
    network = new FakeWhatsAppNetwork(endpoint, accounts, router, login, phone, logger);
    logger.info('fake WhatsApp network listening on the loopback interface');
    return network;
  }

  /** The URL to give Baileys as `waWebSocketUrl`. */
  get url(): string {
    return this.endpoint.url;
  }

  /** Runs after a companion has logged in and uploaded its keys, before the offline marker is sent. */
  onLogin(listener: LoginListener): void {
    this.login.onLogin(listener);
  }

  /** The account a connection is logged in as, if any. */
  accountOf(link: CompanionLink): AccountRecord | undefined {
    return link instanceof CompanionConnection ? this.login.accountOf(link) : undefined;
  }

  /** The newest connection that finished its handshake and is still open. */
  currentLink(): CompanionLink | null {
    return this.latest && !this.latest.closed ? this.latest : null;
  }

  /** Every open, logged-in connection of a phone (digits). */
  linksOf(phone: string): CompanionLink[] {
    const digits = phone.replace(/\D/g, '');
    return [...this.connections].filter((link) => !link.closed && this.login.accountOf(link)?.phone === digits);
  }

  /** The phone of `phoneDigits` scans the QR string the companion shows. Resolves once linked. */
  scan(qr: string, phoneDigits: string, name?: string): Promise<AccountRecord> {
    return this.phone.scan(qr, phoneDigits, name ?? null);
  }

  /** The user types the companion's pairing code on the phone of `phoneDigits`. Resolves once linked. */
  confirmPairingCode(code: string, phoneDigits: string, name?: string): Promise<AccountRecord> {
    return this.phone.confirmPairingCode(code, phoneDigits, name ?? null);
  }

  /** Pairing-code requests companions made, and whether the network accepted them. */
  get pairingCodeRequests(): readonly PairingCodeRequest[] {
    return this.phone.pairingCodeRequests;
  }

  /**
   * Ends the current connection as WhatsApp does for `reason`. `loggedOut` also unlinks the device,
   * as removing it on the phone does.
   */
  async disconnect(reason: SimulatedDisconnect, link: CompanionLink | null = this.currentLink()): Promise<void> {
    if (!(link instanceof CompanionConnection) || link.closed) throw new Error('no companion is connected');
    if (reason === 'loggedOut') {
      const account = this.login.accountOf(link);
      if (account) await this.accounts.unlink(account.phone);
    }
    endConnection(link, reason);
  }

  /** Ends the current connection with `<failure reason=…>` of any code. */
  fail(reason: number, link: CompanionLink | null = this.currentLink()): void {
    if (!(link instanceof CompanionConnection) || link.closed) throw new Error('no companion is connected');
    failWith(link, reason);
  }

  /** The next `count` connection attempts get an HTTP `status` (403, 503, 302…) instead of a WebSocket. */
  failUpgrades(status: number, count: number): void {
    this.endpoint.failUpgrades(status, count);
  }

  get refusedUpgrades(): number {
    return this.endpoint.refusedUpgrades;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.endpoint.close();
    await this.accounts.save();
  }

  private accept(ws: WebSocket, rawSocket: Socket, identity: ServerIdentity): void {
    const connection = new CompanionConnection(ws, rawSocket, identity, {
      onEstablished: (link, handshake) => {
        this.latest = link;
        if (handshake.payload.devicePairingData) this.phone.startRegistration(link, handshake);
        else this.login.admit(link, handshake);
      },
      onStanza: (link, node: BinaryNode) => this.routerImpl.dispatch(node, link),
      onClosed: (link) => {
        this.connections.delete(link);
        if (this.latest === link) this.latest = null;
      },
    }, this.logger);
    this.connections.add(connection);
  }
}
