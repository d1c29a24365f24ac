/** Every route of the API, in the order /openapi.json lists them. */
import { Type } from '@sinclair/typebox';
import { openApiDocument } from '../openapi-document.js';
import { route, type Route } from '../registry.js';
import { accountRoutes } from './accounts.js';
import { eventRoutes } from './events.js';
import { healthRoute } from './health.js';
import { mediaRoutes } from './media.js';
import { messageRoutes } from './messages.js';
import { sessionRoutes } from './session.js';
import { simulatorRoutes } from './simulator.js';

const openApiRoute: Route = route({
  method: 'get',
  path: '/openapi.json',
  summary: 'This document.',
  public: true,
  perAccount: false,
  responses: { 200: { description: 'OpenAPI 3.1 document', schema: Type.Object({}, { additionalProperties: true }) } },
  handler: ({ services, res }) => {
    res.json(apiDocument(services.version));
  },
});

export const API_ROUTES: readonly Route[] = [
  healthRoute,
  openApiRoute,
  ...sessionRoutes,
  ...eventRoutes,
  ...mediaRoutes,
  ...messageRoutes,
  ...accountRoutes,
  ...simulatorRoutes,
];

/** The OpenAPI document of every route (simulator routes included: they answer 404 without it). */
export function apiDocument(version: string): Record<string, unknown> {
  return openApiDocument(API_ROUTES, version);
}
