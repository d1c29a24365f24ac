/**
 * Group metadata Baileys reuses when sending to a group (its `cachedGroupMetadata` option). Stale
 * participants are worse than none: a member who joined would get "Waiting for this message" and
 * one who left would keep receiving. So entries expire, and a membership change drops the entry
 * until fresh metadata is known; without an entry Baileys asks WhatsApp itself.
 */
import type { GroupMetadata } from 'baileys';

import { forgetOldest } from './bounded-map.js';

const GROUP_METADATA_TTL_MS = 10 * 60_000;
const MAX_GROUPS = 1_000;

interface Entry {
  metadata: GroupMetadata;
  storedAt: number;
}

export class GroupMetadataCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly ttlMs = GROUP_METADATA_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Fresh metadata of the group, or undefined when it is unknown, expired or outdated. */
  get(jid: string): GroupMetadata | undefined {
    const entry = this.entries.get(jid);
    if (!entry) return undefined;
    if (this.now() - entry.storedAt >= this.ttlMs) {
      this.entries.delete(jid);
      return undefined;
    }
    return entry.metadata;
  }

  remember(metadata: GroupMetadata): void {
    this.entries.delete(metadata.id);
    this.entries.set(metadata.id, { metadata, storedAt: this.now() });
    forgetOldest(this.entries, MAX_GROUPS);
  }

  /**
   * Applies a change of settings or subject; the entry keeps its age. Members are never taken from
   * an update: Baileys also announces whole member lists this way (after fetching all groups), and
   * may deliver one after a later membership change was handled, which would undo it.
   */
  patch(update: Partial<GroupMetadata>): void {
    if (!update.id) return;
    const entry = this.entries.get(update.id);
    if (!entry) return;
    const defined = Object.fromEntries(
      Object.entries(update).filter(([key, value]) => value !== undefined && key !== 'participants'),
    );
    entry.metadata = { ...entry.metadata, ...defined };
  }

  /** The participants changed: what is kept no longer says who must receive a message. */
  forget(jid: string): void {
    this.entries.delete(jid);
  }
}
