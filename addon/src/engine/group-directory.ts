/**
 * What one connection knows about groups: full metadata for sending (see GroupMetadataCache) and
 * subjects for naming chats in the journal, also of groups whose metadata is not known.
 */
import type { GroupMetadata } from 'baileys';

import { forgetOldest } from './bounded-map.js';
import { GroupMetadataCache } from './group-cache.js';

const MAX_GROUP_NAMES = 1_000;

/** A group whose subject could not be fetched is not asked about again for this long. */
const GROUP_RETRY_AFTER_MS = 60_000;

/**
 * Asks WhatsApp for a group's metadata: null when it gave none in time, undefined when it cannot
 * be asked at all (no socket yet, or the connection has ended).
 */
export type GroupMetadataLookup = (jid: string) => Promise<GroupMetadata | null> | undefined;

/**
 * Group names, kept across reconnects by the engine. Without them every reconnect asked WhatsApp
 * again for each group's name, and the first message of each group held up every event behind it
 * for that round trip, just when the offline backlog arrives. A rename made while offline still
 * arrives as a notification. Unlike members (see GroupMetadataCache), a stale name harms nobody.
 */
export class GroupNames {
  private readonly names = new Map<string, string>();

  get(jid: string): string | undefined {
    return this.names.get(jid);
  }

  set(jid: string, subject: string): void {
    this.names.delete(jid);
    this.names.set(jid, subject);
    forgetOldest(this.names, MAX_GROUP_NAMES);
  }

  /** The account is forgotten: its groups with it. */
  clear(): void {
    this.names.clear();
  }
}

export class GroupDirectory {
  private readonly metadata: GroupMetadataCache;
  private readonly failedAt = new Map<string, number>();

  constructor(
    private readonly lookup: GroupMetadataLookup,
    metadataTtlMs?: number,
    private readonly subjects = new GroupNames(),
  ) {
    this.metadata = new GroupMetadataCache(metadataTtlMs);
  }

  /** For Baileys' `cachedGroupMetadata`: fresh metadata, or undefined so Baileys asks WhatsApp. */
  cachedMetadata(jid: string): GroupMetadata | undefined {
    return this.metadata.get(jid);
  }

  remember(group: GroupMetadata): void {
    this.metadata.remember(group);
    this.subjects.set(group.id, group.subject);
  }

  /** A change of settings or subject announced by WhatsApp. */
  patch(update: Partial<GroupMetadata>): void {
    this.metadata.patch(update);
  }

  subjectChanged(jid: string, subject: string): void {
    this.subjects.set(jid, subject);
  }

  /** Whoever joined or left changes who must receive the next message to the group. */
  async membershipChanged(jid: string): Promise<void> {
    this.metadata.forget(jid);
    const fresh = await this.lookup(jid);
    if (fresh) this.remember(fresh);
  }

  /** The group's name; asked of WhatsApp once, and not again for a while when that failed. */
  async subject(jid: string): Promise<string | null> {
    const known = this.subjects.get(jid);
    if (known !== undefined) return known;
    const failedAt = this.failedAt.get(jid);
    if (failedAt !== undefined && Date.now() - failedAt < GROUP_RETRY_AFTER_MS) return null;
    const asked = this.lookup(jid);
    if (!asked) return null;
    const metadata = await asked;
    if (!metadata) {
      this.failedAt.set(jid, Date.now());
      return null;
    }
    this.remember(metadata);
    return metadata.subject;
  }
}
