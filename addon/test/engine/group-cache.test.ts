import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { GroupMetadata } from 'baileys';

import { GroupMetadataCache } from '../../src/engine/group-cache.js';
import { GroupDirectory, GroupNames } from '../../src/engine/group-directory.js';

const GROUP = '120363000000000002@g.us';
const ALICE = '123456789012345@lid';
const BOB = '222222222222222@lid';

function metadata(members: string[], subject = 'Neighbours'): GroupMetadata {
  return { id: GROUP, subject, owner: undefined, participants: members.map((id) => ({ id, admin: null })) } as GroupMetadata;
}

describe('GroupMetadataCache', () => {
  it('a member list announced before a removal does not bring the removed member back', () => {
    // Baileys announces the result of "fetch all groups" as groups.update, and may hold that event
    // in its buffer until after a later removal was handled and fresh metadata fetched: patching
    // the old member list over the fresh one would keep sending the group's messages to Bob.
    const cache = new GroupMetadataCache();
    const beforeRemoval = metadata([ALICE, BOB]);
    cache.forget(GROUP);
    cache.remember(metadata([ALICE]));
    cache.patch(beforeRemoval);
    assert.deepEqual(cache.get(GROUP)?.participants.map((p) => p.id), [ALICE]);
  });

  it('a change of subject or settings is applied and keeps the members', () => {
    const cache = new GroupMetadataCache();
    cache.remember(metadata([ALICE, BOB]));
    cache.patch({ id: GROUP, subject: 'Street party', announce: true });
    const entry = cache.get(GROUP);
    assert.equal(entry?.subject, 'Street party');
    assert.equal(entry?.announce, true);
    assert.deepEqual(entry?.participants.map((p) => p.id), [ALICE, BOB]);
  });
});

describe('group names across reconnects', () => {
  it('the next connection names a known group without asking WhatsApp, so its first message is not held up', async () => {
    const names = new GroupNames();
    const asked: string[] = [];
    const firstConnection = new GroupDirectory(async (jid) => {
      asked.push(jid);
      return metadata([ALICE, BOB]);
    }, undefined, names);
    assert.equal(await firstConnection.subject(GROUP), 'Neighbours');

    const afterReconnect = new GroupDirectory(async (jid) => {
      asked.push(jid);
      return new Promise<GroupMetadata | null>(() => undefined);
    }, undefined, names);
    assert.equal(await afterReconnect.subject(GROUP), 'Neighbours');
    assert.deepEqual(asked, [GROUP], 'asked once, by the first connection');
    assert.equal(afterReconnect.cachedMetadata(GROUP), undefined, 'members are still asked for afresh');
  });

  it('a rename seen on one connection is the name on the next', async () => {
    const names = new GroupNames();
    new GroupDirectory(() => undefined, undefined, names).subjectChanged(GROUP, 'Street party');
    assert.equal(await new GroupDirectory(() => undefined, undefined, names).subject(GROUP), 'Street party');
  });
});
