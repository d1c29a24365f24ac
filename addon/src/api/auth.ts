import type { RequestHandler } from 'express';
import { apiKeyMatches } from '../api-key.js';
import { errorBody } from './errors.js';

/** Bearer API key on every route it guards. Keys in query strings are refused on purpose: they end up in logs. */
export function requireApiKey(key: string): RequestHandler {
  return (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    if (!match || !apiKeyMatches(match[1]!.trim(), key)) {
      res
        .status(401)
        .set('WWW-Authenticate', 'Bearer')
        .json(
          errorBody(
            'unauthorized',
            match
              ? 'The API key is wrong. Use the key shown in the add-on (Configuration or its web page).'
              : 'Send the API key as "Authorization: Bearer <key>".',
          ),
        );
      return;
    }
    next();
  };
}
