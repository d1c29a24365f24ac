/**
 * How this device presents itself, and pairing by code.
 *
 * WhatsApp lists a linked device under the name it registered with (the first element of Baileys'
 * browser description), so that element says "Home Assistant". But when a pairing code is
 * requested Baileys also sends `platform_display` as "<browser> (<first element>)", and WhatsApp
 * refuses anything but a real browser on a real operating system there. So for the duration of
 * that request the description names the operating system, and names the device again afterwards.
 *
 * Baileys sends the request without waiting for WhatsApp's answer and returns a code that cannot
 * work when WhatsApp refused. Here the answer is awaited, and a refusal becomes an error.
 */
import { Browsers, type BinaryNode, type WABrowserDescription, type WASocket } from 'baileys';
import type { Logger } from 'pino';

import { EngineRequestError } from './types.js';

const BROWSER = 'Chrome';
/** A platform WhatsApp accepts for pairing codes: Baileys' own default, Chrome on macOS. */
const CANONICAL_PLATFORM = Browsers.macOS(BROWSER);
const DEFAULT_DEVICE_NAME = 'Home Assistant';
/** WhatsApp answers a pairing-code request within a second or two. */
const PAIRING_REPLY_TIMEOUT_MS = 8_000;

/**
 * The description given to Baileys. The same array is read again when a pairing code is requested,
 * which is what lets `requestConfirmedPairingCode` swap its first element for that one request.
 */
export function companionBrowser(deviceName = DEFAULT_DEVICE_NAME): WABrowserDescription {
  return [deviceName, BROWSER, CANONICAL_PLATFORM[2]];
}

type PairingAnswer = { accepted: true } | { accepted: false; code: number; text: string } | { accepted: null };

function errorOf(node: BinaryNode): { code: number; text: string } {
  const error = Array.isArray(node.content) ? node.content.find((child) => child.tag === 'error') : undefined;
  const code = Number(error?.attrs.code);
  return { code: Number.isFinite(code) ? code : 500, text: error?.attrs.text ?? 'error' };
}

function isPairingResult(node: BinaryNode): boolean {
  return Array.isArray(node.content) && node.content.some((child) => child.tag === 'link_code_companion_reg');
}

/** WhatsApp's answer to the request about to be sent: the first pairing result or iq error. */
function awaitPairingAnswer(socket: WASocket, timeoutMs: number, abandon: AbortSignal): { answer: Promise<PairingAnswer>; cancel(): void } {
  const { ws } = socket;
  let cancel = (): void => undefined;
  const answer = new Promise<PairingAnswer>((resolve) => {
    const onResult = (node: BinaryNode): void => {
      if (isPairingResult(node)) finish({ accepted: true });
    };
    const onError = (node: BinaryNode): void => finish({ accepted: false, ...errorOf(node) });
    const onAbandon = (): void => finish({ accepted: null });
    const timer = setTimeout(onAbandon, timeoutMs);
    const finish = (value: PairingAnswer): void => {
      cancel();
      resolve(value);
    };
    cancel = () => {
      clearTimeout(timer);
      ws.off('CB:iq,type:result', onResult);
      ws.off('CB:iq,type:error', onError);
      abandon.removeEventListener('abort', onAbandon);
    };
    ws.on('CB:iq,type:result', onResult);
    ws.on('CB:iq,type:error', onError);
    abandon.addEventListener('abort', onAbandon, { once: true });
  });
  return { answer, cancel };
}

function refusal(code: number, text: string): EngineRequestError {
  if (code === 429) {
    return new EngineRequestError(429, 'pairing_rate_limited', 'WhatsApp refused the pairing-code request: too many requests. Wait a few minutes, or link by scanning the QR code.');
  }
  if (code >= 400 && code < 500) {
    return new EngineRequestError(
      400,
      'pairing_code_refused',
      `WhatsApp refused the pairing-code request (${code} ${text}). Check the phone number (with country code), or link by scanning the QR code.`,
    );
  }
  return new EngineRequestError(502, 'pairing_code_failed', `WhatsApp could not create a pairing code (${code} ${text}). Try again in a minute, or link by scanning the QR code.`);
}

export interface PairingRequest {
  socket: WASocket;
  /** The array given to Baileys as `browser`. */
  browser: WABrowserDescription;
  phoneDigits: string;
  replyTimeoutMs?: number;
  /** Fires when the connection ends. */
  abandon: AbortSignal;
  logger: Logger;
}

/** Asks WhatsApp for a pairing code; resolves only with a code WhatsApp did not refuse. */
export async function requestConfirmedPairingCode(request: PairingRequest): Promise<string> {
  const { socket, browser, abandon, logger } = request;
  const { answer, cancel } = awaitPairingAnswer(socket, request.replyTimeoutMs ?? PAIRING_REPLY_TIMEOUT_MS, abandon);
  const deviceName = browser[0];
  browser[0] = CANONICAL_PLATFORM[0];
  let code: string;
  try {
    code = await socket.requestPairingCode(request.phoneDigits);
  } catch (err) {
    cancel();
    throw err;
  } finally {
    browser[0] = deviceName;
  }
  const reply = await answer;
  if (reply.accepted === false) {
    logger.warn({ code: reply.code, text: reply.text }, 'WhatsApp refused the pairing-code request');
    throw refusal(reply.code, reply.text);
  }
  if (reply.accepted === null) {
    if (abandon.aborted) {
      throw new EngineRequestError(503, 'not_connected', 'The connection to WhatsApp ended before the pairing code was confirmed. Try again.');
    }
    // Production always answers; a missing answer is no proof the code fails, so it is handed out.
    logger.warn('WhatsApp did not confirm the pairing-code request in time; the code may not work');
  }
  return code;
}
