/**
 * Who may open the dashboard. Home Assistant's ingress proxy has already checked that the user is an
 * administrator, so requests from its address are let in; anyone else needs the API key, either as
 * a bearer header or through the sign-in form, which sets a cookie derived from the key (never the
 * key itself), so changing the key signs every browser out.
 */
import { createHmac } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { apiKeyMatches } from '../api-key.js';

export const SESSION_COOKIE = 'wa_dashboard';
const SESSION_MAX_AGE_S = 30 * 24 * 60 * 60;

/** `::ffff:172.30.32.2` (IPv4 seen through an IPv6 socket) → `172.30.32.2`. */
export function peerAddress(req: Request): string {
  const address = req.socket.remoteAddress ?? '';
  return address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
}

export function sessionToken(apiKey: string): string {
  return createHmac('sha256', apiKey).update('whatsapp dashboard session').digest('base64url');
}

function cookie(req: Request, name: string): string | null {
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const separator = part.indexOf('=');
    if (separator > 0 && part.slice(0, separator).trim() === name) return part.slice(separator + 1).trim();
  }
  return null;
}

export class DashboardAccess {
  private readonly trusted: ReadonlySet<string>;
  private readonly token: string;

  constructor(
    private readonly apiKey: string,
    trustedAddresses: readonly string[],
  ) {
    this.trusted = new Set(trustedAddresses);
    this.token = sessionToken(apiKey);
  }

  allows(req: Request): boolean {
    if (this.trusted.has(peerAddress(req))) return true;
    const bearer = /^Bearer\s+(.+)$/i.exec((req.get('authorization') ?? '').trim());
    if (bearer && apiKeyMatches(bearer[1]!.trim(), this.apiKey)) return true;
    const session = cookie(req, SESSION_COOKIE);
    return session !== null && apiKeyMatches(session, this.token);
  }

  keyMatches(candidate: string): boolean {
    return apiKeyMatches(candidate.trim(), this.apiKey);
  }

  /**
   * Strict same-site and HTTP-only: the dashboard's own scripts never read it, and no other site can
   * make the browser send it. No path: it covers the dashboard wherever it is mounted.
   */
  signIn(res: Response): void {
    res.append('Set-Cookie', `${SESSION_COOKIE}=${this.token}; HttpOnly; SameSite=Strict; Max-Age=${SESSION_MAX_AGE_S}`);
  }

  /** Lets allowed requests through; `refuse` answers the others. */
  guard(refuse: (req: Request, res: Response) => void): RequestHandler {
    return (req, res, next) => {
      if (this.allows(req)) {
        next();
        return;
      }
      refuse(req, res);
    };
  }
}
