/**
 * Poll votes travel end-to-end encrypted a second time: each vote is AES-GCM encrypted with a key
 * derived from the poll's `messageSecret`, the poll id and the creator's and voter's jids, and names
 * the chosen options only by their SHA-256. The pinned Baileys exports the decryption primitive but
 * no longer applies it to incoming votes, so the normaliser does it here.
 */
import { randomBytes } from 'node:crypto';

import { aesEncryptGCM, decryptPollVote, hmacSign, jidNormalizedUser, proto, sha256 } from 'baileys';

export interface PollDefinition {
  question: string;
  options: string[];
  multiple: boolean;
}

/** The poll inside a message's content (v1 is multiple choice, v3 single choice, v2 announcement groups). */
export function pollDefinitionOf(content: proto.IMessage): PollDefinition | null {
  const creation =
    content.pollCreationMessage ??
    content.pollCreationMessageV2 ??
    content.pollCreationMessageV3 ??
    content.pollCreationMessageV5;
  if (!creation) return null;
  return {
    question: creation.name ?? '',
    options: (creation.options ?? []).map((option) => option.optionName ?? ''),
    // 0 means "any number", 1 a single choice, N up to N choices.
    multiple: (creation.selectableOptionsCount ?? 0) !== 1,
  };
}

function optionHash(optionName: string): Buffer {
  return sha256(Buffer.from(optionName));
}

export interface VoteKeyMaterial {
  pollId: string;
  /** The poll's 32-byte `messageContextInfo.messageSecret`. */
  secret: Uint8Array;
  creatorJid: string;
  voterJid: string;
}

function voteKeyAndAad({ pollId, secret, creatorJid, voterJid }: VoteKeyMaterial): { key: Buffer; aad: Buffer } {
  const sign = Buffer.concat([
    Buffer.from(pollId),
    Buffer.from(creatorJid),
    Buffer.from(voterJid),
    Buffer.from('Poll Vote'),
    Buffer.from([1]),
  ]);
  const key0 = hmacSign(secret, new Uint8Array(32), 'sha256');
  return { key: hmacSign(sign, key0, 'sha256'), aad: Buffer.from(`${pollId}\u0000${voterJid}`) };
}

/** Encrypts a vote exactly as a WhatsApp client does, so Baileys' `decryptPollVote` accepts it. */
export function encryptPollVote(material: VoteKeyMaterial, selectedOptions: string[]): proto.Message.IPollEncValue {
  const { key, aad } = voteKeyAndAad(material);
  const plaintext = proto.Message.PollVoteMessage.encode({
    selectedOptions: selectedOptions.map(optionHash),
  }).finish();
  const encIv = randomBytes(12);
  return { encPayload: aesEncryptGCM(plaintext, key, encIv, aad), encIv };
}

export interface VoteDecryptionInput {
  vote: proto.Message.IPollEncValue;
  pollId: string;
  secret: Uint8Array;
  /** Every jid the poll creator may have been addressed by (phone number and LID forms). */
  creatorCandidates: readonly string[];
  /** Every jid the voter may have been addressed by. */
  voterCandidates: readonly string[];
}

/**
 * Clients disagree about which identity (phone-number jid or LID) they mix into the key, so every
 * combination is tried; AES-GCM authentication rejects the wrong ones, so a success is conclusive.
 * Returns the hashes of the selected options, or null when no combination decrypts.
 */
export function decryptVoteWithCandidates(input: VoteDecryptionInput): Uint8Array[] | null {
  const creators = uniqueNormalised(input.creatorCandidates);
  const voters = uniqueNormalised(input.voterCandidates);
  for (const pollCreatorJid of creators) {
    for (const voterJid of voters) {
      try {
        const decrypted = decryptPollVote(input.vote, {
          pollCreatorJid,
          pollMsgId: input.pollId,
          pollEncKey: input.secret,
          voterJid,
        });
        return decrypted.selectedOptions ?? [];
      } catch {
        // Wrong identity pair: authentication failed, try the next.
      }
    }
  }
  return null;
}

/** Maps option hashes back to option names, in the poll's option order. */
export function selectedOptionNames(poll: PollDefinition, hashes: readonly Uint8Array[]): string[] {
  const chosen = new Set(hashes.map((hash) => Buffer.from(hash).toString('base64')));
  return poll.options.filter((option) => chosen.has(optionHash(option).toString('base64')));
}

function uniqueNormalised(jids: readonly string[]): string[] {
  return [...new Set(jids.filter((jid) => jid.length > 0).map((jid) => jidNormalizedUser(jid)))];
}
