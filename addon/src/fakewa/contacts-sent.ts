/**
 * The messages a linked account sent to the contacts, from the contacts' side: who could read each
 * one, the receipts they send for it (delivered, then read or played), the retry requests their
 * other devices make, and whether a resend reached the device that asked.
 */
import type { BinaryNode } from 'baileys';
import type { Logger } from 'pino';

import type { Addressing, ContactBook } from './contacts-book.js';
import { contactReceipt, retryReceipt } from './contacts-inbound.js';

export interface SentMessage {
  /** The contact's phone-number jid, or the group jid. */
  chat: string;
  group?: string;
  /** Phones of the contacts that could read it. */
  phones: Set<string>;
  /** Seconds since the epoch. */
  t: number;
  /** How the account addressed the chat, which the contacts answer in. */
  addressing: Addressing;
  /** The account's own phone could read its copy. */
  phoneCopy: boolean;
}

export interface SentMessagesContext {
  book: ContactBook;
  /** Writes a stanza to the account's connections; throws when none is connected. */
  sendToAccount(node: BinaryNode): void;
  logger: Logger;
  /** Contacts read what they receive after this long; never when null. */
  readAfterMs: number | null;
}

/** A contact cannot do what was asked (an unknown number, no such message, no account connected). */
export class DeliveryError extends Error {}

export class SentMessages {
  private readonly sent = new Map<string, SentMessage & { deliveredReported: boolean }>();
  private readonly resendWaiters = new Map<string, Array<(deviceJid: string) => void>>();
  /** The `count` of every retry receipt the account sent for a message it could not decrypt, in order. */
  private readonly retryRequests = new Map<string, number[]>();

  constructor(private readonly context: SentMessagesContext) {}

  /** The contacts read a message: they confirm delivery once the server has acknowledged it. */
  remember(id: string, message: SentMessage): void {
    this.sent.set(id, { ...message, deliveredReported: false });
    // The server acknowledges first (the router does, once the handler returns); receipts come after.
    setTimeout(() => {
      this.confirmDelivery(id);
      const readAfterMs = this.context.readAfterMs;
      if (readAfterMs !== null) setTimeout(() => this.markReadQuietly(id), readAfterMs).unref();
    }, 0).unref();
  }

  /** Device jids a stanza of the account addressed `id` to (a resend reaches the device that asked). */
  reached(id: string, deviceJids: readonly string[]): void {
    for (const deviceJid of deviceJids) for (const waiter of this.resendWaiters.get(id) ?? []) waiter(deviceJid);
  }

  readBy(id: string): string[] {
    return [...(this.sent.get(id)?.phones ?? [])];
  }

  copiedToPhone(id: string): boolean {
    return this.sent.get(id)?.phoneCopy ?? false;
  }

  /** Records a retry receipt the account sent for a message a contact wrote. */
  noteRetryRequest(node: BinaryNode): void {
    const id = node.attrs.id ?? '';
    const count = Number(Array.isArray(node.content) ? node.content.find((part) => part.tag === 'retry')?.attrs.count : undefined);
    this.retryRequests.set(id, [...(this.retryRequests.get(id) ?? []), Number.isFinite(count) ? count : 0]);
  }

  retryCountsOf(id: string): number[] {
    return [...(this.retryRequests.get(id) ?? [])];
  }

  markRead(id: string, type: 'read' | 'played'): void {
    const message = this.sent.get(id);
    if (!message) throw new DeliveryError(`No contact received a message ${id}.`);
    // A device reports a message delivered before it reports it read or played.
    this.confirmDelivery(id);
    for (const phone of message.phones) this.sendReceipt(phone, id, type);
  }

  /**
   * A contact's companion device could not decrypt `id` and asks the account to send it again.
   * Resolves with true once the resend reached that device.
   */
  async requestRetry(id: string, options: { addressing?: Addressing; device?: number; phone?: string; timeoutMs?: number }): Promise<boolean> {
    const message = this.sent.get(id);
    const phone = options.phone ?? [...(message?.phones ?? [])][0];
    const contact = phone ? this.context.book.byPhone(phone) : undefined;
    if (!contact || !message) throw new DeliveryError(`No contact received a message ${id}.`);
    const device = options.device ?? 3;
    const peer = contact.device(device);
    const deviceJid = contact.deviceJid(device, options.addressing ?? message.addressing);
    const receipt = retryReceipt(id, deviceJid, peer.registrationId, message.t, message.group);
    await this.context.book.save();
    const arrived = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), options.timeoutMs ?? 10_000);
      const waiters = this.resendWaiters.get(id) ?? [];
      waiters.push((jid) => {
        if (jid !== deviceJid) return;
        clearTimeout(timer);
        resolve(true);
      });
      this.resendWaiters.set(id, waiters);
    });
    this.context.sendToAccount(receipt);
    return arrived;
  }

  private confirmDelivery(id: string): void {
    const message = this.sent.get(id);
    if (!message || message.deliveredReported) return;
    message.deliveredReported = true;
    for (const phone of message.phones) this.sendReceipt(phone, id, 'delivered');
  }

  private markReadQuietly(id: string): void {
    try {
      this.markRead(id, 'read');
    } catch (error) {
      this.context.logger.debug({ err: error, id }, 'fake contacts: nothing to mark read');
    }
  }

  private sendReceipt(phone: string, id: string, type: 'delivered' | 'read' | 'played'): void {
    const message = this.sent.get(id);
    const contact = this.context.book.byPhone(phone);
    if (!message || !contact) return;
    const jid = message.group ? contact.lidJid : contact.userJid(message.addressing);
    try {
      this.context.sendToAccount(contactReceipt(jid, [id], type, message.group));
    } catch (error) {
      this.context.logger.debug({ err: error, id }, 'fake contacts: receipt not sent, no account connected');
    }
  }
}
