/**
 * The `media_conn` query: before uploading, Baileys asks where to send files and with which token
 * (`<iq xmlns="w:m" type="set"><media_conn/></iq>`). The answer lists the hosts, the token (`auth`)
 * and how long the answer holds (`ttl`) and the token stays valid (`auth_ttl`).
 */
import { getBinaryNodeChild, type BinaryNode } from 'baileys';

import type { MediaConnection } from './media-host.js';
import type { StanzaHandler, StanzaRouter } from './types.js';

/** What the handler needs from the media host. */
export interface MediaConnectionSource {
  describeConnection(): MediaConnection;
}

/** WhatsApp's server signs its answers with the bare server name, not Baileys' `@s.whatsapp.net`. */
const SERVER = 's.whatsapp.net';

export function isMediaConnQuery(node: BinaryNode): boolean {
  return (
    node.tag === 'iq' &&
    node.attrs.xmlns === 'w:m' &&
    node.attrs.type === 'set' &&
    getBinaryNodeChild(node, 'media_conn') !== undefined
  );
}

export function mediaConnReply(query: BinaryNode, connection: MediaConnection): BinaryNode {
  return {
    tag: 'iq',
    attrs: { from: SERVER, type: 'result', id: query.attrs.id ?? '' },
    content: [
      {
        tag: 'media_conn',
        attrs: {
          auth: connection.auth,
          ttl: String(connection.ttlSeconds),
          auth_ttl: String(connection.authTtlSeconds),
          max_buckets: String(connection.maxBuckets),
        },
        content: connection.hosts.map(({ hostname, maxContentLengthBytes }) => ({
          tag: 'host',
          attrs: { hostname, maxContentLengthBytes: String(maxContentLengthBytes) },
        })),
      },
    ],
  };
}

export function mediaConnHandler(source: MediaConnectionSource): StanzaHandler {
  return (node, link) => {
    if (!isMediaConnQuery(node)) return false;
    link.send(mediaConnReply(node, source.describeConnection()));
    return true;
  };
}

/** Answers every `media_conn` query on the network with the media host's hosts and token. */
export function registerMediaConn(router: StanzaRouter, source: MediaConnectionSource): void {
  router.on(mediaConnHandler(source));
}
