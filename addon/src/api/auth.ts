import type { RequestHandler } from 'express';
import { apiKeyMatches } from '../api-key.js';
import { errorBody } from './errors.js';
import { KeyThrottle } from './key-throttle.js';
import { clientAddress, markAuthenticated } from './load-limits.js';

/**
 * Bearer API key on every route it guards. Keys in query strings are refused on purpose: they end up
 * in logs. Wrong keys are counted per address and, past a few, the address must pause (see
 * KeyThrottle); a refused request's connection is closed, so it holds nothing.
 */
export function requireApiKey(key: string, throttle: KeyThrottle = new KeyThrottle()): RequestHandler {
  return (req, res, next) => {
    const client = clientAddress(req.socket);
    const pause = throttle.pauseLeft(client);
    if (pause > 0) {
      res
        .status(429)
        .set({ 'Retry-After': String(Math.ceil(pause / 1000)), Connection: 'close' })
        .json(
          errorBody(
            'too_many_wrong_keys',
            `Too many wrong API keys from this address. Wait ${Math.ceil(pause / 1000)} s, then use the key the add-on generated (Home Assistant receives it automatically) or the one set in its options.`,
          ),
        );
      return;
    }
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    if (match && apiKeyMatches(match[1]!.trim(), key)) {
      throttle.succeeded(client);
      markAuthenticated(req.socket);
      next();
      return;
    }
    // Only a presented key is a guess; a missing header is a client that forgot it.
    if (match) throttle.failed(client);
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
}
