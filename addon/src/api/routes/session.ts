import { Router } from 'express';
import { SessionError, type Session } from '../../session/session.js';
import { PhoneNumberError, toE164 } from '../../util/phone.js';
import { ApiError } from '../errors.js';
import { objectBody, requiredString } from '../validate.js';

function asApiError(err: unknown): unknown {
  if (err instanceof SessionError) return new ApiError(err.status, err.code, err.message);
  return err;
}

export function sessionRoutes(session: Session): Router {
  const router = Router();

  router.get('/v1/session', (_req, res) => {
    res.json(session.snapshot());
  });

  router.post('/v1/session/pairing-code', async (req, res) => {
    const body = objectBody(req.body, ['phone_number']);
    let phone: string;
    try {
      phone = toE164(requiredString(body, 'phone_number', 64));
    } catch (err) {
      if (err instanceof PhoneNumberError) throw new ApiError(400, 'invalid_phone_number', err.message);
      throw err;
    }
    try {
      const code = await session.requestPairingCode(phone.slice(1));
      res.json({ code });
    } catch (err) {
      throw asApiError(err);
    }
  });

  router.post('/v1/session/logout', async (req, res) => {
    objectBody(req.body, []);
    await session.logout();
    res.json(session.snapshot());
  });

  router.post('/v1/session/restart', async (req, res) => {
    objectBody(req.body, []);
    await session.restart();
    res.json(session.snapshot());
  });

  return router;
}
