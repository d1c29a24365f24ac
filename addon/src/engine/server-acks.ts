/**
 * WhatsApp's server acknowledges every message it takes from us (`<ack class="message">`): that is
 * the single grey tick, the honest moment to report a message as `sent`. Baileys only looks at
 * these acks for errors, so the engine watches them itself, for the messages it sent.
 */
import type { BinaryNode, WASocket } from 'baileys';

import { forgetOldest } from './bounded-map.js';

/** Sends are answered within seconds; the bound only matters when acks never come. */
const REMEMBERED_SENDS = 2_000;

export class ServerAcks {
  /** Message id → the chat it went to, for sends WhatsApp has not acknowledged yet. */
  private readonly waiting = new Map<string, string>();

  constructor(private readonly capacity = REMEMBERED_SENDS) {}

  /** Call before the message is written, so an ack that overtakes the send is still matched. */
  expect(id: string, chat: string): void {
    this.waiting.set(id, chat);
    forgetOldest(this.waiting, this.capacity);
  }

  /** The send did not reach WhatsApp: no ack will come. */
  abandon(id: string): void {
    this.waiting.delete(id);
  }

  /** The acknowledged send of an ack stanza (once), or null for acks of anything else and refusals. */
  acknowledged(node: BinaryNode): { id: string; chat: string } | null {
    const id = node.attrs.id;
    if (!id) return null;
    const chat = this.waiting.get(id);
    if (chat === undefined) return null;
    this.waiting.delete(id);
    // An ack with an error is WhatsApp refusing the message; Baileys reports that as a failure.
    return node.attrs.error ? null : { id, chat };
  }
}

/** Calls `onSent` for every message of `acks` WhatsApp's server acknowledges on `socket`. */
export function watchServerAcks(socket: WASocket, acks: ServerAcks, onSent: (sent: { id: string; chat: string }) => void): void {
  socket.ws.on('CB:ack,class:message', (node: BinaryNode) => {
    const sent = acks.acknowledged(node);
    if (sent) onSent(sent);
  });
}
