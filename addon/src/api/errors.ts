import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { EngineRequestError } from '../engine/types.js';
import { IdempotencyConflictError } from '../messaging/idempotency.js';
import { QueueFullError } from '../messaging/pacer.js';
import { SessionError } from '../session/session.js';
import { PhoneNumberError } from '../util/phone.js';

/** An error whose code and message are meant for the caller: `{"error": {"code", "message"}}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function errorBody(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}

export const notFound: RequestHandler = (req, res) => {
  res.status(404).json(errorBody('not_found', `There is no route ${req.method} ${req.path}. See /openapi.json for the API.`));
};

/**
 * 405 with `Allow` (RFC 9110) for a path that exists, asked with a method it does not have; any
 * other path falls through to notFound. `paths` maps each path template (`/v1/media/{media_id}`)
 * to its methods, as in the OpenAPI document.
 */
export function methodNotAllowed(paths: Record<string, readonly string[]>): RequestHandler {
  const routes = Object.entries(paths).map(([template, methods]) => {
    const upper = methods.map((method) => method.toUpperCase());
    // Express answers HEAD wherever it answers GET.
    if (upper.includes('GET')) upper.push('HEAD');
    const pattern = template.replace(/[.]/g, '\\.').replace(/\{[^}]+\}/g, '[^/]+');
    return { pattern: new RegExp(`^${pattern}$`), allow: upper.join(', ') };
  });
  return (req, res, next) => {
    const route = routes.find((candidate) => candidate.pattern.test(req.path));
    if (!route) {
      next();
      return;
    }
    res
      .status(405)
      .set('Allow', route.allow)
      .json(errorBody('method_not_allowed', `${req.path} does not support ${req.method}; it supports ${route.allow}. See /openapi.json for the API.`));
  };
}

interface BodyParserError {
  type?: string;
  status?: number;
}

/** Errors from below the API that already say what the caller should do. */
function asApiError(err: unknown): ApiError | null {
  if (err instanceof ApiError) return err;
  if (err instanceof SessionError || err instanceof EngineRequestError) return new ApiError(err.status, err.code, err.message);
  if (err instanceof PhoneNumberError) return new ApiError(400, 'invalid_phone_number', err.message);
  if (err instanceof QueueFullError) return new ApiError(429, 'queue_full', err.message);
  if (err instanceof IdempotencyConflictError) return new ApiError(422, 'idempotency_key_reused', err.message);
  if (isWhatsAppGone(err)) {
    return new ApiError(503, 'whatsapp_unavailable', 'WhatsApp did not answer in time, or the connection closed while it was asked. Try again in a moment.');
  }
  return null;
}

/** Baileys' own errors for a query WhatsApp never answered: timed out (408) or connection closed (428). */
function isWhatsAppGone(err: unknown): boolean {
  const status = (err as { isBoom?: boolean; output?: { statusCode?: number } } | null)?.output?.statusCode;
  return (err as { isBoom?: boolean } | null)?.isBoom === true && (status === 408 || status === 428);
}

/** Turns anything thrown into the contract's error body: never HTML, never a stack trace. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, _req, res, _next) => {
    const known = asApiError(err);
    if (known) {
      res.status(known.status).json(errorBody(known.code, known.message));
      return;
    }
    const parserError = err as BodyParserError;
    if (parserError?.type === 'entity.too.large') {
      res.status(413).json(errorBody('payload_too_large', 'The request body is too large: JSON bodies may be at most 1 MB, media uploads at most the upload limit set in the add-on options.'));
      return;
    }
    if (parserError?.type === 'entity.parse.failed') {
      res.status(400).json(errorBody('invalid_json', 'The request body is not valid JSON.'));
      return;
    }
    if (parserError?.type === 'encoding.unsupported' || parserError?.type === 'charset.unsupported') {
      res.status(415).json(errorBody('unsupported_encoding', 'Send the body as UTF-8 JSON.'));
      return;
    }
    if (typeof parserError?.status === 'number' && parserError.status >= 400 && parserError.status < 500) {
      res.status(parserError.status).json(errorBody('bad_request', 'The request could not be read.'));
      return;
    }
    logger.error({ err: err instanceof Error ? err.message : String(err) }, 'unexpected error while serving a request');
    res.status(500).json(errorBody('internal_error', 'The add-on hit an unexpected error. Check the add-on log and try again.'));
  };
}
