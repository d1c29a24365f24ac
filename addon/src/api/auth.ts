import type { RequestHandler } from 'express';
import { apiKeyMatches } from '../api-key.js';
import { errorBody } from './errors.js';
import { KeyThrottle } from './key-throttle.js';
import { clientAddress, markAuthenticated } from './load-limits.js';

/**
 * Bearer API key on every route it guards. Keys in query strings are refused on purpose: they end up
 * in logs. Wrong keys are counted per address and, past a few, their 401 comes later and later (see
 * KeyThrottle); a refused request's connection is closed, so it holds nothing afterwards.
 */
export function requireApiKey(key: string, throttle: KeyThrottle = new KeyThrottle()): RequestHandler {
  return (req, res, next) => {
    const client = clientAddress(req.socket);
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    if (match && apiKeyMatches(match[1]!.trim(), key)) {
      throttle.succeeded(client);
      markAuthenticated(req.socket);
      next();
      return;
    }
    // Only a presented key is a guess; a missing header is a client that forgot it.
    const delay = match ? throttle.failed(client) : 0;
    const refuse = (): void => {
      if (res.headersSent || res.destroyed) return;
      res
        .status(401)
        .set({ 'WWW-Authenticate': 'Bearer', Connection: 'close' })
        .json(
          errorBody(
            'unauthorized',
            match
              ? 'The API key is wrong. Use the key the add-on generated (Home Assistant receives it automatically) or the one set in its options.'
              : 'Send the API key as "Authorization: Bearer <key>".',
          ),
        );
    };
    if (delay > 0) setTimeout(refuse, delay);
    else refuse();
  };
}
