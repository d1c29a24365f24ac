/** How the Baileys engine is set up, and what its connections share across reconnects. */
import type { UserFacingSocketConfig, WASocket } from 'baileys';
import type { Agent as HttpsAgent } from 'node:https';
import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';

import type { DurableAuthState } from '../auth/auth-store.js';
import type { MessageStore } from '../auth/message-store.js';
import { createSharedSocketCaches, type SharedSocketCaches } from './cache-store.js';
import { GroupNames } from './group-directory.js';
import { WaVersionSource, type VersionFetcher } from './wa-version.js';

export interface BaileysEngineOptions {
  auth: DurableAuthState;
  messages: MessageStore;
  logger: Logger;
  /** Show this device as online. Off by default so the phone keeps getting notifications. */
  markOnline?: boolean;
  /** Where to reach WhatsApp; tests point it at a loopback server. */
  waWebSocketUrl?: string;
  /** The name the phone lists under "Linked devices". */
  deviceName?: string;
  /** How long the WebSocket may take to open before the connection is given up. */
  connectTimeoutMs?: number;
  /** Makes the socket; tests wrap Baileys' own to reach the real socket's event emitter. */
  createSocket?: (config: UserFacingSocketConfig) => WASocket;
  /**
   * Ask WhatsApp Web for the current client version before connecting (briefly; the built-in
   * version is the fallback). Off unless the caller turns it on, and never done when
   * `waWebSocketUrl` is set: tests and the fake network must not reach WhatsApp.
   */
  fetchLatestVersion?: boolean;
  /** Replaces the fetch from WhatsApp Web (tests). */
  versionFetcher?: VersionFetcher;
  versionFetchTimeoutMs?: number;
  /** How long to wait for WhatsApp to accept or refuse a pairing-code request. */
  pairingReplyTimeoutMs?: number;
  /** How long group metadata is trusted before Baileys asks WhatsApp again. */
  groupMetadataTtlMs?: number;
  /** How long the sender's phone gets to upload expired media again. */
  mediaReuploadTimeoutMs?: number;
  /** How media reaches WhatsApp's media hosts; the fake network routes them to its loopback host. */
  mediaTransport?: MediaTransport;
  /** Lifetime of each QR code; WhatsApp's own (60 s, then 20 s) when absent. */
  qrTimeoutMs?: number;
  /** How often Baileys pings WhatsApp; it gives up on a silent connection after this plus 5 s. */
  keepAliveIntervalMs?: number;
  /** How long a logout waits for WhatsApp to confirm the unlink before the device is forgotten anyway. */
  logoutTimeoutMs?: number;
}

export interface MediaTransport {
  /** Carries Baileys' uploads (`https.request`). */
  uploadAgent: HttpsAgent;
  /** Carries downloads (`fetch`). */
  dispatcher: Dispatcher;
}

/** What one engine's connections share: what must survive a reconnect. */
export interface SharedState {
  caches: SharedSocketCaches;
  versions: WaVersionSource;
  groupNames: GroupNames;
}

export function createSharedState(options: BaileysEngineOptions): SharedState {
  return {
    caches: createSharedSocketCaches(),
    groupNames: new GroupNames(),
    versions: new WaVersionSource({
      enabled: (options.fetchLatestVersion ?? false) && !options.waWebSocketUrl,
      fetcher: options.versionFetcher,
      timeoutMs: options.versionFetchTimeoutMs,
      logger: options.logger,
    }),
  };
}
