/**
 * Small builders and readers for the stanzas the fake network exchanges, shared by its parts.
 */
import type { BinaryNode } from 'baileys';

export const SERVER_JID = 's.whatsapp.net';

/** Seconds since the epoch, as WhatsApp writes its `t` attributes. */
export function unixTime(): string {
  return Math.floor(Date.now() / 1000).toString();
}

export function children(node: BinaryNode | undefined): BinaryNode[] {
  return Array.isArray(node?.content) ? node.content : [];
}

export function child(node: BinaryNode | undefined, tag: string): BinaryNode | undefined {
  return children(node).find((candidate) => candidate.tag === tag);
}

/** The binary content of a node (or of its child `tag`), or undefined. */
export function bytesOf(node: BinaryNode | undefined, tag?: string): Buffer | undefined {
  const target = tag === undefined ? node : child(node, tag);
  const content = target?.content;
  if (content instanceof Uint8Array) return Buffer.from(content);
  if (typeof content === 'string') return Buffer.from(content, 'utf8');
  return undefined;
}

/** True for an iq the client sent with this xmlns and type, whose first child is `firstChild` (when given). */
export function isIq(node: BinaryNode, xmlns: string, type?: 'get' | 'set', firstChild?: string): boolean {
  if (node.tag !== 'iq' || node.attrs.xmlns !== xmlns) return false;
  if (type !== undefined && node.attrs.type !== type) return false;
  return firstChild === undefined || children(node)[0]?.tag === firstChild;
}

/** The server's successful answer to a client iq. */
export function iqResult(request: BinaryNode, content?: BinaryNode[]): BinaryNode {
  const reply: BinaryNode = { tag: 'iq', attrs: { from: SERVER_JID, type: 'result', id: request.attrs.id ?? '', t: unixTime() } };
  if (content !== undefined) reply.content = content;
  return reply;
}

/** The server's error answer to a client iq (`<error code text/>`), as WhatsApp answers bad requests. */
export function iqError(request: BinaryNode, code: number, text: string): BinaryNode {
  return {
    tag: 'iq',
    attrs: { from: SERVER_JID, type: 'error', id: request.attrs.id ?? '' },
    content: [{ tag: 'error', attrs: { code: code.toString(), text } }],
  };
}

/** Big-endian unsigned integer of a byte string (registration ids, key ids). */
export function readUIntBE(bytes: Uint8Array | undefined): number | undefined {
  if (!bytes || bytes.length === 0 || bytes.length > 6) return undefined;
  return Buffer.from(bytes).readUIntBE(0, bytes.length);
}
