/**
 * Who is looking at the page, and whether they may change the WhatsApp accounts.
 *
 * - Whoever holds the API key (bearer header, or the sign-in cookie it buys) may do everything: the
 *   key opens the whole REST API anyway.
 * - Requests from Home Assistant's ingress proxy carry the Home Assistant user (`X-Remote-User-Id`,
 *   set by the Supervisor, which drops any such header the browser sent). That user may manage the
 *   session only if Core confirms they are an administrator; everyone else there reads only.
 * - Anybody else is asked for the key.
 */
import type { Request, RequestHandler, Response } from 'express';
import { apiKeyMatches } from '../api-key.js';
import { ApiError } from '../api/errors.js';
import type { AdminCheck } from './ha-admins.js';
import { cookie, peerAddress } from './peer.js';
import { SESSION_COOKIE, type DashboardSessions } from './sessions.js';

export type Role = 'admin' | 'viewer';

export interface Viewer {
  role: Role;
  /** How the page knows who this is: a Home Assistant user, the API key, or only the address. */
  via: 'home_assistant' | 'api_key' | 'address';
  /** The Home Assistant user id, for the log (not personal data); null otherwise. */
  userId: string | null;
  /** The Home Assistant user's display name, to greet them. */
  name: string | null;
  /** Signed in with the cookie, so the page offers to sign out. */
  signedIn: boolean;
}

const MAX_HEADER_CHARS = 200;

function header(req: Request, name: string): string | null {
  const value = req.get(name)?.trim();
  return value ? value.slice(0, MAX_HEADER_CHARS) : null;
}

export function viewerOf(res: Response): Viewer {
  return res.locals.viewer as Viewer;
}

export class DashboardAccess {
  private readonly ingressProxies: ReadonlySet<string>;

  constructor(
    private readonly apiKey: string,
    ingressProxies: readonly string[],
    private readonly admins: AdminCheck,
    private readonly sessions: DashboardSessions,
  ) {
    this.ingressProxies = new Set(ingressProxies);
  }

  get proxies(): ReadonlySet<string> {
    return this.ingressProxies;
  }

  async identify(req: Request): Promise<Viewer | null> {
    const bearer = /^Bearer\s+(.+)$/i.exec((req.get('authorization') ?? '').trim());
    if (bearer && apiKeyMatches(bearer[1]!.trim(), this.apiKey)) {
      return { role: 'admin', via: 'api_key', userId: null, name: null, signedIn: false };
    }
    if (this.sessions.valid(cookie(req, SESSION_COOKIE))) {
      return { role: 'admin', via: 'api_key', userId: null, name: null, signedIn: true };
    }
    if (!this.ingressProxies.has(peerAddress(req))) return null;
    const userId = header(req, 'x-remote-user-id');
    if (userId === null) return { role: 'viewer', via: 'address', userId: null, name: null, signedIn: false };
    const name = header(req, 'x-remote-user-display-name') ?? header(req, 'x-remote-user-name');
    const role: Role = (await this.admins.isAdmin(userId)) ? 'admin' : 'viewer';
    return { role, via: 'home_assistant', userId, name, signedIn: false };
  }

  keyMatches(candidate: string): boolean {
    return apiKeyMatches(candidate.trim(), this.apiKey);
  }

  /**
   * Strict same-site and HTTP-only: the page's own scripts never read it, and no other site can make
   * the browser send it. No path: the browser scopes it to where the page is mounted.
   */
  signIn(res: Response): void {
    const { value, maxAgeSeconds } = this.sessions.issue();
    res.append('Set-Cookie', `${SESSION_COOKIE}=${value}; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}`);
  }

  /** Ends every sign-in, not just this browser's: the one way to revoke a cookie that leaked. */
  signOutEverywhere(res: Response): void {
    this.sessions.revokeAll();
    res.append('Set-Cookie', `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Max-Age=0`);
  }

  revokeSignIns(): void {
    this.sessions.revokeAll();
  }

  /** Lets known viewers through (kept in `res.locals.viewer`); `refuse` answers the others. */
  guard(refuse: (req: Request, res: Response) => void): RequestHandler {
    return async (req, res, next) => {
      const viewer = await this.identify(req);
      if (viewer === null) {
        refuse(req, res);
        return;
      }
      res.locals.viewer = viewer;
      next();
    };
  }

  /** The server's refusal, whatever the page shows: only administrators change the accounts. */
  readonly adminOnly: RequestHandler = (_req, res, next) => {
    if (viewerOf(res).role === 'admin') {
      next();
      return;
    }
    next(
      new ApiError(
        403,
        'forbidden',
        'Only a Home Assistant administrator (or someone with the API key) can link, reconnect, log out, add or delete WhatsApp accounts.',
      ),
    );
  };
}
