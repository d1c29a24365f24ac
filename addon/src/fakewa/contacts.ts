/**
 * The contacts of the fake network, for tests and the simulator routes: they write to a linked
 * account (any message kind, LID- or phone-number-addressed, 1:1 or in a group), read what it sends
 * them (the outbox), send delivery/read/played and retry receipts, and run the seeded groups.
 */
import { generateMessageIDV2, jidDecode, type BinaryNode, type WAMessage } from 'baileys';
import { pino, type Logger } from 'pino';

import { buildIncomingMessage, type IncomingSpec } from '../engine/wa-message-builder.js';
import { ContactBook, type Addressing, type Contact } from './contacts-book.js';
import { AccountActivity } from './contacts-account.js';
import { keySeenByContact, MessageHistory } from './contacts-history.js';
import { answerPreKeyFetch, answerUsync, usyncSubjectOf } from './contacts-iq.js';
import { attachUploadedMedia, inboundStanza, type AccountDevice, type InboundEnvelope, type UploadedFile } from './contacts-inbound.js';
import { AwaitedConfirmations } from './contacts-confirmations.js';
import { DeliveryError, SentMessages } from './contacts-sent.js';
import { decryptSend, isForContacts } from './contacts-outbound.js';
import { answerGroupQuery, FakeGroups, type GroupAction, type GroupMember, type GroupState } from './groups.js';
import type { SentMedia } from './media-retry.js';
import { Outbox, outboxFields, readReceiptIds, type DownloadMedia, type OutboxEntry } from './outbox.js';
import { isIq } from './stanzas.js';
import type { CompanionLink, LinkedAccount, StanzaRouter, UploadedBundle } from './types.js';
import type { MediaType } from 'baileys';

export type { OutboxEntry } from './outbox.js';

/** What the network's core offers the contacts (FakeWhatsAppNetwork fits). */
export interface ContactsHost {
  router: StanzaRouter;
  accounts: {
    list(): Array<LinkedAccount & { keyIndex?: number }>;
    bundle(phone: string): UploadedBundle | undefined;
    takePreKey(phone: string): Promise<{ keyId: number; publicKey: Uint8Array } | undefined>;
  };
  linksOf(phone: string): CompanionLink[];
  accountOf(link: CompanionLink): LinkedAccount | undefined;
}

export type { UploadedFile } from './contacts-inbound.js';

export interface FakeContactsOptions {
  /** Where contacts keep their keys and sessions; memory only when null. */
  dataDir: string | null;
  logger?: Logger;
  /** Puts a file on the media host (contacts sending media). */
  uploadMedia?: (bytes: Uint8Array, mediaType: MediaType) => Promise<UploadedFile>;
  /** Fetches and decrypts a file the account sent (recorded as `size` + `sha256`). */
  downloadMedia?: DownloadMedia;
  /** Tells the sender's phone about each file a contact sends, so it can upload it again when asked. */
  rememberMedia?: (messageId: string, media: SentMedia) => void;
  /** Contacts read what they receive after this long; never when null (the default). */
  readAfterMs?: number | null;
  /** How long `deliver` waits for the account's receipt. */
  deliveryTimeoutMs?: number;
}

export interface DeliverSpec extends IncomingSpec {
  addressing?: Addressing;
  /** The receiving account's phone (digits); the only linked one when absent. */
  account?: string;
  /** Handed over from WhatsApp's offline queue (the account was away when it was sent). */
  offline?: boolean;
  /** The account cannot decrypt it: `deliver` rejects once it asks for the message again. */
  garbled?: boolean;
}

export { DeliveryError };

const DEFAULT_DELIVERY_TIMEOUT_MS = 15_000;

export class FakeContacts {
  readonly groupsState: FakeGroups;
  private host: ContactsHost | null = null;
  private readonly logger: Logger;
  private readonly entries = new Outbox();
  /** Messages `deliver` handed over and waits for the account to confirm. */
  private readonly confirmations: AwaitedConfirmations;
  private readonly sent: SentMessages;
  private readonly activity = new AccountActivity({
    record: (entry) => this.record(entry),
    chatOf: (jid) => this.chatOf(jid),
    accountOf: (link) => this.host?.accountOf(link),
  });

  private constructor(
    readonly book: ContactBook,
    /** Messages both ways, from the account's point of view, for votes, reactions and quotes. */
    private readonly history: MessageHistory,
    private readonly options: FakeContactsOptions,
  ) {
    this.logger = options.logger ?? pino({ level: 'silent' });
    this.groupsState = new FakeGroups(book);
    this.confirmations = new AwaitedConfirmations(options.deliveryTimeoutMs ?? DEFAULT_DELIVERY_TIMEOUT_MS);
    this.sent = new SentMessages({
      book,
      sendToAccount: (node) => this.sendToAccount(node),
      logger: this.logger,
      readAfterMs: options.readAfterMs ?? null,
    });
  }

  static async open(options: FakeContactsOptions): Promise<FakeContacts> {
    return new FakeContacts(await ContactBook.open(options.dataDir), await MessageHistory.open(options.dataDir), options);
  }

  /** Registers the contacts' stanza handling with the network. */
  attach(host: ContactsHost): void {
    this.host = host;
    host.router.on((node, link) => this.handle(node, link));
  }

  outbox(): OutboxEntry[] {
    return this.entries.list();
  }

  /**
   * Resolves once every stanza the account's connections sent before this call has been handled, so
   * the outbox holds everything sent so far. Like any live stanza, it makes Baileys flush the events
   * it buffers.
   */
  async settle(timeoutMs = 5_000): Promise<void> {
    const links = (this.host?.accounts.list() ?? []).flatMap((account) => this.host!.linksOf(account.phone));
    await this.activity.settle(links, timeoutMs);
  }

  /** How often the account asked for a message it could not decrypt: the count of each of its retry receipts. */
  retryCountsOf(id: string): number[] {
    return this.sent.retryCountsOf(id);
  }

  /** True when the account's own phone could read its copy of a message the account sent (so it shows there too). */
  copiedToPhone(id: string): boolean {
    return this.sent.copiedToPhone(id);
  }

  /** Phones of the contacts that could read a message the account sent. */
  readBy(id: string): string[] {
    return this.sent.readBy(id);
  }

  groups(): GroupState[] {
    return this.groupsState.list();
  }

  /**
   * A contact writes to the account; with `fromMe`, the user writes to that contact (or in the group)
   * on their phone, and WhatsApp hands the companion the phone's copy. Resolves with the message id
   * once the account confirmed it.
   */
  async deliver(spec: DeliverSpec): Promise<string> {
    return this.handOver(spec, true);
  }

  /**
   * Hands a message to the account's connections and resolves with its id as soon as it is on the
   * wire, without waiting for the account's receipt (for example while the account is still logging in).
   */
  post(spec: DeliverSpec): Promise<string> {
    return this.handOver(spec, false);
  }

  private async handOver(spec: DeliverSpec, awaitReceipt: boolean): Promise<string> {
    const account = this.account(spec.account);
    const contact = this.book.resolve(spec.from);
    if (!contact) throw new DeliveryError(`${spec.from} is not on WhatsApp.`);
    const ownJid = `${account.phone}@s.whatsapp.net`;
    const fromMe = spec.fromMe ?? false;
    const author = fromMe ? this.phoneOf(account) : contact;
    const group = spec.chat ?? undefined;
    if (group) {
      this.groupsState.enrol(account);
      this.groupsState.ensure(group, { phone: contact.phone, lid: contact.lid, role: null }, account);
    }
    const id = spec.id ?? generateMessageIDV2();
    const built = buildIncomingMessage({ ...spec, id, from: contact.pnJid, fromAlt: contact.lidJid, fromMe }, ownJid, {
      findMessage: (messageId) => {
        const earlier = this.history.get(messageId);
        return earlier && !fromMe ? keySeenByContact(earlier, ownJid, group) : earlier;
      },
    });
    let message = built.message!;
    if (this.options.uploadMedia) await attachUploadedMedia(message, id, this.options.uploadMedia, this.options.rememberMedia);
    this.history.put(built);
    if (fromMe && !group) {
      // The phone's own copy of a 1:1 message names the chat it went to.
      message = { deviceSentMessage: { destinationJid: contact.userJid(spec.addressing ?? 'lid'), message } };
    }
    const timestamp = Number(built.messageTimestamp ?? Math.floor(Date.now() / 1000));
    const envelope: InboundEnvelope = {
      id,
      timestamp,
      addressing: spec.addressing ?? 'lid',
      pushName: fromMe ? null : (spec.name ?? contact.name),
      ...(group ? { group } : {}),
      ...(fromMe && !group ? { recipient: contact } : {}),
      ...(spec.offline ? { offline: true } : {}),
      ...(spec.garbled ? { garbled: true } : {}),
    };
    const links = this.host!.linksOf(account.phone);
    if (links.length === 0) throw new DeliveryError('The account is not connected.');
    const confirmed = awaitReceipt ? this.confirmations.wait(id) : null;
    for (const link of links) {
      const stanza = await inboundStanza(author, this.accountDevice(account, link), envelope, message);
      await this.book.save();
      link.send(stanza);
    }
    await confirmed;
    return id;
  }

  /** The contact who received `id` reads it (or plays it, for voice notes). */
  markRead(id: string, type: 'read' | 'played' = 'read'): void {
    this.sent.markRead(id, type);
  }

  /**
   * A contact's companion device (device 3 by default) could not decrypt `id` and asks the account
   * to send it again. Resolves with true once the resend reached that device.
   */
  requestRetry(id: string, options: { addressing?: Addressing; device?: number; phone?: string; timeoutMs?: number } = {}): Promise<boolean> {
    return this.sent.requestRetry(id, options);
  }

  groupAdd(group: string, phones: string[]): void {
    this.changeGroup(group, 'add', phones);
  }

  groupRemove(group: string, phones: string[]): void {
    this.changeGroup(group, 'remove', phones);
  }

  groupPromote(group: string, phones: string[]): void {
    this.changeGroup(group, 'promote', phones);
  }

  groupDemote(group: string, phones: string[]): void {
    this.changeGroup(group, 'demote', phones);
  }

  setSubject(group: string, subject: string): void {
    this.groupsState.setSubject(group, subject);
    this.sendToAccount(this.groupsState.subjectNotification(group, this.groupsState.defaultActor(group), generateMessageIDV2()));
  }

  private changeGroup(group: string, action: GroupAction, phones: string[]): void {
    const members: GroupMember[] = phones.map((phone) => {
      const contact = this.book.resolve(phone);
      if (!contact) throw new DeliveryError(`${phone} is not on WhatsApp.`);
      return { phone: contact.phone, lid: contact.lid, role: null };
    });
    const changed = this.groupsState.change(group, action, members);
    if (changed.length === 0) return;
    this.sendToAccount(this.groupsState.participantsNotification(group, action, changed, this.groupsState.defaultActor(group), generateMessageIDV2()));
  }

  private account(phone?: string): LinkedAccount {
    const accounts = this.host?.accounts.list() ?? [];
    const account = phone ? accounts.find((candidate) => candidate.phone === phone.replace(/\D/g, '')) : accounts[0];
    if (!account) throw new DeliveryError('No account is linked: scan the QR code first.');
    return account;
  }

  private sendToAccount(node: BinaryNode, phone?: string): void {
    const account = this.account(phone);
    for (const link of this.host!.linksOf(account.phone)) link.send(node);
  }

  /** The account's companion as contacts address it, with the way to start a session from its upload. */
  private accountDevice(account: LinkedAccount, link: CompanionLink): AccountDevice {
    return {
      jid: link.lidDeviceJid ?? `${account.lid}:${account.device}@lid`,
      startSession: async (contact) => {
        const bundle = this.host!.accounts.bundle(account.phone);
        if (!bundle) throw new DeliveryError('The account has not uploaded its keys yet.');
        const preKey = await this.host!.accounts.takePreKey(account.phone);
        await contact.device(0).startSession(link.lidDeviceJid ?? `${account.lid}:${account.device}@lid`, bundle, preKey);
      },
    };
  }

  /** The account's own phone, a Signal peer that reads the copies of what the companion sends. */
  private phoneOf(account: LinkedAccount): Contact {
    return this.book.find(`${account.lid}@lid`) ?? this.book.claim({ phone: account.phone, lid: account.lid, name: account.pushName ?? 'Phone' });
  }

  private handle(node: BinaryNode, link: CompanionLink): boolean | Promise<boolean> {
    if (node.tag === 'iq' && isIq(node, 'usync', 'get')) return this.answer(link, answerUsync(node, { lookup: (jid) => usyncSubjectOf(jid, this.host?.accounts.list() ?? [], this.book) }));
    if (node.tag === 'iq' && isIq(node, 'encrypt', 'get', 'key')) return this.answerBundles(node, link);
    if (node.tag === 'iq' && node.attrs.xmlns === 'w:g2' && node.attrs.type === 'get') return this.answerGroups(node, link);
    if (node.tag === 'receipt') return this.onAccountReceipt(node);
    if (node.tag === 'ack' && node.attrs.class === 'message') return this.onAccountAck(node);
    if (this.activity.handle(node, link)) return true;
    if (node.tag === 'message' && isForContacts(node, { book: this.book, groups: this.groupsState })) return this.onAccountMessage(node, link);
    return false;
  }

  private answer(link: CompanionLink, reply: BinaryNode): boolean {
    link.send(reply);
    return true;
  }

  private async answerBundles(node: BinaryNode, link: CompanionLink): Promise<boolean> {
    const account = this.host?.accountOf(link);
    if (account) this.phoneOf(account);
    link.send(answerPreKeyFetch(node, (jid) => {
      const contact = this.book.find(jid);
      const device = jidDecode(jid)?.device ?? 0;
      return contact?.device(device).issueBundle();
    }));
    await this.book.save();
    return true;
  }

  private answerGroups(node: BinaryNode, link: CompanionLink): boolean {
    const account = this.host?.accountOf(link);
    if (account) this.groupsState.enrol(account);
    const reply = answerGroupQuery(node, this.groupsState, account?.phone);
    return reply ? this.answer(link, reply) : false;
  }

  /** A chat as the outbox names it: a contact's phone-number jid, or the group jid. */
  private chatOf(jid: string): string {
    return this.book.find(jid)?.pnJid ?? jid;
  }

  /** Receipts the account sends: delivery of what contacts wrote (resolves `deliver`), or read receipts. */
  private onAccountReceipt(node: BinaryNode): boolean {
    const id = node.attrs.id ?? '';
    if (node.attrs.type === 'retry') this.sent.noteRetryRequest(node);
    if (node.attrs.type === 'retry' ? this.confirmations.refuse(id, `The account could not decrypt message ${id} and asked for it again.`) : this.confirmations.confirm(id)) {
      return true;
    }
    const to = node.attrs.to ?? '';
    const read = readReceiptIds(node);
    if (read && (this.book.find(to) || this.groupsState.has(to))) {
      this.record({ id: generateMessageIDV2(), to: this.chatOf(to), type: 'read', message_ids: read });
      return true;
    }
    return false;
  }

  private onAccountAck(node: BinaryNode): boolean {
    if (!node.attrs.error) return false;
    return this.confirmations.refuse(node.attrs.id ?? '', `The account refused message ${node.attrs.id} (error ${node.attrs.error}).`);
  }

  private async onAccountMessage(node: BinaryNode, link: CompanionLink): Promise<boolean> {
    const account = this.host?.accountOf(link);
    if (!account) return false;
    const sender = link.lidDeviceJid ?? `${account.lid}:${account.device}@lid`;
    const sent = await decryptSend(node, { book: this.book, groups: this.groupsState, phone: this.phoneOf(account), sender });
    await this.book.save();
    this.sent.reached(sent.id, sent.devices);
    if (sent.resend || !sent.content) return true;
    const fields = await outboxFields(sent.content, this.options.downloadMedia).catch((error: unknown) => {
      this.logger.warn({ err: error, id: sent.id }, 'fake contacts: could not read the media the account sent');
      return { type: 'other' };
    });
    const addressing: Addressing = jidDecode(node.attrs.to ?? '')?.server === 'lid' ? 'lid' : 'pn';
    this.sent.remember(sent.id, {
      chat: sent.chat,
      ...(sent.group ? { group: sent.group } : {}),
      phones: sent.readBy,
      t: Math.floor(Date.now() / 1000),
      addressing,
      phoneCopy: sent.phoneCopy,
    });
    this.history.put({ key: { remoteJid: sent.chat, fromMe: true, id: sent.id }, message: sent.content } as WAMessage);
    if (fields && !this.entries.has(sent.id)) this.record({ id: sent.id, to: sent.chat, ...fields });
    return true;
  }

  private record(entry: Omit<OutboxEntry, 'sent_at'>): void {
    this.entries.record(entry);
  }
}

