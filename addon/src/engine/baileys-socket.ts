/**
 * Making one Baileys socket the way this service needs it, and ending it without leaving Baileys'
 * own waits behind.
 */
import makeWASocket, { type GroupMetadata, type WABrowserDescription, type WASocket, type WAVersion } from 'baileys';
import type { Logger } from 'pino';

import type { BaileysEngineOptions, SharedState } from './baileys-options.js';
import { watchConnect } from './connect-watchdog.js';
import { DurableWrites } from './durable-writes.js';
import { acknowledgeStatusesUnopened } from './status-broadcasts.js';

/** Baileys' own default: how long the WebSocket may take to open. */
const DEFAULT_CONNECT_TIMEOUT_MS = 20_000;

/** Baileys is chatty at info level: below debug it only gets to say warnings and worse. */
function baileysLogLevel(logger: Logger): string {
  if (logger.isLevelEnabled('debug') || !logger.isLevelEnabled('info')) return logger.level;
  return 'warn';
}

/**
 * `me` is left by a pairing-code request that was never confirmed on the phone. With it set, Baileys
 * would try to log in as an account that was never linked, instead of pairing afresh.
 */
function forgetUnconfirmedPairing({ auth, logger }: BaileysEngineOptions): void {
  if (!auth.state.creds.me || auth.isRegistered()) return;
  auth.state.creds.me = undefined;
  void auth.saveCreds().catch((err: unknown) => {
    logger.error({ err: (err as Error).message }, 'could not save WhatsApp credentials');
  });
}

export interface SocketRequest {
  options: BaileysEngineOptions;
  shared: SharedState;
  browser: WABrowserDescription;
  /** Undefined: Baileys' built-in version. */
  version: WAVersion | undefined;
  /** Baileys' `cachedGroupMetadata`: undefined makes it ask WhatsApp. */
  cachedGroupMetadata(jid: string): GroupMetadata | undefined;
}

export interface OpenedSocket {
  socket: WASocket;
  /** Ends the wait for the WebSocket to open; called once the connection ends. */
  stopConnectWatchdog(): void;
  /** Credential writes nothing may be sent to WhatsApp before; see durable-writes.ts. */
  writes: DurableWrites;
}

export function openBaileysSocket({ options, shared, browser, version, cachedGroupMetadata }: SocketRequest): OpenedSocket {
  const { auth, messages, logger } = options;
  forgetUnconfirmedPairing(options);
  const baileysLogger = logger.child({ component: 'baileys' }, { level: baileysLogLevel(logger) });
  const createSocket = options.createSocket ?? makeWASocket;
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const writes = new DurableWrites(logger);
  const socket = createSocket({
    // No cache in front of the keys: the credential store keeps them all in memory already. (Baileys'
    // cache also serialised every read behind the disk sync of the last write, and each reconnect
    // left one behind with its timer.)
    auth: { creds: auth.state.creds, keys: writes.keyStore(auth.state.keys) },
    logger: baileysLogger,
    browser,
    ...(version ? { version } : {}),
    markOnlineOnConnect: options.markOnline ?? false,
    syncFullHistory: false,
    // The messenger keeps what this service sends; echoed back as events, those messages would
    // look as if written on the phone.
    emitOwnEvents: false,
    getMessage: async (key) => messages.getMessageContent(key),
    cachedGroupMetadata: async (jid) => cachedGroupMetadata(jid),
    msgRetryCounterCache: shared.caches.msgRetryCounter,
    // Baileys' own per-socket retry manager would overwrite the shared counts on every connection;
    // our message store answers retries instead.
    enableRecentMessageCache: false,
    userDevicesCache: shared.caches.userDevices,
    connectTimeoutMs,
    ...(options.waWebSocketUrl ? { waWebSocketUrl: options.waWebSocketUrl } : {}),
    ...(options.qrTimeoutMs ? { qrTimeout: options.qrTimeoutMs } : {}),
    ...(options.keepAliveIntervalMs ? { keepAliveIntervalMs: options.keepAliveIntervalMs } : {}),
    ...(options.mediaTransport
      ? { fetchAgent: options.mediaTransport.uploadAgent, options: { dispatcher: options.mediaTransport.dispatcher } }
      : {}),
  });
  writes.holdFrames(socket);
  acknowledgeStatusesUnopened(socket, () => auth.state.creds.me?.id, logger);
  return { socket, stopConnectWatchdog: watchConnect(socket, connectTimeoutMs, logger), writes };
}

/**
 * Baileys' end() detaches its 'close' listeners before closing the WebSocket, so a handshake step
 * or query still waiting keeps its timer (up to a minute) after the socket is gone. Their 'error'
 * listeners stay attached: failing them ends those waits now.
 */
export function releasePendingWaits(socket: WASocket): void {
  if (socket.ws.listenerCount('error') > 0) socket.ws.emit('error', new Error('Connection ended'));
}

/** Baileys ignores a second end(), so this is safe after WhatsApp already closed the stream. */
export async function endSocket(socket: WASocket): Promise<void> {
  await socket.end(undefined);
  releasePendingWaits(socket);
}
