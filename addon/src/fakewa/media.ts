/**
 * Media on the fake network in one piece: the loopback media host, the `media_conn` answer, the
 * sender's phone that re-uploads expired files, and the transport the account's socket must use.
 */
import type { MediaHostOptions } from './media-host.js';
import { MediaHost } from './media-host.js';
import { registerMediaConn } from './media-conn.js';
import { MediaRetryDesk, registerMediaRetry } from './media-retry.js';
import { createMediaTransport, type MediaTransport } from './media-transport.js';
import type { StanzaRouter } from './types.js';

export interface FakeMedia {
  /** Contacts upload and download here (`uploadMedia`, `downloadMedia`); tests expire files here. */
  readonly host: MediaHost;
  /** Contacts remember each media message they send here, so re-upload requests can be answered. */
  readonly retries: MediaRetryDesk;
  /** Give `transport.uploadAgent` as `fetchAgent` and `transport.dispatcher` as `options.dispatcher`. */
  readonly transport: MediaTransport;
  close(): Promise<void>;
}

export async function startFakeMedia(router: StanzaRouter, options: MediaHostOptions = {}): Promise<FakeMedia> {
  const host = await MediaHost.start(options);
  const retries = new MediaRetryDesk(host, options.logger);
  registerMediaConn(router, host);
  registerMediaRetry(router, retries);
  const transport = createMediaTransport(host);
  return {
    host,
    retries,
    transport,
    async close() {
      await transport.close();
      await host.close();
    },
  };
}
