/**
 * A restart of the add-on and of the fake network on the same data: what later messages need from
 * earlier ones (a poll's secret for its votes, the original of a reaction or a quote) is still known
 * on both sides, and the contacts' Signal sessions continue.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ALICE, ALICE_JID, NetworkHarness } from './network-harness.js';

describe('restart on the same data, on the fake network', () => {
  it('votes, reactions and replies to messages from before the restart are understood', async () => {
    const first = await NetworkHarness.start();
    let dir = first.dir;
    let pollId: string;
    let earlier: string;
    try {
      await first.linkAndOpen();
      const poll = await first.connection!.send({ to: ALICE_JID, content: { type: 'poll', question: 'Movie?', options: ['Yes', 'No'], multiple: false }, replyTo: null, mentions: [] });
      pollId = poll.id;
      earlier = await first.contacts.deliver({ from: `+${ALICE}`, text: 'before the restart' });
      await first.waitForMessage(earlier);
      await first.contacts.settle();
    } finally {
      await first.stop(true);
    }

    const second = await NetworkHarness.start({ dir });
    dir = second.dir;
    try {
      await second.linkAndOpen();
      assert.equal(second.count('qr'), 0, 'still linked: no QR code');
      const vote = await second.waitForMessage(await second.contacts.deliver({ from: `+${ALICE}`, kind: 'poll_vote', poll_vote: { poll_id: pollId, selected: ['No'] } }));
      assert.deepEqual(vote.poll_vote, { poll_id: pollId, selected: ['No'] });
      const reaction = await second.waitForMessage(await second.contacts.deliver({ from: `+${ALICE}`, kind: 'reaction', reaction: { message_id: earlier, emoji: '👍' } }));
      assert.deepEqual(reaction.reaction, { message_id: earlier, emoji: '👍' });
      const reply = await second.waitForMessage(await second.contacts.deliver({ from: `+${ALICE}`, text: 'as I said', quoted_id: earlier }));
      assert.equal(reply.quoted_id, earlier);
      const sent = await second.connection!.send({ to: ALICE_JID, content: { type: 'text', text: 'after the restart' }, replyTo: null, mentions: [] });
      await second.contacts.settle();
      assert.equal(second.contacts.outbox().find((entry) => entry.id === sent.id)?.text, 'after the restart');
    } finally {
      await second.stop();
    }
  });
});
