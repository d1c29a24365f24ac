/**
 * Supervisor discovery: inside the add-on, tell Home Assistant where the API is and which key opens
 * it, so the integration shows up as "discovered" and is set up with one click. The Supervisor keeps
 * one message per add-on and service, so announcing again (a new key) updates it in place.
 */
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { SupervisorAccess } from './settings.js';

export const DISCOVERY_SERVICE = 'whatsapp_bridge';

export interface DiscoveryRetry {
  firstDelayMs: number;
  maxDelayMs: number;
}

/** The Supervisor may still be starting with us; keep trying, at most every five minutes. */
export const DEFAULT_DISCOVERY_RETRY: DiscoveryRetry = { firstDelayMs: 1_000, maxDelayMs: 300_000 };

const REQUEST_TIMEOUT_MS = 10_000;

export interface DiscoveryConfig {
  host: string;
  port: number;
  api_key: string;
}

interface SupervisorReply {
  result?: unknown;
  message?: unknown;
  data?: Record<string, unknown>;
}

export class SupervisorDiscovery {
  /** Bumped by every announce and by stop; a retry loop that sees another number gives up. */
  private generation = 0;
  private readonly retry: DiscoveryRetry;

  constructor(
    private readonly supervisor: SupervisorAccess,
    private readonly apiPort: number,
    private readonly logger: Logger,
    retry: DiscoveryRetry = DEFAULT_DISCOVERY_RETRY,
  ) {
    this.retry = retry;
  }

  /**
   * Announce the API with this key, retrying with growing pauses until the Supervisor accepts it.
   * A later call (the key changed) supersedes an announcement still retrying. Resolves once
   * accepted, or once superseded or stopped.
   */
  async announce(apiKey: string): Promise<void> {
    const generation = ++this.generation;
    let delay = this.retry.firstDelayMs;
    for (let attempt = 1; ; attempt++) {
      try {
        const host = await this.ownHostname();
        if (generation !== this.generation) return;
        const uuid = await this.post({ host, port: this.apiPort, api_key: apiKey });
        this.logger.info({ host, port: this.apiPort, uuid }, 'announced the API to Home Assistant through Supervisor discovery');
        return;
      } catch (err) {
        if (generation !== this.generation) return;
        this.logger.warn(
          { attempt, retryInMs: delay, err: (err as Error).message },
          'could not announce the API to Home Assistant (Supervisor discovery); retrying. Until it succeeds, add the integration by hand',
        );
      }
      await sleep(delay);
      if (generation !== this.generation) return;
      delay = Math.min(delay * 2, this.retry.maxDelayMs);
    }
  }

  /** Abandon any announcement still retrying (shutdown). */
  stop(): void {
    this.generation++;
  }

  /**
   * The name Home Assistant reaches this add-on by on the Supervisor's network. The Supervisor also
   * sets it as the container's hostname, which serves when its API cannot say.
   */
  private async ownHostname(): Promise<string> {
    try {
      const reply = await this.request('GET', '/addons/self/info');
      const name = reply.data?.hostname;
      if (typeof name === 'string' && name !== '') return name;
    } catch (err) {
      this.logger.debug({ err: (err as Error).message }, 'the Supervisor did not tell this add-on its hostname; using the container hostname');
    }
    return hostname();
  }

  private async post(config: DiscoveryConfig): Promise<string | null> {
    const reply = await this.request('POST', '/discovery', { service: DISCOVERY_SERVICE, config });
    const uuid = reply.data?.uuid;
    return typeof uuid === 'string' ? uuid : null;
  }

  private async request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<SupervisorReply> {
    const response = await fetch(`${this.supervisor.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.supervisor.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await response.text();
    let reply: SupervisorReply = {};
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed !== null && typeof parsed === 'object') reply = parsed as SupervisorReply;
    } catch {
      // not JSON: the status says enough
    }
    if (!response.ok || (reply.result !== undefined && reply.result !== 'ok')) {
      const said = typeof reply.message === 'string' && reply.message !== '' ? `: ${reply.message.slice(0, 200)}` : '';
      throw new Error(`${method} ${path} answered ${response.status}${said}`);
    }
    return reply;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
