/** Schemas of `/health` and `/v1/session/…`. */
import { Type } from '@sinclair/typebox';
import { DISCONNECT_REASON_NAMES } from '../../engine/disconnect.js';
import { CONNECTION_STATES, DateTime, Enum, Nullable, Ref, Strict, Text } from './common.js';

export const Health = Strict(
  {
    status: Enum(['ok', 'degraded'], { description: '`degraded` while the add-on cannot write its data (the API still answers).' }),
    version: Type.String(),
    state: Enum(CONNECTION_STATES, { description: 'The state of the account `default`.' }),
    reason: Nullable(
      Enum(['storage_full', 'storage_error'], {
        description: "Why it is degraded: `storage_full` (free space on the add-on's disk) or `storage_error` (writes fail otherwise); null when ok.",
      }),
    ),
    storage: Type.Optional(
      Strict({
        components: Type.Array(Enum(['journal', 'credentials', 'idempotency', 'media']), { description: 'The stores that cannot write.' }),
        since: DateTime('When writes began to fail.'),
      }),
    ),
  },
);

export const LinkedNumber = Strict({
  jid: Type.String({ description: 'Phone-number jid of the linked account.' }),
  phone: Type.String({ description: 'E.164 phone number.' }),
  name: Nullable(Type.String()),
});

export const Session = Strict({
  state: Enum(CONNECTION_STATES),
  me: Nullable(Ref('Account', LinkedNumber)),
  qr: Nullable(
    Strict({
      code: Type.String({ description: 'Text to render as a QR code and scan with WhatsApp → Linked devices.' }),
      expires_at: DateTime(),
    }),
  ),
  pairing_code: Nullable(Type.String({ description: 'Code to type on the phone, after POST /v1/session/pairing-code.' })),
  last_disconnect: Nullable(Strict({ reason: Enum(DISCONNECT_REASON_NAMES), message: Type.String(), at: DateTime() })),
  since: DateTime('When the current state began.'),
});

export const PairingCodeRequest = Strict({
  phone_number: Text(64, 'The phone number of the WhatsApp account to link, with country code.'),
});

export const PairingCode = Strict({
  code: Type.String({ description: 'Type it on the phone: WhatsApp → Linked devices → Link with phone number.' }),
});
