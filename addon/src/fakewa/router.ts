/**
 * Dispatches the stanzas companions send to the handlers the network's parts register, and does
 * what WhatsApp's servers do with whatever nobody handles.
 */
import type { BinaryNode } from 'baileys';
import type { Logger } from 'pino';

import type { CompanionConnection } from './connection.js';
import { iqError, SERVER_JID, unixTime } from './stanzas.js';
import type { StanzaHandler, StanzaRouter } from './types.js';

/** Stanzas WhatsApp's servers acknowledge with `<ack class=…>` once they have taken them. */
const ACKNOWLEDGED_TAGS = new Set(['message', 'receipt', 'call']);

export class Router implements StanzaRouter {
  private readonly handlers: StanzaHandler[] = [];

  constructor(private readonly logger: Logger) {}

  on(handler: StanzaHandler): void {
    this.handlers.push(handler);
  }

  async dispatch(node: BinaryNode, link: CompanionConnection): Promise<void> {
    let handled = false;
    for (const handler of this.handlers) {
      try {
        handled = await handler(node, link);
      } catch (error) {
        this.logger.warn({ err: error, tag: node.tag, xmlns: node.attrs.xmlns }, 'a fake network handler failed');
        if (node.tag === 'iq' && isRequest(node)) link.send(iqError(node, 500, 'internal-server-error'));
        return;
      }
      if (handled) break;
    }
    if (ACKNOWLEDGED_TAGS.has(node.tag)) this.acknowledge(node, link);
    if (handled) return;
    if (node.tag === 'iq' && isRequest(node)) {
      this.logger.debug({ xmlns: node.attrs.xmlns, child: firstChildTag(node) }, 'fake network: iq nobody handles');
      link.send(iqError(node, 501, 'feature-not-implemented'));
      return;
    }
    if (!ACKNOWLEDGED_TAGS.has(node.tag)) this.logger.debug({ tag: node.tag, child: firstChildTag(node) }, 'fake network: stanza nobody handles');
  }

  /** Acknowledges a stanza unless its handler already sent its own (possibly negative) ack. */
  private acknowledge(node: BinaryNode, link: CompanionConnection): void {
    const id = node.attrs.id;
    if (!id || link.wasAcknowledged(id)) return;
    const attrs: Record<string, string> = { id, class: node.tag, from: node.attrs.to ?? SERVER_JID, t: unixTime() };
    if (node.tag === 'receipt' && node.attrs.type) attrs.type = node.attrs.type;
    if (node.attrs.participant) attrs.participant = node.attrs.participant;
    link.send({ tag: 'ack', attrs });
  }
}

function isRequest(node: BinaryNode): boolean {
  return node.attrs.type === 'get' || node.attrs.type === 'set';
}

function firstChildTag(node: BinaryNode): string | undefined {
  return Array.isArray(node.content) ? node.content[0]?.tag : undefined;
}
