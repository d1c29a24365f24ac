/**
 * The fake network's media host: WhatsApp's upload and download servers on the loopback interface.
 *
 * Baileys uploads the encrypted file with `POST https://{host}/mms/{type}/{fileEncSha256}?auth=…&token=…`
 * and expects JSON naming the stored file (`url`, `direct_path`); it downloads with
 * `GET https://mmg.whatsapp.net{direct_path}`. The media transport (media-transport.ts) sends those
 * requests here as plain HTTP. Fake contacts use uploadMedia/downloadMedia directly.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { MediaType } from 'baileys';
import { pino, type Logger } from 'pino';

import { decryptMedia, encryptMedia, type DecryptExpectations } from './media-crypto.js';
import { MediaBlobStore } from './media-store.js';
import type { MediaRoute } from './media-transport.js';

/** The host Baileys builds download URLs with when a message names none. */
export const DEFAULT_DOWNLOAD_HOST = 'mmg.whatsapp.net';

export interface MediaHostOptions {
  /** Hosts announced in `media_conn`, first = primary. They resolve nowhere: only the media transport reaches them. */
  hostnames?: readonly string[];
  /** Persist blobs and paths here so they survive a restart; memory only when absent. */
  dir?: string;
  maxMemoryBytes?: number;
  maxUploadBytes?: number;
  /** How long a direct path stays downloadable before it answers 404 (expired media). */
  mediaTtlMs?: number;
  /** `media_conn` `ttl`: seconds until Baileys asks for a new one. */
  connTtlSeconds?: number;
  /** `media_conn` `auth_ttl`: seconds an upload token stays valid. */
  authTtlSeconds?: number;
  logger?: Logger;
}

/** What `media_conn` announces. */
export interface MediaConnection {
  auth: string;
  ttlSeconds: number;
  authTtlSeconds: number;
  maxBuckets: number;
  hosts: Array<{ hostname: string; maxContentLengthBytes: number }>;
}

/** What a contact needs to put into an image/video/audio/document message it sends. */
export interface UploadedMedia {
  url: string;
  directPath: string;
  mediaKey: Buffer;
  fileSha256: Buffer;
  fileEncSha256: Buffer;
  fileLength: number;
  /** Seconds since the epoch, as messages carry it. */
  mediaKeyTimestamp: number;
}

/** Where a media message's file lives and how to open it. */
export interface MediaReference extends DecryptExpectations {
  directPath?: string | null;
  url?: string | null;
  mediaKey: Uint8Array;
  mediaType: MediaType;
}

export class MediaNotFoundError extends Error {
  override readonly name = 'MediaNotFoundError';
}

const DEFAULT_HOSTNAMES = ['media-lo0-1.cdn.whatsapp.net', DEFAULT_DOWNLOAD_HOST];
const DEFAULT_MAX_UPLOAD_BYTES = 100 * 1024 * 1024;
const DEFAULT_MEDIA_TTL_MS = 14 * 24 * 60 * 60 * 1000;
const CONN_TTL_SECONDS = 300;
const AUTH_TTL_SECONDS = 21600;
const MAX_BUCKETS = 12;

/** The first directory of a direct path names the file's class; WhatsApp's differ by kind. */
const DIRECT_PATH_CLASS: Record<string, string> = {
  '/mms/image': 't62.7118-24',
  '/mms/video': 't62.7161-24',
  '/mms/audio': 't62.7117-24',
  '/mms/document': 't62.7119-24',
};

export class MediaHost implements MediaRoute {
  readonly hostnames: readonly string[];
  private readonly store: MediaBlobStore;
  private readonly logger: Logger;
  private readonly maxUploadBytes: number;
  private readonly mediaTtlMs: number;
  private readonly connTtlSeconds: number;
  private readonly authTtlSeconds: number;
  /** Upload tokens handed out, with the epoch ms they stop working. */
  private readonly authTokens = new Map<string, number>();
  private currentAuth: string | null = null;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    options: MediaHostOptions,
  ) {
    this.hostnames = [...(options.hostnames ?? DEFAULT_HOSTNAMES)].map((name) => name.toLowerCase());
    this.store = new MediaBlobStore({
      ...(options.dir ? { dir: options.dir } : {}),
      ...(options.maxMemoryBytes ? { maxMemoryBytes: options.maxMemoryBytes } : {}),
    });
    this.logger = options.logger ?? pino({ level: 'silent' });
    this.maxUploadBytes = options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
    this.mediaTtlMs = options.mediaTtlMs ?? DEFAULT_MEDIA_TTL_MS;
    this.connTtlSeconds = options.connTtlSeconds ?? CONN_TTL_SECONDS;
    this.authTtlSeconds = options.authTtlSeconds ?? AUTH_TTL_SECONDS;
  }

  static async start(options: MediaHostOptions = {}): Promise<MediaHost> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const host = new MediaHost(server, (server.address() as AddressInfo).port, options);
    server.on('request', (request, response) => {
      host.handle(request, response).catch((error: unknown) => {
        host.logger.warn({ err: error }, 'media host request failed');
        if (!response.headersSent) respondJson(response, 500, { error: 'internal' });
        else response.destroy();
      });
    });
    return host;
  }

  servesHostname(hostname: string): boolean {
    const name = hostname.toLowerCase();
    return name === DEFAULT_DOWNLOAD_HOST || this.hostnames.includes(name);
  }

  /** The `media_conn` answer: a token that stays the same until it is close to expiring. */
  describeConnection(now = Date.now()): MediaConnection {
    const expiresAt = this.currentAuth ? this.authTokens.get(this.currentAuth) : undefined;
    if (!this.currentAuth || expiresAt === undefined || expiresAt - now < this.connTtlSeconds * 1000) {
      this.rotateAuth(now);
    }
    return {
      auth: this.currentAuth as string,
      ttlSeconds: this.connTtlSeconds,
      authTtlSeconds: this.authTtlSeconds,
      maxBuckets: MAX_BUCKETS,
      hosts: this.hostnames.map((hostname) => ({ hostname, maxContentLengthBytes: this.maxUploadBytes })),
    };
  }

  /** Issues a new upload token; older ones keep working until their own expiry. */
  rotateAuth(now = Date.now()): string {
    for (const [token, expiresAt] of this.authTokens) if (expiresAt <= now) this.authTokens.delete(token);
    this.currentAuth = randomBytes(24).toString('base64');
    this.authTokens.set(this.currentAuth, now + this.authTtlSeconds * 1000);
    return this.currentAuth;
  }

  /** A contact uploads a file: encrypted exactly as a phone does, stored, and described for its message. */
  async uploadMedia(plaintext: Uint8Array, mediaType: MediaType): Promise<UploadedMedia> {
    const encrypted = await encryptMedia(plaintext, mediaType);
    const location = await this.storeEncrypted(encrypted.encrypted, uploadPrefixOf(mediaType));
    return {
      ...location,
      mediaKey: encrypted.mediaKey,
      fileSha256: encrypted.fileSha256,
      fileEncSha256: encrypted.fileEncSha256,
      fileLength: encrypted.fileLength,
      mediaKeyTimestamp: Math.floor(Date.now() / 1000),
    };
  }

  /** A contact opens a file the account sent: found by direct path or url, verified and decrypted. */
  async downloadMedia(reference: MediaReference): Promise<Buffer> {
    const pathname = this.pathnameOf(reference);
    const encrypted = pathname ? await this.blobAt(pathname) : null;
    if (!encrypted) throw new MediaNotFoundError('no such media, or it expired');
    return decryptMedia(encrypted, reference.mediaKey, reference.mediaType, reference);
  }

  /** WhatsApp forgets a direct path (as it does after a while): downloads of it answer 404. */
  async expire(directPathOrUrl: string): Promise<boolean> {
    return this.store.unbindPath(pathnameOf(directPathOrUrl));
  }

  /**
   * The sender's phone uploads the same file again (its answer to a media retry request): a new
   * direct path for bytes still stored, or null when they are gone.
   */
  async reupload(fileEncSha256: Uint8Array, mediaType: MediaType): Promise<{ url: string; directPath: string } | null> {
    const blobId = Buffer.from(fileEncSha256).toString('hex');
    if (!(await this.store.getBlob(blobId))) return null;
    return this.bindNewPath(blobId, uploadPrefixOf(mediaType));
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const hostname = (request.headers.host ?? '').replace(/:\d+$/, '');
    if (!this.servesHostname(hostname)) {
      respondJson(response, 421, { error: 'unknown host' });
      return;
    }
    const url = new URL(request.url ?? '/', `https://${hostname}`);
    if (request.method === 'POST') {
      await this.handleUpload(request, response, url);
      return;
    }
    if (request.method === 'GET' || request.method === 'HEAD') {
      await this.handleDownload(request, response, url);
      return;
    }
    respondJson(response, 405, { error: 'method not allowed' });
  }

  private async handleUpload(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    const auth = url.searchParams.get('auth') ?? '';
    const authExpiresAt = this.authTokens.get(auth);
    if (authExpiresAt === undefined || authExpiresAt <= Date.now()) {
      request.resume();
      respondJson(response, 401, { error: 'bad auth' });
      return;
    }
    const slash = url.pathname.lastIndexOf('/');
    const prefix = url.pathname.slice(0, slash);
    const token = url.pathname.slice(slash + 1);
    const body = await readBody(request, this.maxUploadBytes);
    if (!body) {
      respondJson(response, 413, { error: 'too large' });
      return;
    }
    if (uploadTokenOf(body) !== token) {
      respondJson(response, 400, { error: 'hash mismatch' });
      return;
    }
    const location = await this.storeEncrypted(body, prefix);
    this.logger.debug({ bytes: body.length, prefix }, 'fake media host stored an upload');
    respondJson(response, 200, { url: location.url, direct_path: location.directPath });
  }

  private async handleDownload(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    const blob = await this.blobAt(url.pathname);
    if (!blob) {
      respondJson(response, 404, { error: 'not found' });
      return;
    }
    const range = parseRange(request.headers.range, blob.length);
    if (range === 'unsatisfiable') {
      response.writeHead(416, { 'Content-Range': `bytes */${blob.length}` }).end();
      return;
    }
    const [start, end] = range ?? [0, blob.length - 1];
    const headers: Record<string, string | number> = {
      'Content-Type': 'application/octet-stream',
      'Content-Length': end - start + 1,
      'Accept-Ranges': 'bytes',
    };
    if (range) headers['Content-Range'] = `bytes ${start}-${end}/${blob.length}`;
    response.writeHead(range ? 206 : 200, headers);
    response.end(request.method === 'HEAD' ? undefined : blob.subarray(start, end + 1));
  }

  private async storeEncrypted(encrypted: Uint8Array, uploadPrefix: string): Promise<{ url: string; directPath: string }> {
    const blobId = await this.store.putBlob(encrypted);
    return this.bindNewPath(blobId, uploadPrefix);
  }

  private async bindNewPath(blobId: string, uploadPrefix: string): Promise<{ url: string; directPath: string }> {
    const expiresAt = Date.now() + this.mediaTtlMs;
    const fileClass = DIRECT_PATH_CLASS[uploadPrefix] ?? 't62.7114-24';
    const name = `${randomDigits(8)}_${randomDigits(15)}_${randomDigits(16)}_n.enc`;
    const pathname = `/v/${fileClass}/${name}`;
    await this.store.bindPath(pathname, { blobId, expiresAt });
    const query = `ccb=11-4&oh=01_${randomBytes(18).toString('base64url')}&oe=${Math.floor(expiresAt / 1000).toString(16).toUpperCase()}&_nc_sid=5e03e0`;
    const directPath = `${pathname}?${query}`;
    return { directPath, url: `https://${DEFAULT_DOWNLOAD_HOST}${directPath}&mms3=true` };
  }

  private async blobAt(pathname: string): Promise<Buffer | null> {
    const binding = await this.store.resolvePath(pathname);
    return binding ? this.store.getBlob(binding.blobId) : null;
  }

  private pathnameOf(reference: MediaReference): string | null {
    if (reference.directPath) return pathnameOf(reference.directPath);
    if (!reference.url) return null;
    const url = new URL(reference.url);
    return this.servesHostname(url.hostname) ? url.pathname : null;
  }
}

function pathnameOf(directPathOrUrl: string): string {
  return new URL(directPathOrUrl, `https://${DEFAULT_DOWNLOAD_HOST}`).pathname;
}

/** The `token` Baileys puts in the upload URL: the blob's SHA-256 in URL-safe base64 without padding. */
function uploadTokenOf(encrypted: Uint8Array): string {
  return createHash('sha256').update(encrypted).digest('base64url');
}

function uploadPrefixOf(mediaType: MediaType): string {
  if (mediaType === 'image' || mediaType === 'sticker') return '/mms/image';
  if (mediaType === 'video' || mediaType === 'gif' || mediaType === 'ptv') return '/mms/video';
  if (mediaType === 'audio' || mediaType === 'ptt') return '/mms/audio';
  if (mediaType === 'document') return '/mms/document';
  return `/mms/${mediaType}`;
}

function randomDigits(count: number): string {
  let digits = String(1 + (randomBytes(1)[0] as number) % 9);
  while (digits.length < count) digits += String((randomBytes(1)[0] as number) % 10);
  return digits;
}

/** `[start, end]` (inclusive) of a single `bytes=` range; null without one. */
function parseRange(header: string | undefined, size: number): [number, number] | null | 'unsatisfiable' {
  const match = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!match) return null;
  const [, from = '', to = ''] = match;
  let start: number;
  let end: number;
  if (from === '') {
    const suffix = Number(to);
    start = Math.max(size - suffix, 0);
    end = size - 1;
  } else {
    start = Number(from);
    end = to === '' ? size - 1 : Math.min(Number(to), size - 1);
  }
  if (start >= size || start > end) return 'unsatisfiable';
  return [start, end];
}

async function readBody(request: IncomingMessage, limit: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of request) {
    const bytes = chunk as Buffer;
    length += bytes.length;
    if (length > limit) {
      request.resume();
      return null;
    }
    chunks.push(bytes);
  }
  return Buffer.concat(chunks);
}

function respondJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  response.end(text);
}
