/**
 * Shared pieces of the media tests: Baileys' own upload function wired to the fake media host
 * through the `media_conn` handler, and a watch on outgoing connections and name lookups.
 */
import assert from 'node:assert/strict';
import dns from 'node:dns';
import net from 'node:net';
import { afterEach, beforeEach } from 'node:test';

import {
  decodeBinaryNode,
  encodeBinaryNode,
  getBinaryNodeChild,
  getBinaryNodeChildren,
  getWAUploadToServer,
  type BinaryNode,
  type MediaConnInfo,
  type SocketConfig,
  type WAMediaUploadFunction,
} from 'baileys';
import { pino } from 'pino';

import { registerMediaConn } from '../../src/fakewa/media-conn.js';
import type { MediaHost } from '../../src/fakewa/media-host.js';
import { createMediaUploadAgent } from '../../src/fakewa/media-transport.js';
import type { CompanionLink, StanzaHandler } from '../../src/fakewa/types.js';

export const silentLogger = pino({ level: 'silent' });

/** One stanza through a handler, over the real binary encoding both ways; returns what it sent back. */
export async function exchange(handlers: StanzaHandler[], stanza: BinaryNode): Promise<{ handled: boolean; replies: BinaryNode[] }> {
  const replies: BinaryNode[] = [];
  const link: CompanionLink = {
    deviceJid: '15550000001:1@s.whatsapp.net',
    lidDeviceJid: '100000000000001:1@lid',
    closed: false,
    send: (node) => void replies.push(node),
    query: () => Promise.reject(new Error('not used')),
    terminate: () => undefined,
  };
  const received = await decodeBinaryNode(encodeBinaryNode(stanza));
  let handled = false;
  for (const handler of handlers) {
    if (await handler(received, link)) {
      handled = true;
      break;
    }
  }
  const wire = await Promise.all(replies.map(async (reply) => decodeBinaryNode(encodeBinaryNode(reply))));
  return { handled, replies: wire };
}

export function mediaConnQuery(id: string): BinaryNode {
  return { tag: 'iq', attrs: { id, type: 'set', xmlns: 'w:m', to: 's.whatsapp.net' }, content: [{ tag: 'media_conn', attrs: {} }] };
}

/**
 * Baileys' upload function, exactly as its socket builds it, fed by the network's `media_conn`
 * answer (read the way Baileys' refreshMediaConn reads it) and the loopback upload agent.
 */
export function baileysUpload(host: MediaHost): { upload: WAMediaUploadFunction; mediaConnQueries: () => number } {
  const handlers: StanzaHandler[] = [];
  registerMediaConn({ on: (handler) => void handlers.push(handler) }, host);
  let queries = 0;
  const refreshMediaConn = async (): Promise<MediaConnInfo> => {
    queries += 1;
    const { replies } = await exchange(handlers, mediaConnQuery(`media-${queries}`));
    const node = getBinaryNodeChild(replies[0], 'media_conn');
    if (!node) throw new Error('no media_conn in the answer');
    return {
      hosts: getBinaryNodeChildren(node, 'host').map(({ attrs }) => ({
        hostname: attrs.hostname ?? '',
        maxContentLengthBytes: Number(attrs.maxContentLengthBytes),
      })),
      auth: node.attrs.auth ?? '',
      ttl: Number(node.attrs.ttl),
      fetchDate: new Date(),
    };
  };
  const config = {
    customUploadHosts: [],
    fetchAgent: createMediaUploadAgent(host),
    logger: silentLogger,
    options: {},
  } as Partial<SocketConfig> as SocketConfig;
  return { upload: getWAUploadToServer(config, refreshMediaConn), mediaConnQueries: () => queries };
}

export interface NetworkWatch {
  /** Hosts something tried to connect to or look up that are not loopback. */
  readonly violations: string[];
  stop(): void;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** Records every non-loopback connect and every name lookup made while it runs. */
export function watchNetwork(): NetworkWatch {
  const violations: string[] = [];
  const originalConnect = net.Socket.prototype.connect;
  const originalLookup = dns.lookup;
  net.Socket.prototype.connect = function patchedConnect(this: net.Socket, ...args: unknown[]) {
    const host = connectHostOf(args);
    if (host !== null && !LOOPBACK.has(host)) violations.push(`connect ${host}`);
    return (originalConnect as (...rest: unknown[]) => net.Socket).apply(this, args);
  } as typeof net.Socket.prototype.connect;
  dns.lookup = function patchedLookup(hostname: string, ...rest: unknown[]) {
    if (!LOOPBACK.has(hostname)) violations.push(`lookup ${hostname}`);
    return (originalLookup as (...all: unknown[]) => void).call(dns, hostname, ...rest);
  } as typeof dns.lookup;
  return {
    violations,
    stop() {
      net.Socket.prototype.connect = originalConnect;
      dns.lookup = originalLookup;
    },
  };
}

/** Checks around every test of the enclosing `describe` that nothing left loopback or looked up a name. */
export function watchNetworkInEachTest(): void {
  let watch: NetworkWatch;
  beforeEach(() => {
    watch = watchNetwork();
  });
  afterEach(() => {
    watch.stop();
    assert.deepEqual(watch.violations, [], 'nothing may leave the loopback interface or look up a name');
  });
}

function connectHostOf(args: unknown[]): string | null {
  // net.connect hands the socket its normalised arguments as one array.
  const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
  if (typeof first === 'object' && first !== null) {
    const options = first as { host?: string; path?: string };
    if (options.path) return null;
    return options.host ?? 'localhost';
  }
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    return typeof args[1] === 'string' ? args[1] : 'localhost';
  }
  return null;
}
