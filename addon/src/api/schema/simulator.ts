/** Schemas of the simulator-only routes that drive the fake WhatsApp network. */
import { Type } from '@sinclair/typebox';
import { SIMULATED_DISCONNECT_REASONS } from '../../engine/disconnect.js';
import { MESSAGE_KINDS } from '../../journal/types.js';
import { DateTime, Enum, MAX_TEXT, Maybe, MaybeStringList, MaybeText, Ref, Strict, Text } from './common.js';
import { LinkedNumber } from './session.js';

export const SimulatorScan = Strict({ phone: MaybeText(64), name: MaybeText(256) });
export const Scanned = Strict({ me: Ref('Account', LinkedNumber) });

const latitude = () => Type.Number({ minimum: -90, maximum: 90 });
const longitude = () => Type.Number({ minimum: -180, maximum: 180 });

export const SimulatorIncoming = Strict({
  from: Text(128, 'Sender phone number or jid.'),
  chat: Maybe(Type.String({ pattern: '@g\\.us$', maxLength: 128, description: 'Group jid, for a group message.' })),
  kind: Maybe(Enum(MESSAGE_KINDS)),
  id: MaybeText(128),
  name: MaybeText(256),
  from_me: Maybe(Type.Boolean()),
  timestamp: Maybe(Type.Number({ minimum: 0, maximum: 2 ** 40, description: 'Unix seconds.' })),
  text: MaybeText(MAX_TEXT),
  caption: MaybeText(MAX_TEXT),
  media: Maybe(
    Strict({
      mimetype: MaybeText(256),
      filename: MaybeText(1024),
      size: Maybe(Type.Number({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
      seconds: Maybe(Type.Number({ minimum: 0, maximum: 1e7 })),
    }),
  ),
  voice: Maybe(Type.Boolean({ description: 'Audio as a voice note.' })),
  location: Maybe(Strict({ latitude: latitude(), longitude: longitude(), name: MaybeText(1024), address: MaybeText(1024) })),
  contact: Maybe(Strict({ name: MaybeText(256), phone: MaybeText(64) })),
  poll: Maybe(Strict({ question: Text(1024), options: MaybeStringList(12), multiple: Maybe(Type.Boolean()) })),
  reaction: Maybe(Strict({ message_id: Text(128), emoji: MaybeText(32) })),
  poll_vote: Maybe(Strict({ poll_id: Text(128), selected: MaybeStringList(12) })),
  target_id: MaybeText(128),
  quoted_id: MaybeText(128),
  mentions: MaybeStringList(256),
});
export const Delivered = Strict({ id: Type.String() });

export const OutboxEntry = Type.Object(
  { id: Type.String(), to: Type.String(), type: Type.String(), sent_at: DateTime() },
  { additionalProperties: true },
);
export const Outbox = Strict({ messages: Type.Array(Ref('OutboxEntry', OutboxEntry)) });

export const SimulatorDisconnect = Strict({ reason: Enum(SIMULATED_DISCONNECT_REASONS) });
export const Dropped = Strict({ reason: Type.String() });
