import { pino, type Logger } from 'pino';
import { redactLogLine } from './log-redaction.js';
import type { LogLevel } from './settings.js';

/** Paths that could carry secrets or personal data; pino replaces them wherever they appear. */
const REDACTED_PATHS = [
  'apiKey',
  'api_key',
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  '*.apiKey',
  '*.api_key',
  '*.authorization',
];

export function createLogger(level: LogLevel): Logger {
  return pino({
    level,
    base: undefined,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Phone numbers are masked at info level and above, wherever they appear (Baileys' lines too).
    hooks: { streamWrite: redactLogLine },
  });
}

/** `+4917612345678` → `+49…78`: enough to tell accounts apart in a log, not enough to dial. */
export function maskPhone(phone: string | null | undefined): string {
  if (!phone) return 'unknown';
  const digits = phone.replace(/\D/g, '');
  if (digits.length < 5) return '…';
  return `+${digits.slice(0, 2)}…${digits.slice(-2)}`;
}
