import { toE164 } from '../../util/phone.js';
import { jsonBody, route, type Route } from '../registry.js';
import { NoFields } from '../schema/common.js';
import { PairingCode, PairingCodeRequest, Session } from '../schema/session.js';

export const sessionRoutes: readonly Route[] = [
  route({
    method: 'get',
    path: '/v1/session',
    summary: 'The WhatsApp session: state, linked account, QR code while pairing.',
    perAccount: true,
    responses: { 200: { description: 'OK', schema: Session } },
    handler: ({ account, res }) => {
      res.json(account.session.snapshot());
    },
  }),
  route({
    method: 'post',
    path: '/v1/session/pairing-code',
    summary: 'Link by typing a code on the phone instead of scanning the QR code.',
    perAccount: true,
    body: jsonBody(PairingCodeRequest),
    responses: {
      200: { description: 'OK', schema: PairingCode },
      409: { description: 'Already linked: log out first.' },
      503: { description: 'WhatsApp is not ready for pairing yet; try again shortly.' },
    },
    handler: async ({ account, body, res }) => {
      const phone = toE164(body.phone_number);
      res.json({ code: await account.session.requestPairingCode(phone.slice(1)) });
    },
  }),
  route({
    method: 'post',
    path: '/v1/session/logout',
    summary: 'Unlink the device, wipe credentials and start a fresh pairing.',
    perAccount: true,
    body: jsonBody(NoFields, false),
    responses: { 200: { description: 'OK', schema: Session } },
    handler: async ({ account, res }) => {
      await account.session.logout();
      res.json(account.session.snapshot());
    },
  }),
  route({
    method: 'post',
    path: '/v1/session/restart',
    summary: 'Drop and re-open the socket, keeping credentials.',
    perAccount: true,
    body: jsonBody(NoFields, false),
    responses: { 200: { description: 'OK', schema: Session } },
    handler: async ({ account, res }) => {
      await account.session.restart();
      res.json(account.session.snapshot());
    },
  }),
];
