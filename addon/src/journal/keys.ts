/** Pure helpers of the journal: message identity and seq holes. */
import { crc32 } from 'node:zlib';
import type { JournalEvent, JournalInput } from './types.js';

/** What makes a WhatsApp message the same message when it is delivered again. */
export function messageKey(event: JournalInput): string | null {
  if (event.type !== 'message') return null;
  const { chat, sender, id } = event.data;
  return `${chat}\u0000${sender}\u0000${id}`;
}

/** Whether seqs are missing from `events`, read after `after`, up to `through` when given. */
export function missesSeqs(after: number, events: JournalEvent[], through: number | null): boolean {
  let expected = after + 1;
  for (const event of events) {
    if (event.seq !== expected) return true;
    expected = event.seq + 1;
  }
  return through !== null && expected <= through;
}

/** A non-zero 31-bit digest of a messageKey, for the journal's index; equal keys, equal digests. */
export function messageKeyHash(key: string): number {
  return (crc32(key) >>> 1) + 1;
}
