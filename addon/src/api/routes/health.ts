import { Router } from 'express';
import type { Session } from '../../session/session.js';
import { openApiDocument } from '../openapi.js';

export function publicRoutes(session: Session, version: string): Router {
  const router = Router();
  router.get('/health', (_req, res) => {
    res.json({ status: 'ok', version, state: session.state });
  });
  router.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument(version));
  });
  return router;
}
