import { Router } from 'express';
import type { Session } from '../../session/session.js';
import { toE164 } from '../../util/phone.js';
import { objectBody, requiredString } from '../validate.js';

export function sessionRoutes(session: Session): Router {
  const router = Router();

  router.get('/v1/session', (_req, res) => {
    res.json(session.snapshot());
  });

  router.post('/v1/session/pairing-code', async (req, res) => {
    const body = objectBody(req.body, ['phone_number']);
    const phone = toE164(requiredString(body, 'phone_number', 64));
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
