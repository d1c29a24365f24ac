/**
 * Why a WhatsApp connection ended, and what the session should do about it. The engine only
 * reports a reason; the session state machine looks the reason up here.
 */
import { DisconnectReason } from 'baileys';

import type { CloseInfo, DisconnectReasonName } from './types.js';

/** Baileys' text when nobody scanned any of the QR codes of one pairing attempt. */
const QR_ATTEMPTS_ENDED = 'QR refs attempts ended';
/** The `<failure reason>` WhatsApp sends when it no longer accepts the client's WA Web version. */
const CLIENT_OUTDATED_STATUS = 405;
/**
 * How long to wait before trying again with a version WhatsApp refused. Retrying sooner only
 * repeats the refusal; retrying at all picks up a newer version fetched at the next connect.
 */
export const CLIENT_OUTDATED_RETRY_MS = 3 * 60 * 60_000;

const STATUS_CODES: Readonly<Record<DisconnectReasonName, number | null>> = {
  connectionClosed: DisconnectReason.connectionClosed,
  connectionLost: DisconnectReason.connectionLost,
  connectionReplaced: DisconnectReason.connectionReplaced,
  timedOut: DisconnectReason.timedOut,
  loggedOut: DisconnectReason.loggedOut,
  badSession: DisconnectReason.badSession,
  restartRequired: DisconnectReason.restartRequired,
  multideviceMismatch: DisconnectReason.multideviceMismatch,
  forbidden: DisconnectReason.forbidden,
  unavailableService: DisconnectReason.unavailableService,
  // Baileys ends an unanswered pairing with the timedOut code.
  qrExpired: DisconnectReason.timedOut,
  clientOutdated: CLIENT_OUTDATED_STATUS,
  unknown: null,
};

export const DISCONNECT_REASON_NAMES = Object.keys(STATUS_CODES) as DisconnectReasonName[];

/** The reasons WhatsApp itself can give (the simulator can drop a connection with any of them). */
export const SIMULATED_DISCONNECT_REASONS: readonly DisconnectReasonName[] = DISCONNECT_REASON_NAMES.filter(
  (reason) => reason !== 'qrExpired' && reason !== 'unknown',
);

/** The status code Baileys uses for a reason (null for `unknown`). */
export function reasonStatusCode(reason: DisconnectReasonName): number | null {
  return STATUS_CODES[reason];
}

/**
 * The reason for a Baileys close. 408 is both `connectionLost` and `timedOut` in Baileys' enum; it is
 * what Baileys reports when the network is unreachable or keep-alives go unanswered, so it is
 * reported as `connectionLost` (both get the same policy) unless the text says the QR codes ran out.
 */
export function reasonFromClose(statusCode: number | null | undefined, message: string | null | undefined): DisconnectReasonName {
  if (message?.includes(QR_ATTEMPTS_ENDED)) return 'qrExpired';
  switch (statusCode) {
    case DisconnectReason.connectionClosed:
      return 'connectionClosed';
    case DisconnectReason.connectionLost:
      return 'connectionLost';
    case DisconnectReason.connectionReplaced:
      return 'connectionReplaced';
    case DisconnectReason.loggedOut:
      return 'loggedOut';
    case DisconnectReason.badSession:
      return 'badSession';
    case DisconnectReason.restartRequired:
      return 'restartRequired';
    case DisconnectReason.multideviceMismatch:
      return 'multideviceMismatch';
    case DisconnectReason.forbidden:
      return 'forbidden';
    case DisconnectReason.unavailableService:
      return 'unavailableService';
    case CLIENT_OUTDATED_STATUS:
      return 'clientOutdated';
    default:
      return 'unknown';
  }
}

/** The status code (Baileys' Boom errors carry one) and text of what ended a connection or request. */
function errorDetails(error: unknown): { statusCode: number | null; message: string } {
  if (!(error instanceof Error)) return { statusCode: null, message: 'Connection closed' };
  const output = (error as { output?: { statusCode?: unknown } }).output;
  const statusCode = typeof output?.statusCode === 'number' ? output.statusCode : null;
  return { statusCode, message: error.message };
}

/** What the session is told about a connection that ended with `error` (Baileys' lastDisconnect). */
export function closeInfoFromError(error: unknown): CloseInfo {
  const { statusCode, message } = errorDetails(error);
  return { reason: reasonFromClose(statusCode, message), statusCode, message };
}

/** Baileys' error for a write or query on a socket that has closed (428, "Connection Closed"). */
export function isConnectionClosedError(error: unknown): boolean {
  return errorDetails(error).statusCode === DisconnectReason.connectionClosed;
}

export type ReconnectAction =
  /** Open a new socket at once, keeping credentials. */
  | 'reconnect-now'
  /** Open a new socket after the session's backoff delay, keeping credentials. */
  | 'reconnect-backoff'
  /** Open a new socket after the policy's long `delayMs` (about hours), keeping credentials. */
  | 'reconnect-later'
  /** There is no linked account any more: wait for the user to pair again (restart or pairing code). */
  | 'logged-out'
  /** Stay disconnected, keeping credentials, until the user restarts the session. */
  | 'stop';

export interface ReconnectPolicy {
  action: ReconnectAction;
  /** Wipe the credential store before acting: the link is gone on WhatsApp's side. */
  wipeCredentials: boolean;
  /** For the user: what happened and what, if anything, to do. */
  explanation: string;
  /** For `reconnect-later`: the pause before the next attempt. */
  delayMs?: number;
}

const BACKOFF = { action: 'reconnect-backoff', wipeCredentials: false } as const;
const UNLINKED = { action: 'logged-out', wipeCredentials: true } as const;

export const RECONNECT_POLICIES: Readonly<Record<DisconnectReasonName, ReconnectPolicy>> = {
  restartRequired: {
    action: 'reconnect-now',
    wipeCredentials: false,
    explanation:
      'WhatsApp asked for a fresh connection, as it always does right after a device is linked. Reconnecting now; nothing to do.',
  },
  connectionClosed: {
    ...BACKOFF,
    explanation:
      'The connection to WhatsApp was closed (a network hiccup or a server restart). Reconnecting automatically; nothing to do.',
  },
  connectionLost: {
    ...BACKOFF,
    explanation:
      "WhatsApp's servers could not be reached or stopped answering. Reconnecting automatically; if this persists, check the internet connection of the machine running the add-on.",
  },
  timedOut: {
    ...BACKOFF,
    explanation:
      'WhatsApp did not answer in time. Reconnecting automatically; if this persists, check the internet connection of the machine running the add-on.',
  },
  unavailableService: {
    ...BACKOFF,
    explanation: 'WhatsApp reported its service as temporarily unavailable. Reconnecting automatically; nothing to do.',
  },
  badSession: {
    // Baileys reports 500 for any stream error it does not recognise and for failures without a
    // reason, which are mostly transient server-side errors. Wiping would unlink the account and
    // force a new scan on every such hiccup, so this retries; a session that is really broken keeps
    // failing and the user can re-link with a logout.
    ...BACKOFF,
    explanation:
      'WhatsApp ended the session with an internal error. Reconnecting automatically; if this keeps happening, log out and link the device again.',
  },
  unknown: {
    ...BACKOFF,
    explanation: 'The connection to WhatsApp ended for an unrecognised reason. Reconnecting automatically.',
  },
  connectionReplaced: {
    // Two clients with the same credentials take the connection from each other in turn;
    // reconnecting would start exactly that fight.
    action: 'stop',
    wipeCredentials: false,
    explanation:
      'Another program opened a WhatsApp connection with these same credentials (for example a second copy of this add-on or a restored backup running elsewhere). Not reconnecting so the two do not keep disconnecting each other: stop the other one, then restart the session.',
  },
  loggedOut: {
    ...UNLINKED,
    explanation:
      'This device was unlinked (removed under "Linked devices" on the phone, or logged out by WhatsApp). Link it again with a new QR code or pairing code.',
  },
  forbidden: {
    ...UNLINKED,
    explanation:
      'WhatsApp refused this account (403), which usually means it is banned or restricted. Check the WhatsApp app on the phone, then link the device again.',
  },
  multideviceMismatch: {
    ...UNLINKED,
    explanation:
      'WhatsApp rejected this linked device as incompatible with the account. Update WhatsApp on the phone, then link the device again.',
  },
  clientOutdated: {
    action: 'reconnect-later',
    wipeCredentials: false,
    delayMs: CLIENT_OUTDATED_RETRY_MS,
    explanation:
      'WhatsApp no longer accepts the WhatsApp Web version this add-on uses. Update the add-on (Settings → Add-ons → WhatsApp → Update). The link to your phone is kept; the add-on retries every few hours in case WhatsApp accepts it again.',
  },
  qrExpired: {
    action: 'logged-out',
    wipeCredentials: false,
    explanation:
      'Pairing ended because no QR code was scanned in time. Restart the session for new QR codes, or request a pairing code.',
  },
};

export function reconnectPolicy(reason: DisconnectReasonName): ReconnectPolicy {
  return RECONNECT_POLICIES[reason];
}
