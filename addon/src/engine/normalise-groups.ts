/** The journal's `group` data: who joined, left or changed role, and new subjects. */
import type { GroupMetadata, GroupParticipant, ParticipantAction } from 'baileys';

import type { GroupData } from '../journal/types.js';
import { preferPhoneJid } from './jid-identities.js';
import type { IdentityLookup } from './normalise-context.js';

export interface GroupParticipantsUpdate {
  id: string;
  participants: GroupParticipant[];
  action: ParticipantAction;
}

/** A `group-participants.update`; participants as phone-number jids where known. */
export async function normaliseGroupParticipants(
  update: GroupParticipantsUpdate,
  ctx: IdentityLookup,
): Promise<GroupData> {
  const participants = await Promise.all(
    update.participants.map((p) => preferPhoneJid(p.id, p.phoneNumber, ctx)),
  );
  return { jid: update.id, action: update.action, participants, subject: null };
}

/** A `groups.update` entry becomes a `subject` event when the subject changed; other changes are not journalled. */
export function normaliseGroupUpdate(update: Partial<GroupMetadata>): GroupData | null {
  if (!update.id || typeof update.subject !== 'string') return null;
  return { jid: update.id, action: 'subject', participants: [], subject: update.subject };
}
