/**
 * Browser sign-ins with the API key, outside Home Assistant. A sign-in is a cookie that names its own
 * expiry and is sealed with a secret that lives only in memory, derived from the API key and a random
 * value. So a cookie ends by itself after `lifetimeMs`, and all cookies end at once when the random
 * value is replaced (sign-out, logout of WhatsApp), when the service restarts, or when the key changes.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'wa_dashboard';
export const SESSION_LIFETIME_MS = 12 * 60 * 60 * 1000;
const FORMAT = 'v1';

export interface SessionOptions {
  lifetimeMs?: number;
  now?: () => number;
}

export class DashboardSessions {
  private secret: Buffer;
  private readonly lifetimeMs: number;
  private readonly now: () => number;

  constructor(
    private readonly apiKey: string,
    options: SessionOptions = {},
  ) {
    this.lifetimeMs = options.lifetimeMs ?? SESSION_LIFETIME_MS;
    this.now = options.now ?? Date.now;
    this.secret = this.freshSecret();
  }

  /** A new sign-in: the cookie value and how long the browser should keep it. */
  issue(): { value: string; maxAgeSeconds: number } {
    const expires = Math.floor((this.now() + this.lifetimeMs) / 1000);
    const payload = `${FORMAT}.${expires}.${randomBytes(12).toString('base64url')}`;
    return { value: `${payload}.${this.seal(payload)}`, maxAgeSeconds: Math.floor(this.lifetimeMs / 1000) };
  }

  valid(value: string | null): boolean {
    if (value === null) return false;
    const parts = value.split('.');
    if (parts.length !== 4 || parts[0] !== FORMAT) return false;
    const expires = Number(parts[1]);
    if (!Number.isSafeInteger(expires) || expires * 1000 <= this.now()) return false;
    const given = Buffer.from(parts[3]!, 'base64url');
    const expected = Buffer.from(this.seal(parts.slice(0, 3).join('.')), 'base64url');
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  /** Every cookie handed out so far stops working. */
  revokeAll(): void {
    this.secret = this.freshSecret();
  }

  private freshSecret(): Buffer {
    return createHmac('sha256', this.apiKey).update(randomBytes(32)).digest();
  }

  private seal(payload: string): string {
    return createHmac('sha256', this.secret).update(payload).digest('base64url');
  }
}
