/**
 * What a linked account sends that is not a message but still belongs in the outbox: typing and
 * recording in a chat, going online or offline. Also the barrier that tells when every stanza the
 * account sent so far has been handled.
 */
import { generateMessageIDV2, type BinaryNode } from 'baileys';

import { availabilityOf, chatstateOf, type OutboxEntry } from './outbox.js';
import { SERVER_JID, unixTime } from './stanzas.js';
import type { CompanionLink, LinkedAccount } from './types.js';

export interface AccountActivityContext {
  record(entry: Omit<OutboxEntry, 'sent_at'>): void;
  /** A chat as the outbox names it (a contact's phone-number jid, or the group jid). */
  chatOf(jid: string): string;
  accountOf(link: CompanionLink): LinkedAccount | undefined;
}

export class AccountActivity {
  /** Barriers waiting for the account to acknowledge a marker notification. */
  private readonly settlers = new Map<string, () => void>();
  /** Each connection's announced availability; a connection starts unavailable, as Baileys announces it. */
  private readonly availability = new WeakMap<CompanionLink, 'available' | 'unavailable'>();

  constructor(private readonly context: AccountActivityContext) {}

  /** Takes the stanzas this part handles; false for everything else. */
  handle(node: BinaryNode, link: CompanionLink): boolean {
    if (node.tag === 'ack' && node.attrs.class === 'notification') {
      const settled = this.settlers.get(node.attrs.id ?? '');
      settled?.();
      return settled !== undefined;
    }
    if (node.tag === 'chatstate') return this.onChatstate(node);
    if (node.tag === 'presence') return this.onAvailability(node, link);
    return false;
  }

  /**
   * Resolves once everything the connections sent before this call has been handled. Each gets a
   * marker notification; stanzas arrive in order and are handled one after another, so when its
   * acknowledgement is handled, everything before it was. Like any live stanza, the marker makes
   * Baileys flush the events it buffers.
   */
  async settle(links: CompanionLink[], timeoutMs: number): Promise<void> {
    await Promise.all(links.map((link) => this.settleLink(link, timeoutMs)));
  }

  private settleLink(link: CompanionLink, timeoutMs: number): Promise<void> {
    const id = `settle-${generateMessageIDV2()}`;
    return new Promise<void>((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        clearInterval(watch);
        this.settlers.delete(id);
        resolve();
      };
      // A connection that closes, or an account that never answers, ends the wait: nothing more comes.
      const timer = setTimeout(finish, timeoutMs);
      const watch = setInterval(() => link.closed && finish(), 50);
      this.settlers.set(id, finish);
      link.send({ tag: 'notification', attrs: { from: SERVER_JID, type: 'server', id, t: unixTime() } });
    });
  }

  /** `composing`, `recording` or `paused` in a chat. */
  private onChatstate(node: BinaryNode): boolean {
    const chatstate = chatstateOf(node);
    if (!chatstate) return false;
    this.context.record({ id: generateMessageIDV2(), to: this.context.chatOf(chatstate.to), type: 'presence', state: chatstate.state });
    return true;
  }

  /**
   * The account going online or offline. Baileys announces `unavailable` on every connect; only a
   * change is recorded, so the outbox shows what the user asked for.
   */
  private onAvailability(node: BinaryNode, link: CompanionLink): boolean {
    const state = availabilityOf(node);
    if (!state) return false;
    const before = this.availability.get(link) ?? 'unavailable';
    this.availability.set(link, state);
    const account = this.context.accountOf(link);
    if (state !== before && account) {
      this.context.record({ id: generateMessageIDV2(), to: `${account.phone}@s.whatsapp.net`, type: 'presence', state });
    }
    return true;
  }
}
