/**
 * A small bounded cache with expiry, in the shape Baileys takes for its retry counters and device
 * lists. Kept by the engine rather than the socket so what it knows survives reconnects. No timers:
 * expired entries are dropped when read or pushed out by newer ones.
 */
import type { CacheStore } from 'baileys';

import { forgetOldest } from './bounded-map.js';

export interface BoundedCacheOptions {
  maxEntries: number;
  ttlMs: number;
  now?: () => number;
}

interface Entry {
  value: unknown;
  expiresAt: number;
}

export class BoundedCacheStore implements CacheStore {
  /** Oldest first: a Map iterates in insertion order and set() re-inserts. */
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;

  constructor(private readonly options: BoundedCacheOptions) {
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  get<T>(key: string): T | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value as T;
  }

  set<T>(key: string, value: T): void {
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: this.now() + this.options.ttlMs });
    forgetOldest(this.entries, this.options.maxEntries);
  }

  del(key: string): void {
    this.entries.delete(key);
  }

  flushAll(): void {
    this.entries.clear();
  }
}

/** The caches one account's connections share, one set per engine. */
export interface SharedSocketCaches {
  /** How often each message was re-sent or asked for again; WhatsApp stops after a few tries. */
  msgRetryCounter: BoundedCacheStore;
  /** The devices of each contact, so a reconnect does not re-query everyone before the first send. */
  userDevices: BoundedCacheStore;
}

export function createSharedSocketCaches(now?: () => number): SharedSocketCaches {
  return {
    // Baileys keeps retry counters for an hour and device lists for five minutes.
    msgRetryCounter: new BoundedCacheStore({ maxEntries: 10_000, ttlMs: 60 * 60_000, now }),
    userDevices: new BoundedCacheStore({ maxEntries: 5_000, ttlMs: 5 * 60_000, now }),
  };
}
