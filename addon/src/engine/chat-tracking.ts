/**
 * Small bounded memories the Baileys connection keeps about chats: which statuses were already
 * reported, and which received messages are still unread.
 */
import type { WAMessageKey } from 'baileys';

import type { MessageStatus } from '../journal/types.js';
import { forgetOldest } from './bounded-map.js';

/** Message statuses remembered to drop duplicates (every group member sends receipts). */
const REMEMBERED_STATUSES = 5_000;
/** Received messages remembered per chat for "mark the chat read". */
const UNREAD_PER_CHAT = 50;
const CHATS_WITH_UNREAD = 500;

const STATUS_RANK: Readonly<Record<MessageStatus, number>> = { failed: 0, sent: 1, delivered: 2, read: 3, played: 4 };

/** Passes on each status of a message once, and only forward (delivered never follows read). */
export class StatusDeduplicator {
  private readonly seen = new Map<string, number>();

  constructor(private readonly capacity = REMEMBERED_STATUSES) {}

  accept(messageId: string, status: MessageStatus): boolean {
    const rank = STATUS_RANK[status];
    const previous = this.seen.get(messageId);
    if (status !== 'failed' && previous !== undefined && previous >= rank) return false;
    this.seen.delete(messageId);
    this.seen.set(messageId, rank);
    forgetOldest(this.seen, this.capacity);
    return true;
  }
}

/** Keys of received messages per chat, until they are marked read. Bounded: old chats are forgotten. */
export class UnreadTracker {
  private readonly chats = new Map<string, WAMessageKey[]>();

  add(chat: string, key: WAMessageKey): void {
    const keys = this.chats.get(chat) ?? [];
    this.chats.delete(chat);
    keys.push(key);
    // Trimmed in place: copying the chat's keys for every message was a needless allocation each.
    if (keys.length > UNREAD_PER_CHAT) keys.splice(0, keys.length - UNREAD_PER_CHAT);
    this.chats.set(chat, keys);
    forgetOldest(this.chats, CHATS_WITH_UNREAD);
  }

  /** Everything unread in the chat; forgotten once taken. */
  take(chat: string): WAMessageKey[] {
    const keys = this.chats.get(chat) ?? [];
    this.chats.delete(chat);
    return keys;
  }
}
