/**
 * One companion's WebSocket connection to the fake network: the Noise handshake, then encrypted
 * stanzas in both directions, iq bookkeeping for queries the server makes, and the ways a
 * connection can end (a last stanza, a clean close, a reset, or going silent).
 */
import type { Socket } from 'node:net';

import { decodeBinaryNode, encodeBinaryNode, type BinaryNode } from 'baileys';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';

import type { ServerIdentity } from './certs.js';
import { FrameReader, lengthPrefixed, NoiseServerHandshake, type HandshakeResult, type TransportCipher } from './noise-server.js';
import type { CompanionLink } from './types.js';

const DEFAULT_QUERY_TIMEOUT_MS = 10_000;
/** How long a terminated client gets to read the last stanza and close by itself. */
const TERMINATE_GRACE_MS = 2_000;

export interface ConnectionCallbacks {
  /** The handshake finished; the payload says whether this is a login or a registration. */
  onEstablished(connection: CompanionConnection, handshake: HandshakeResult): void | Promise<void>;
  /** A stanza that is not the answer to one of the server's own queries. */
  onStanza(connection: CompanionConnection, node: BinaryNode): void | Promise<void>;
  onClosed(connection: CompanionConnection): void;
}

interface PendingQuery {
  resolve: (node: BinaryNode) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

let connectionCounter = 0;

export class CompanionConnection implements CompanionLink {
  readonly id = ++connectionCounter;
  deviceJid: string | null = null;
  lidDeviceJid: string | null = null;
  /** The client's handshake result once established. */
  handshake: HandshakeResult | null = null;

  private readonly reader = new FrameReader();
  private noise: NoiseServerHandshake | null = null;
  private transport: TransportCipher | null = null;
  private readonly pending = new Map<string, PendingQuery>();
  /** Ids of stanzas the server has acknowledged, so the router does not acknowledge them twice. */
  private readonly acknowledged = new Set<string>();
  /** Decoding, in arrival order; answers to the server's queries resolve here, ahead of `dispatching`. */
  private decoding: Promise<void> = Promise.resolve();
  /** Handling of the client's own stanzas, in arrival order; a handler may await a query of its own. */
  private dispatching: Promise<void> = Promise.resolve();
  private idCounter = 0;
  private ending = false;
  private silent = false;
  private socketClosed = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly rawSocket: Socket,
    private readonly identity: ServerIdentity,
    private readonly callbacks: ConnectionCallbacks,
    private readonly logger: Logger,
  ) {
    ws.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => this.receive(toBuffer(data)));
    ws.on('error', (error) => this.logger.debug({ err: error, connection: this.id }, 'companion socket error'));
    ws.once('close', () => this.onSocketClosed());
  }

  get closed(): boolean {
    return this.ending || this.socketClosed;
  }

  /** True once the client finished the handshake and was not ended since. */
  get established(): boolean {
    return this.transport !== null && !this.closed;
  }

  /** A fresh stanza id for stanzas the server starts. */
  nextId(): string {
    return `fake-${this.id}-${++this.idCounter}`;
  }

  /** Runs `listener` once the WebSocket has closed (at once if it already has). */
  whenClosed(listener: () => void): void {
    if (this.socketClosed) listener();
    else this.ws.once('close', listener);
  }

  wasAcknowledged(id: string): boolean {
    return this.acknowledged.has(id);
  }

  send(node: BinaryNode): void {
    if (this.closed || this.silent || !this.transport) return;
    this.write(node);
  }

  query(node: BinaryNode, timeoutMs = DEFAULT_QUERY_TIMEOUT_MS): Promise<BinaryNode> {
    if (this.closed) return Promise.reject(new Error('the companion connection is closed'));
    const id = node.attrs.id || this.nextId();
    const stanza: BinaryNode = { ...node, attrs: { ...node.attrs, id } };
    return new Promise<BinaryNode>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`the companion did not answer the ${stanza.tag} ${id} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.send(stanza);
    });
  }

  terminate(last?: BinaryNode): void {
    if (this.closed) return;
    if (last && this.transport && !this.silent) this.write(last);
    this.ending = true;
    // Baileys closes the socket itself once it has read the last stanza; closing first could make it
    // report a plain "connection closed" instead of the reason the stanza carries.
    const timer = setTimeout(() => this.ws.terminate(), TERMINATE_GRACE_MS);
    this.ws.once('close', () => clearTimeout(timer));
  }

  /** Drops the TCP connection: `close` ends it cleanly (FIN), `reset` aborts it (RST). */
  drop(how: 'close' | 'reset'): void {
    this.ending = true;
    if (how === 'reset') this.rawSocket.resetAndDestroy();
    else this.ws.terminate();
  }

  /** Stops writing anything, keep-alive answers included, as a server that hangs does. */
  goSilent(): void {
    this.silent = true;
  }

  private write(node: BinaryNode): void {
    if (node.tag === 'ack' && node.attrs.id) this.acknowledged.add(node.attrs.id);
    const encrypted = this.transport!.encrypt(encodeBinaryNode(node));
    this.ws.send(lengthPrefixed(encrypted));
  }

  private receive(data: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.reader.push(data);
    } catch (error) {
      this.logger.warn({ err: error, connection: this.id }, 'companion sent a malformed stream');
      this.drop('close');
      return;
    }
    for (const frame of frames) this.decoding = this.decoding.then(() => this.handleFrame(frame)).catch((error: unknown) => this.fail(error));
  }

  private fail(error: unknown): void {
    this.logger.warn({ err: error, connection: this.id }, 'could not handle a companion frame; dropping the connection');
    this.drop('close');
  }

  private async handleFrame(frame: Buffer): Promise<void> {
    if (this.socketClosed) return;
    if (!this.noise && !this.transport) {
      this.noise = new NoiseServerHandshake(this.identity, this.reader.introHeader ?? undefined);
      this.ws.send(lengthPrefixed(this.noise.respondToHello(frame)));
      return;
    }
    if (this.noise) {
      const handshake = this.noise.finish(frame);
      this.noise = null;
      this.transport = handshake.transport;
      this.handshake = handshake;
      this.dispatching = this.dispatching.then(() => this.callbacks.onEstablished(this, handshake)).catch((error: unknown) => this.fail(error));
      return;
    }
    const node = await decodeBinaryNode(this.transport!.decrypt(frame));
    const id = node.attrs.id;
    const waiting = node.tag === 'iq' && (node.attrs.type === 'result' || node.attrs.type === 'error') && id ? this.pending.get(id) : undefined;
    if (waiting && id) {
      clearTimeout(waiting.timer);
      this.pending.delete(id);
      waiting.resolve(node);
      return;
    }
    this.dispatching = this.dispatching
      .then(() => (this.ending || this.socketClosed ? undefined : this.callbacks.onStanza(this, node)))
      .catch((error: unknown) => this.fail(error));
  }

  private onSocketClosed(): void {
    this.socketClosed = true;
    for (const [id, waiting] of this.pending) {
      clearTimeout(waiting.timer);
      waiting.reject(new Error(`the companion connection closed before it answered ${id}`));
    }
    this.pending.clear();
    this.callbacks.onClosed(this);
  }
}

function toBuffer(data: Buffer | ArrayBuffer | Buffer[]): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
