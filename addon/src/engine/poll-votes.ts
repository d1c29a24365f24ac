/**
 * A vote on a poll arrives encrypted with the poll's secret and both parties' identities. It is
 * decrypted against the poll this service stored, trying each form (phone number, LID) of the
 * poll's creator and of the voter, since either may have been used when the vote was made.
 */
import type { proto, WAMessage } from 'baileys';

import type { MessageData } from '../journal/types.js';
import { identitiesOf, ownIdentities } from './jid-identities.js';
import { unwrapContent } from './message-content.js';
import type { NormaliseContext } from './normalise-context.js';
import { decryptVoteWithCandidates, pollDefinitionOf, selectedOptionNames } from './poll-crypto.js';

type PollVote = NonNullable<MessageData['poll_vote']>;

/** The poll and the options chosen; null (with a warning) when the vote cannot be read. */
export async function readPollVote(
  message: WAMessage,
  update: proto.Message.IPollUpdateMessage,
  ctx: NormaliseContext,
): Promise<PollVote | null> {
  const pollKey = update.pollCreationMessageKey;
  const pollId = pollKey?.id;
  if (!pollKey || !pollId || !update.vote) return null;
  const stored = await ctx.messageContent?.(pollKey);
  const pollContent = unwrapContent(stored);
  const poll = pollContent ? pollDefinitionOf(pollContent) : null;
  // The secret sits beside the outermost content, or inside when our other device's copy was unwrapped.
  const secret = stored?.messageContextInfo?.messageSecret ?? pollContent?.messageContextInfo?.messageSecret;
  if (!poll || !secret) {
    ctx.logger?.warn({ pollId, messageId: message.key.id }, 'poll vote for a poll this service has not seen; dropped');
    return null;
  }
  const creatorCandidates = pollKey.fromMe
    ? ownIdentities(ctx)
    : await identitiesOf(pollKey.participant || pollKey.remoteJid, null, ctx);
  const voterCandidates = message.key.fromMe
    ? ownIdentities(ctx)
    : await identitiesOf(
        message.key.participant || message.key.remoteJid,
        message.key.participantAlt || message.key.remoteJidAlt,
        ctx,
      );
  const hashes = decryptVoteWithCandidates({
    vote: update.vote,
    pollId,
    secret,
    creatorCandidates,
    voterCandidates,
  });
  if (!hashes) {
    ctx.logger?.warn({ pollId, messageId: message.key.id }, 'poll vote could not be decrypted; dropped');
    return null;
  }
  return { poll_id: pollId, selected: selectedOptionNames(poll, hashes) };
}
