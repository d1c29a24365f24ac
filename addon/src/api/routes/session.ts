import { Router } from 'express';
import type { Session } from '../../session/session.js';
import { PhoneNumberError, toE164 } from '../../util/phone.js';
import { ApiError } from '../errors.js';
import { objectBody, requiredString } from '../validate.js';

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
    res.json({ code: await session.requestPairingCode(phone.slice(1)) });
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
