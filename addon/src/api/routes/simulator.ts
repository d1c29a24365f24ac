import type { AccountServices } from '../../accounts/directory.js';
import type { Static } from '@sinclair/typebox';
import { DeliveryError, type DeliverSpec } from '../../fakewa/contacts.js';
import { ArrivalTimeoutError } from '../../simulator/message-arrivals.js';
import { DEFAULT_SIMULATED_PHONE, SimulatorStateError, type SimulatedWhatsApp } from '../../simulator/simulated-whatsapp.js';
import { IncomingSpecError } from '../../engine/wa-message-builder.js';
import { phoneToJid, toE164 } from '../../util/phone.js';
import { ApiError } from '../errors.js';
import { jsonBody, route, type ResponseSpec, type Route } from '../registry.js';
import { Delivered, Dropped, Outbox, Scanned, SimulatorDisconnect, SimulatorIncoming, SimulatorScan } from '../schema/simulator.js';

function phoneOrJid(value: string, field: string): string {
  if (value.includes('@')) {
    if (!/^[\w.:-]+@(s\.whatsapp\.net|lid|g\.us)$/.test(value)) {
      throw new ApiError(400, 'invalid_request', `"${field}" is not a WhatsApp jid or phone number.`);
    }
    return value;
  }
  return phoneToJid(toE164(value));
}

function toDeliverSpec(body: Static<typeof SimulatorIncoming>): DeliverSpec {
  const { media, location, contact, poll, reaction, poll_vote: pollVote } = body;
  return {
    from: phoneOrJid(body.from, 'from'),
    // WhatsApp addresses most chats by LID now; a phone-number jid asks for the older addressing.
    addressing: body.from.endsWith('@s.whatsapp.net') ? 'pn' : 'lid',
    kind: body.kind ?? 'text',
    chat: body.chat ?? null,
    id: body.id ?? null,
    name: body.name ?? null,
    fromMe: body.from_me ?? false,
    timestamp: body.timestamp ?? null,
    text: body.text ?? null,
    caption: body.caption ?? null,
    media: media
      ? { mimetype: media.mimetype ?? null, filename: media.filename ?? null, size: media.size ?? null, seconds: media.seconds ?? null }
      : null,
    voice: body.voice ?? false,
    location: location ? { latitude: location.latitude, longitude: location.longitude, name: location.name ?? null, address: location.address ?? null } : null,
    contact: contact ? { name: contact.name ?? null, phone: contact.phone ?? null } : null,
    poll: poll ? { question: poll.question, options: poll.options ?? [], multiple: poll.multiple ?? false } : null,
    reaction: reaction ? { message_id: reaction.message_id, emoji: reaction.emoji ?? '' } : null,
    poll_vote: pollVote ? { poll_id: pollVote.poll_id, selected: pollVote.selected ?? [] } : null,
    target_id: body.target_id ?? null,
    quoted_id: body.quoted_id ?? null,
    mentions: (body.mentions ?? []).map((m) => phoneOrJid(m, 'mentions')),
  };
}

function asApiError(err: unknown): unknown {
  if (err instanceof SimulatorStateError) return new ApiError(409, 'invalid_state', err.message);
  if (err instanceof IncomingSpecError) return new ApiError(400, 'invalid_request', err.message);
  if (err instanceof DeliveryError) return new ApiError(409, 'invalid_state', err.message);
  if (err instanceof ArrivalTimeoutError) return new ApiError(504, 'not_journalled', err.message);
  return err;
}

function simulatorOf(account: AccountServices): SimulatedWhatsApp {
  if (!account.simulator) throw new ApiError(404, 'not_found', 'This account is not linked through the simulator.');
  return account.simulator;
}

const NOT_SIMULATOR: ResponseSpec = { description: 'Not running the simulator engine.' };

/** Test and demo controls of the fake WhatsApp network; served only with WA_ENGINE=simulator. */
export const simulatorRoutes: readonly Route[] = [
  route({
    method: 'post',
    path: '/v1/simulator/scan',
    summary: 'Simulator only: the phone scans the current QR code.',
    perAccount: true,
    simulatorOnly: true,
    body: jsonBody(SimulatorScan, false),
    responses: { 200: { description: 'Linked', schema: Scanned }, 404: NOT_SIMULATOR, 409: { description: 'Not pairing.' } },
    handler: async ({ account, body, res }) => {
      const phone = toE164(body.phone ?? DEFAULT_SIMULATED_PHONE);
      try {
        res.json({ me: await simulatorOf(account).scan(phone, body.name ?? null) });
      } catch (err) {
        throw asApiError(err);
      }
    },
  }),
  route({
    method: 'post',
    path: '/v1/simulator/incoming',
    summary: 'Simulator only: deliver a message as WhatsApp would.',
    perAccount: true,
    simulatorOnly: true,
    body: jsonBody(SimulatorIncoming),
    responses: { 200: { description: 'Delivered', schema: Delivered }, 404: NOT_SIMULATOR, 409: { description: 'Not connected.' } },
    handler: async ({ account, body, res }) => {
      const spec = toDeliverSpec(body);
      try {
        res.json({ id: await simulatorOf(account).incoming(spec) });
      } catch (err) {
        throw asApiError(err);
      }
    },
  }),
  route({
    method: 'get',
    path: '/v1/simulator/outbox',
    summary: 'Simulator only: everything sent so far.',
    perAccount: true,
    simulatorOnly: true,
    responses: { 200: { description: 'OK', schema: Outbox }, 404: NOT_SIMULATOR },
    handler: async ({ account, res }) => {
      res.json({ messages: await simulatorOf(account).outbox() });
    },
  }),
  route({
    method: 'post',
    path: '/v1/simulator/disconnect',
    summary: 'Simulator only: WhatsApp drops the connection with a Baileys DisconnectReason.',
    perAccount: true,
    simulatorOnly: true,
    body: jsonBody(SimulatorDisconnect),
    responses: { 200: { description: 'Dropped', schema: Dropped }, 404: NOT_SIMULATOR, 409: { description: 'No open connection.' } },
    handler: async ({ account, body: { reason }, res }) => {
      try {
        await simulatorOf(account).disconnect(reason);
      } catch (err) {
        throw asApiError(err);
      }
      res.json({ reason });
    },
  }),
];
