/**
 * WhatsApp's offline queue: what contacts write while a linked companion has no connection waits on
 * the server, already end-to-end encrypted by the contacts' phones, and is handed over as soon as the
 * companion logs in again: every message marked `offline`, all before the `<ib><offline>` marker
 * that tells the companion the queue is through.
 *
 * Encrypting at hold time rather than at hand-over keeps the contacts' Signal work out of the
 * companion's catch-up, as on the real network, where the senders' phones did it long before.
 */
import { generateMessageIDV2, type BinaryNode } from 'baileys';
import type { Logger } from 'pino';

import { buildIncomingMessage } from '../engine/wa-message-builder.js';
import type { AccountRecord } from './accounts.js';
import { inboundStanza, type AccountDevice } from './contacts-inbound.js';
import { DeliveryError } from './contacts-sent.js';
import type { FakeContacts } from './contacts.js';
import type { FakeWhatsAppNetwork } from './network.js';
import type { CompanionLink } from './types.js';

/** A text a contact writes while the account is away. */
export interface QueuedText {
  from: string;
  text: string;
  id?: string;
}

/** What one hand-over sent, with CLOCK_MONOTONIC times so callers can time the companion's catch-up. */
export interface HandOver {
  phone: string;
  count: number;
  startedNs: bigint;
  sentNs: bigint;
}

export class OfflineQueue {
  /** Encrypted stanzas waiting, per account phone (digits), in the order they were written. */
  private readonly waiting = new Map<string, BinaryNode[]>();
  private readonly handedOver: Array<(handOver: HandOver) => void> = [];

  constructor(
    private readonly network: FakeWhatsAppNetwork,
    private readonly contacts: FakeContacts,
    private readonly logger: Logger,
  ) {
    network.onLogin((link, account) => this.handOver(link, account));
  }

  /** Messages waiting for `phone` (digits). */
  size(phone: string): number {
    return this.waiting.get(phone.replace(/\D/g, ''))?.length ?? 0;
  }

  /** Called after each hand-over, once every queued stanza is on the wire. */
  onHandOver(listener: (handOver: HandOver) => void): void {
    this.handedOver.push(listener);
  }

  /**
   * Contacts write `texts` to the account of `phone` (the only linked one when absent); they are
   * encrypted now and delivered at its next login. Resolves with the message ids, in order.
   */
  async hold(texts: QueuedText[], phone?: string): Promise<string[]> {
    const account = this.account(phone);
    const device = this.accountDevice(account);
    const ownJid = `${account.phone}@s.whatsapp.net`;
    const queue = this.waiting.get(account.phone) ?? [];
    this.waiting.set(account.phone, queue);
    const ids: string[] = [];
    for (const text of texts) {
      const contact = this.contacts.book.resolve(text.from);
      if (!contact) throw new DeliveryError(`${text.from} is not on WhatsApp.`);
      const id = text.id ?? generateMessageIDV2();
      const built = buildIncomingMessage({ from: contact.pnJid, fromAlt: contact.lidJid, id, text: text.text }, ownJid);
      const envelope = { id, timestamp: Number(built.messageTimestamp), addressing: 'lid' as const, pushName: contact.name, offline: true };
      queue.push(await inboundStanza(contact, device, envelope, built.message!));
      ids.push(id);
    }
    await this.contacts.book.save();
    return ids;
  }

  private handOver(link: CompanionLink, account: AccountRecord): void {
    const queue = this.waiting.get(account.phone);
    if (!queue?.length) return;
    this.waiting.delete(account.phone);
    const startedNs = process.hrtime.bigint();
    for (const stanza of queue) link.send(stanza);
    const handOver = { phone: account.phone, count: queue.length, startedNs, sentNs: process.hrtime.bigint() };
    this.logger.info({ count: handOver.count }, 'fake network: offline queue handed over at login');
    for (const listener of this.handedOver) listener(handOver);
  }

  private account(phone?: string): AccountRecord {
    const accounts = this.network.accounts.list();
    const account = phone ? this.network.accounts.get(phone.replace(/\D/g, '')) : accounts[0];
    if (!account) throw new DeliveryError('No account is linked: scan the QR code first.');
    return account;
  }

  /** The companion as contacts address it, whether or not it is connected right now. */
  private accountDevice(account: AccountRecord): AccountDevice {
    const jid = `${account.lid}:${account.device}@lid`;
    return {
      jid,
      startSession: async (contact) => {
        const bundle = this.network.accounts.bundle(account.phone);
        if (!bundle) throw new DeliveryError('The account has not uploaded its keys yet.');
        const preKey = await this.network.accounts.takePreKey(account.phone);
        await contact.device(0).startSession(jid, bundle, preKey);
      },
    };
  }
}
