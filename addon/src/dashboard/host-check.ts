/**
 * Protection against DNS rebinding: a web site whose name resolves to this machine would otherwise
 * reach the page as its own origin and read it. The page answers only to names it can really be
 * reached by: an IP address, `localhost`, or a name the user listed (`WA_DASHBOARD_HOSTS`).
 *
 * Home Assistant's ingress proxy is the exception: it forwards the browser's own Host (whatever name
 * Home Assistant was opened by) and has already checked the user's ingress session, which a rebound
 * origin cannot present. It is recognised by its address, which is not loopback.
 */
import { isIP } from 'node:net';
import type { Request, RequestHandler, Response } from 'express';
import { errorBody } from '../api/errors.js';
import { peerAddress } from './peer.js';

/** `Host` without the port, lower case, without a trailing dot; null when it cannot be read. */
export function hostName(host: string | undefined): string | null {
  if (!host) return null;
  const trimmed = host.trim().toLowerCase();
  if (trimmed.startsWith('[')) {
    const end = trimmed.indexOf(']');
    return end > 1 ? trimmed.slice(1, end) : null;
  }
  const name = trimmed.replace(/:\d*$/, '').replace(/\.$/, '');
  return name === '' ? null : name;
}

export function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.');
}

export function hostAllowed(host: string | undefined, extraNames: ReadonlySet<string>): boolean {
  const name = hostName(host);
  if (name === null) return false;
  return isIP(name) !== 0 || name === 'localhost' || extraNames.has(name);
}

export function hostGuard(ingressProxies: ReadonlySet<string>, extraNames: readonly string[]): RequestHandler {
  const names = new Set(extraNames.map((name) => hostName(name)).filter((name): name is string => name !== null));
  return (req: Request, res: Response, next) => {
    const peer = peerAddress(req);
    if ((ingressProxies.has(peer) && !isLoopback(peer)) || hostAllowed(req.get('host'), names)) {
      next();
      return;
    }
    res
      .status(421)
      .set('Cache-Control', 'no-store')
      .json(
        errorBody(
          'unknown_host',
          'This page does not answer to that name. Open it from Home Assistant, or at localhost or an IP address; ' +
            'to use another name, add it to WA_DASHBOARD_HOSTS (comma-separated).',
        ),
      );
  };
}
