/**
 * Prints V8's old-space ceiling, in MiB, for the settings the service is about to start with (the
 * same environment and options file it reads), for `node --max-old-space-size=…`:
 *
 *   BASE_MB + PER_ACCOUNT_MB × max_accounts   (WA_MAX_ACCOUNTS; default 5 → 256 MiB)
 *
 * Without a ceiling V8 sizes the heap from the machine's memory and keeps what a burst made it
 * reserve. The journal, message store and idempotency records live on disk, so retention settings
 * need no heap: what does is each account's socket, Signal sessions and bounded caches. WA_HEAP_LIMIT_MB
 * overrides the computed figure. Used by `npm start` and the container's run script.
 */
import { loadSettings } from '../dist/src/settings.js';

/** The service itself: HTTP server, web page, logger, Baileys' code and tables, headroom for GC. */
const BASE_MB = 96;
/** One linked account: its socket and event buffer, Signal sessions, caches, a burst in flight. */
const PER_ACCOUNT_MB = 32;
const DEFAULT_MAX_ACCOUNTS = 5;

function maxAccounts() {
  try {
    return loadSettings().maxAccounts ?? DEFAULT_MAX_ACCOUNTS;
  } catch {
    // Settings the service will refuse: it starts anyway and says what is wrong.
    return DEFAULT_MAX_ACCOUNTS;
  }
}

const override = Number.parseInt(process.env.WA_HEAP_LIMIT_MB ?? '', 10);
const limit = Number.isInteger(override) && override >= 64 ? override : BASE_MB + PER_ACCOUNT_MB * maxAccounts();
process.stdout.write(`${limit}\n`);
