/**
 * Groups on the fake network: who is in them (contacts and linked accounts), their subject, the
 * metadata answers Baileys asks for (`w:g2`), and the `w:gp2` notifications WhatsApp sends when
 * members are added, removed, promoted or demoted, or the subject changes. Groups are LID-addressed,
 * as WhatsApp's groups are today.
 */
import type { BinaryNode } from 'baileys';

import type { ContactBook } from './contacts-book.js';
import { unixTime } from './stanzas.js';
import type { LinkedAccount } from './types.js';

export type GroupRole = 'admin' | 'superadmin' | null;

/** A member as group stanzas name one: by LID, with the phone number beside it (LID addressing). */
function participantNode(member: GroupMember, role: GroupRole): BinaryNode {
  return {
    tag: 'participant',
    attrs: { jid: `${member.lid}@lid`, phone_number: `${member.phone}@s.whatsapp.net`, ...(role ? { type: role } : {}) },
  };
}
export type GroupAction = 'add' | 'remove' | 'promote' | 'demote';

export interface GroupMember {
  /** Digits of the member's phone number. */
  phone: string;
  lid: string;
  role: GroupRole;
}

export interface GroupState {
  jid: string;
  subject: string;
  /** Seconds since the epoch. */
  creation: number;
  subjectTime: number;
  /** Phone digits of the creator. */
  creator: string;
  members: GroupMember[];
}

/** Seeded groups; every linked account is a member of each (a network is demo-ready at once). */
export const SEEDED_GROUPS: ReadonlyArray<{ jid: string; subject: string; members: readonly string[] }> = [
  { jid: '120363000000000001@g.us', subject: 'Family', members: ['4917612345678', '447700900123', '15550000002'] },
  {
    jid: '120363000000000002@g.us',
    subject: 'Neighbours',
    // Eleven neighbours and the account: a group bigger than a family, as in the add-on's examples.
    members: ['447700900123', '15550000003', ...Array.from({ length: 9 }, (_, index) => `155500000${(index + 4).toString().padStart(2, '0')}`)],
  },
];

const SEEDED_AT = 1_700_000_000;

export class GroupNotFoundError extends Error {}

export class FakeGroups {
  private readonly groups = new Map<string, GroupState>();

  constructor(private readonly book: ContactBook) {
    for (const seed of SEEDED_GROUPS) {
      const members = seed.members.map((phone, index): GroupMember => {
        const contact = book.resolve(phone)!;
        return { phone: contact.phone, lid: contact.lid, role: index === 0 ? 'superadmin' : null };
      });
      this.groups.set(seed.jid, { jid: seed.jid, subject: seed.subject, creation: SEEDED_AT, subjectTime: SEEDED_AT, creator: seed.members[0]!, members });
    }
  }

  list(): GroupState[] {
    return [...this.groups.values()];
  }

  get(jid: string): GroupState {
    const group = this.groups.get(jid);
    if (!group) throw new GroupNotFoundError(`There is no group ${jid}.`);
    return group;
  }

  has(jid: string): boolean {
    return this.groups.has(jid);
  }

  /** Makes sure a linked account is a member (seeded groups include every account). */
  enrol(account: LinkedAccount): void {
    for (const group of this.groups.values()) {
      if (!group.members.some((member) => member.phone === account.phone)) {
        group.members.push({ phone: account.phone, lid: account.lid, role: null });
      }
    }
  }

  isMember(jid: string, phoneOrLid: string): boolean {
    return this.get(jid).members.some((member) => member.phone === phoneOrLid || member.lid === phoneOrLid);
  }

  /** A group a contact writes to that nobody created yet comes into being with the contact and the account in it. */
  ensure(jid: string, founder: GroupMember, account: LinkedAccount): GroupState {
    let group = this.groups.get(jid);
    if (!group) {
      const now = Number(unixTime());
      group = {
        jid,
        subject: `Group ${jid.slice(-8, -5)}`,
        creation: now,
        subjectTime: now,
        creator: founder.phone,
        members: [{ ...founder, role: 'superadmin' }, { phone: account.phone, lid: account.lid, role: null }],
      };
      this.groups.set(jid, group);
    }
    return group;
  }

  /** Applies a membership change; returns the members it changed (adding a member twice changes nothing). */
  change(jid: string, action: GroupAction, members: GroupMember[]): GroupMember[] {
    const group = this.get(jid);
    const changed: GroupMember[] = [];
    for (const wanted of members) {
      const index = group.members.findIndex((member) => member.phone === wanted.phone);
      const current = index >= 0 ? group.members[index]! : undefined;
      if (action === 'add' && !current) group.members.push({ ...wanted, role: null });
      else if (action === 'remove' && current) group.members.splice(index, 1);
      else if (action === 'promote' && current && current.role === null) current.role = 'admin';
      else if (action === 'demote' && current && current.role !== null) current.role = null;
      else continue;
      changed.push({ ...wanted, role: action === 'promote' ? 'admin' : null });
    }
    return changed;
  }

  setSubject(jid: string, subject: string): void {
    const group = this.get(jid);
    group.subject = subject;
    group.subjectTime = Number(unixTime());
  }

  /** `<group>` as the metadata and participating-groups answers carry it. */
  groupNode(jid: string): BinaryNode {
    const group = this.get(jid);
    const creator = this.book.byPhone(group.creator);
    return {
      tag: 'group',
      attrs: {
        id: jid.split('@')[0]!,
        subject: group.subject,
        s_t: group.subjectTime.toString(),
        creation: group.creation.toString(),
        ...(creator ? { creator: creator.lidJid, creator_pn: creator.pnJid, s_o: creator.lidJid, s_o_pn: creator.pnJid } : {}),
        addressing_mode: 'lid',
        size: group.members.length.toString(),
      },
      content: group.members.map((member) => participantNode(member, member.role)),
    };
  }

  /** The `w:gp2` notification for a membership change, written by `actor`. */
  participantsNotification(jid: string, action: GroupAction, changed: GroupMember[], actor: GroupMember, id: string): BinaryNode {
    return {
      ...this.notificationShell(jid, actor, id),
      content: [
        {
          tag: action,
          attrs: {},
          content: changed.map((member) => participantNode(member, action === 'promote' ? 'admin' : null)),
        },
      ],
    };
  }

  subjectNotification(jid: string, actor: GroupMember, id: string): BinaryNode {
    const group = this.get(jid);
    return {
      ...this.notificationShell(jid, actor, id),
      content: [{ tag: 'subject', attrs: { subject: group.subject, s_o: `${actor.lid}@lid`, s_t: group.subjectTime.toString() } }],
    };
  }

  /** The member acting for changes nobody named: the group's creator, or its first admin. */
  defaultActor(jid: string): GroupMember {
    const group = this.get(jid);
    return group.members.find((member) => member.phone === group.creator) ?? group.members.find((member) => member.role !== null) ?? group.members[0]!;
  }

  private notificationShell(jid: string, actor: GroupMember, id: string): BinaryNode {
    return {
      tag: 'notification',
      attrs: {
        from: jid,
        type: 'w:gp2',
        id,
        t: unixTime(),
        participant: `${actor.lid}@lid`,
        participant_pn: `${actor.phone}@s.whatsapp.net`,
        addressing_mode: 'lid',
        notify: this.book.byPhone(actor.phone)?.name ?? '',
      },
    };
  }
}

/**
 * Answers the account's `w:g2` metadata queries: `<participating>` (every group it is in) or
 * `<query>` about one group. Returns null for other `w:g2` requests.
 */
export function answerGroupQuery(node: BinaryNode, groups: FakeGroups, accountPhone: string | undefined): BinaryNode | null {
  const first = Array.isArray(node.content) ? node.content[0] : undefined;
  const from = node.attrs.to ?? '@g.us';
  const result = (content: BinaryNode[]): BinaryNode => ({ tag: 'iq', attrs: { from, type: 'result', id: node.attrs.id ?? '' }, content });
  if (first?.tag === 'participating') {
    const mine = groups.list().filter((group) => !accountPhone || group.members.some((member) => member.phone === accountPhone));
    return result([{ tag: 'groups', attrs: {}, content: mine.map((group) => groups.groupNode(group.jid)) }]);
  }
  if (first?.tag !== 'query') return null;
  if (node.attrs.to && groups.has(node.attrs.to)) return result([groups.groupNode(node.attrs.to)]);
  return { tag: 'iq', attrs: { from, type: 'error', id: node.attrs.id ?? '' }, content: [{ tag: 'error', attrs: { code: '404', text: 'item-not-found' } }] };
}
