/**
 * The WA Web version the socket announces. WhatsApp refuses versions it considers too old
 * (`<failure reason="405">`), and the one built into Baileys ages with the add-on. So the current
 * version is fetched from WhatsApp Web at start, briefly, falling back to the built-in one.
 * Never where there is no WhatsApp to ask (a development WebSocket URL, the fake network).
 */
import { fetchLatestWaWebVersion, type WAVersion } from 'baileys';
import type { Logger } from 'pino';

import { bounded } from './bounded.js';

const VERSION_FETCH_TIMEOUT_MS = 4_000;
/** A fetched version is reused for this long, so reconnects do not each ask again. */
const VERSION_REUSE_MS = 6 * 60 * 60_000;

export type VersionFetcher = (signal: AbortSignal) => Promise<{ version: WAVersion; isLatest: boolean }>;

const fetchFromWhatsAppWeb: VersionFetcher = (signal) => fetchLatestWaWebVersion({ signal });

export interface WaVersionOptions {
  /** Whether WhatsApp Web may be asked at all. */
  enabled: boolean;
  timeoutMs?: number;
  fetcher?: VersionFetcher;
  logger: Logger;
  now?: () => number;
}

export class WaVersionSource {
  private fetched: { version: WAVersion; at: number } | null = null;
  private readonly now: () => number;

  constructor(private readonly options: WaVersionOptions) {
    this.now = options.now ?? Date.now;
  }

  get enabled(): boolean {
    return this.options.enabled;
  }

  /** The version to announce; undefined means Baileys' built-in one. */
  async current(): Promise<WAVersion | undefined> {
    if (!this.options.enabled) return undefined;
    if (this.fetched && this.now() - this.fetched.at < VERSION_REUSE_MS) return this.fetched.version;
    const timeoutMs = this.options.timeoutMs ?? VERSION_FETCH_TIMEOUT_MS;
    const controller = new AbortController();
    const fetcher = this.options.fetcher ?? fetchFromWhatsAppWeb;
    const result = await bounded(fetcher(AbortSignal.any([controller.signal, AbortSignal.timeout(timeoutMs)])), timeoutMs, null, controller.signal);
    controller.abort();
    if (!result?.isLatest) {
      this.options.logger.warn('could not fetch the current WhatsApp Web version; using the built-in one');
      return undefined;
    }
    this.fetched = { version: result.version, at: this.now() };
    this.options.logger.debug({ version: result.version.join('.') }, 'using the current WhatsApp Web version');
    return result.version;
  }

  /** WhatsApp refused the version: ask again at the next connect. */
  forget(): void {
    this.fetched = null;
  }
}
