/**
 * Which Signal message type each contact message carried on the wire (`pkmsg` starts a session,
 * `msg` continues one, `skmsg` is a group sender-key message). A restarted add-on that kept its
 * sessions gets `msg`; one that lost them would need a fresh `pkmsg`. The simulator logs it and
 * tests read it.
 */
import type { BinaryNode } from 'baileys';
import type { Logger } from 'pino';

import type { ContactsHost } from '../fakewa/contacts.js';
import type { CompanionLink } from '../fakewa/types.js';

const REMEMBERED_MESSAGES = 1_000;

/** A connection whose writes are watched; everything else goes to the real connection. */
class ObservedLink implements CompanionLink {
  constructor(
    readonly inner: CompanionLink,
    private readonly onSend: (node: BinaryNode) => void,
  ) {}

  get deviceJid(): string | null {
    return this.inner.deviceJid;
  }

  get lidDeviceJid(): string | null {
    return this.inner.lidDeviceJid;
  }

  get closed(): boolean {
    return this.inner.closed;
  }

  send(node: BinaryNode): void {
    this.onSend(node);
    this.inner.send(node);
  }

  query(node: BinaryNode, timeoutMs?: number): Promise<BinaryNode> {
    return this.inner.query(node, timeoutMs);
  }

  terminate(last?: BinaryNode): void {
    this.inner.terminate(last);
  }
}

export class WireObserver {
  private readonly encTypes = new Map<string, string[]>();

  constructor(private readonly logger: Logger) {}

  /** The contacts' view of the network, with every message they write to the account observed. */
  observe(host: ContactsHost): ContactsHost {
    return {
      router: host.router,
      accounts: host.accounts,
      linksOf: (phone) => host.linksOf(phone).map((link) => new ObservedLink(link, (node) => this.sent(node))),
      accountOf: (link) => host.accountOf(link instanceof ObservedLink ? link.inner : link),
    };
  }

  /** The enc types of the message `id` as it went on the wire (one per encrypted part), if seen. */
  encTypesOf(id: string): string[] | undefined {
    return this.encTypes.get(id);
  }

  private sent(node: BinaryNode): void {
    if (node.tag !== 'message' || !node.attrs.id || !Array.isArray(node.content)) return;
    const types = node.content.filter((child) => child.tag === 'enc').map((child) => child.attrs.type ?? '?');
    if (types.length === 0) return;
    this.encTypes.set(node.attrs.id, types);
    if (this.encTypes.size > REMEMBERED_MESSAGES) {
      const oldest = this.encTypes.keys().next().value;
      if (oldest !== undefined) this.encTypes.delete(oldest);
    }
    this.logger.debug({ id: node.attrs.id, enc: types }, 'simulator: a contact message is on the wire');
  }
}
