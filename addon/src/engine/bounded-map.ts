/**
 * The engine's small memories (statuses, unread keys, pending acks, group metadata, Baileys' caches)
 * are Maps kept in insertion order with the newest entry re-inserted last, so trimming from the front
 * forgets the least recently written first.
 */

/** Forgets the oldest entries until at most `capacity` remain. */
export function forgetOldest<K, V>(map: Map<K, V>, capacity: number): void {
  for (const oldest of map.keys()) {
    if (map.size <= capacity) break;
    map.delete(oldest);
  }
}
