/**
 * libsignal (under Baileys) writes to the console whenever it opens, closes or migrates a Signal
 * session, with the whole session record: ratchet, chain and root keys in clear, in the add-on's
 * log, which users paste into bug reports. Formatting those records also costs CPU on every new
 * session whatever the log level. Its session lines go to our logger as one short line at debug,
 * without the record; everything else written to the console passes unchanged.
 */
import type { Logger } from 'pino';

/** How libsignal's session lines begin; they carry a session record or nothing worth a warning. */
const SESSION_LINES = [
  'Closing session:',
  'Opening session:',
  'Removing old closed session:',
  'Migrating session to:',
  'Session already closed',
  'Session already open',
  'Closing open session in favor of incoming prekey bundle',
  'Decrypted message with closed session.',
];

const quieted = new WeakSet<Console>();

function isSessionLine(first: unknown): first is string {
  return typeof first === 'string' && SESSION_LINES.some((line) => first.startsWith(line));
}

/** Idempotent per console; the first logger given keeps the lines (libsignal does not say whose socket spoke). */
export function quietSignalSessionLogs(logger: Logger, target: Console = console): void {
  if (quieted.has(target)) return;
  quieted.add(target);
  const log = logger.child({ component: 'signal' });
  for (const method of ['info', 'warn', 'log'] as const) {
    const original = target[method].bind(target);
    target[method] = (...args: unknown[]): void => {
      const [first] = args;
      if (!isSessionLine(first)) {
        original(...args);
        return;
      }
      if (log.isLevelEnabled('debug')) log.debug(first.replace(/:$/, ''));
    };
  }
}
