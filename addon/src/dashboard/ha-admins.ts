/**
 * Is this Home Assistant user an administrator? The Supervisor's ingress proxy tells the page who is
 * looking (`X-Remote-User-Id`) but not what they may do, and it lets every Home Assistant user open
 * the page. Core knows: its WebSocket command `config/auth/list` (reached through the Supervisor's
 * `/core/websocket` with the add-on's Supervisor token; config.yaml's `homeassistant_api`) lists
 * every user with their groups. The answer is kept briefly, so a page that is open costs Core one
 * question per half minute, and a demoted user loses the buttons within that time.
 *
 * Every doubt answers "no": no token, Core unreachable, slow, refusing, or an answer we cannot read.
 */
import type { Logger } from 'pino';
import WebSocket from 'ws';
import type { SupervisorAccess } from '../settings.js';

export interface AdminCheck {
  isAdmin(userId: string): Promise<boolean>;
}

/** Outside Home Assistant there is nobody to ask: no ingress user is an administrator. */
export const NO_ADMINS: AdminCheck = { isAdmin: async () => false };

export interface CoreAdminCheckOptions {
  cacheMs?: number;
  /** After a failed question, answer "no" without asking again for this long. */
  retryAfterFailureMs?: number;
  timeoutMs?: number;
  now?: () => number;
}

/** Home Assistant's administrators group (`GROUP_ID_ADMIN` in Core). */
const ADMIN_GROUP = 'system-admin';
const LIST_USERS = 'config/auth/list';
const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

/** Core's rule (`User.is_admin`): the owner, or an active member of the administrators group. */
export function adminsFrom(result: unknown): Map<string, boolean> {
  if (!Array.isArray(result)) throw new Error('Core answered config/auth/list with something that is not a list');
  const admins = new Map<string, boolean>();
  for (const entry of result as unknown[]) {
    if (entry === null || typeof entry !== 'object') continue;
    const user = entry as { id?: unknown; is_owner?: unknown; is_active?: unknown; group_ids?: unknown };
    if (typeof user.id !== 'string' || user.id === '') continue;
    const inAdminGroup = Array.isArray(user.group_ids) && user.group_ids.includes(ADMIN_GROUP);
    admins.set(user.id, user.is_active === true && (user.is_owner === true || inAdminGroup));
  }
  return admins;
}

export class CoreAdminCheck implements AdminCheck {
  private cached: { admins: ReadonlyMap<string, boolean>; until: number } | null = null;
  private asking: Promise<ReadonlyMap<string, boolean>> | null = null;
  private quietUntil = 0;
  private readonly cacheMs: number;
  private readonly retryAfterFailureMs: number;
  private readonly timeoutMs: number;
  private readonly now: () => number;

  constructor(
    private readonly supervisor: SupervisorAccess,
    private readonly logger: Logger,
    options: CoreAdminCheckOptions = {},
  ) {
    this.cacheMs = options.cacheMs ?? 30_000;
    this.retryAfterFailureMs = options.retryAfterFailureMs ?? 5_000;
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.now = options.now ?? Date.now;
  }

  async isAdmin(userId: string): Promise<boolean> {
    if (userId === '') return false;
    try {
      return (await this.admins()).get(userId) === true;
    } catch {
      return false;
    }
  }

  private admins(): Promise<ReadonlyMap<string, boolean>> {
    const now = this.now();
    if (this.cached && this.cached.until > now) return Promise.resolve(this.cached.admins);
    this.cached = null;
    if (this.quietUntil > now) return Promise.reject(new Error('the last question to Core failed moments ago'));
    // Pages opened together share one question.
    this.asking ??= this.askCore()
      .then(
        (admins) => {
          this.cached = { admins, until: this.now() + this.cacheMs };
          return admins;
        },
        (err: unknown) => {
          this.quietUntil = this.now() + this.retryAfterFailureMs;
          this.logger.warn(
            { err: (err as Error).message },
            'could not ask Home Assistant which users are administrators; the web page is read-only for now',
          );
          throw err;
        },
      )
      .finally(() => {
        this.asking = null;
      });
    return this.asking;
  }

  private askCore(): Promise<Map<string, boolean>> {
    const url = `${this.supervisor.url.replace(/^http/i, 'ws')}/core/websocket`;
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { maxPayload: MAX_ANSWER_BYTES, handshakeTimeout: this.timeoutMs });
      let settled = false;
      const finish = (err: Error | null, admins?: Map<string, boolean>): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.terminate();
        if (err) reject(err);
        else resolve(admins!);
      };
      const timer = setTimeout(() => finish(new Error(`Core did not answer within ${this.timeoutMs} ms`)), this.timeoutMs);
      socket.on('error', (err) => finish(err));
      socket.on('close', () => finish(new Error('the connection to Core closed before it answered')));
      socket.on('message', (raw) => {
        let message: { type?: unknown; id?: unknown; success?: unknown; result?: unknown; message?: unknown };
        try {
          message = JSON.parse(String(raw)) as typeof message;
        } catch {
          finish(new Error('Core sent something that is not JSON'));
          return;
        }
        switch (message.type) {
          case 'auth_required':
            socket.send(JSON.stringify({ type: 'auth', access_token: this.supervisor.token }));
            return;
          case 'auth_ok':
            socket.send(JSON.stringify({ id: 1, type: LIST_USERS }));
            return;
          case 'auth_invalid':
            finish(new Error('the Supervisor refused the add-on\'s token for Home Assistant\'s API (is "homeassistant_api" granted?)'));
            return;
          case 'result':
            if (message.id !== 1) return;
            if (message.success !== true) {
              finish(new Error(`Core refused ${LIST_USERS}`));
              return;
            }
            try {
              finish(null, adminsFrom(message.result));
            } catch (err) {
              finish(err as Error);
            }
            return;
          default:
            return;
        }
      });
    });
  }
}
