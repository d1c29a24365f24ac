/**
 * How WhatsApp's servers end a companion's connection, for each reason the session policy handles,
 * named as Baileys names the status it reports (`lastDisconnect.error.output.statusCode`).
 */
import type { BinaryNode } from 'baileys';

import type { DisconnectReasonName } from '../engine/types.js';
import type { CompanionConnection } from './connection.js';

/** Every way the fake network can end a connection: Baileys' reason names plus `clientOutdated` (405). */
export type SimulatedDisconnect = Exclude<DisconnectReasonName, 'qrExpired' | 'unknown'> | 'clientOutdated';

type Ending =
  | { kind: 'stanza'; node: BinaryNode }
  | { kind: 'drop'; how: 'close' | 'reset' }
  | { kind: 'silence' };

const failure = (reason: string): Ending => ({ kind: 'stanza', node: { tag: 'failure', attrs: { reason, location: 'frc' } } });

const ENDINGS: Readonly<Record<SimulatedDisconnect, Ending>> = {
  // What WhatsApp sends right after pairing, and whenever it wants a fresh connection.
  restartRequired: { kind: 'stanza', node: { tag: 'stream:error', attrs: { code: '515' } } },
  // Another client logged in with the same credentials.
  connectionReplaced: {
    kind: 'stanza',
    node: { tag: 'stream:error', attrs: {}, content: [{ tag: 'conflict', attrs: { type: 'replaced' } }] },
  },
  // The device was removed under "Linked devices" on the phone.
  loggedOut: {
    kind: 'stanza',
    node: { tag: 'stream:error', attrs: { code: '401' }, content: [{ tag: 'conflict', attrs: { type: 'device_removed' } }] },
  },
  // A stream error Baileys has no name for: it reports it as a bad session.
  badSession: { kind: 'stanza', node: { tag: 'stream:error', attrs: {}, content: [{ tag: 'internal-server-error', attrs: {} }] } },
  unavailableService: { kind: 'stanza', node: { tag: 'stream:error', attrs: { code: '503' } } },
  forbidden: failure('403'),
  multideviceMismatch: failure('411'),
  clientOutdated: failure('405'),
  // The TCP connection ends, cleanly or reset: either way Baileys only sees the socket close (428);
  // `ws` turns a reset into a plain close.
  connectionClosed: { kind: 'drop', how: 'close' },
  // The network goes quiet: Baileys' keep-alive gives up after its interval plus 5 s with "Connection
  // was lost" (408). Baileys has one code for both names, so timedOut ends the same way.
  connectionLost: { kind: 'silence' },
  timedOut: { kind: 'silence' },
};

export const SIMULATED_DISCONNECTS = Object.keys(ENDINGS) as SimulatedDisconnect[];

/** Ends `link` the way WhatsApp does for `reason`. */
export function endConnection(link: CompanionConnection, reason: SimulatedDisconnect): void {
  const ending = ENDINGS[reason];
  switch (ending.kind) {
    case 'stanza':
      link.terminate(ending.node);
      return;
    case 'drop':
      link.drop(ending.how);
      return;
    case 'silence':
      link.goSilent();
      return;
  }
}

/** `<failure reason=…>` with any code, for reasons without a name (401 at login, for example). */
export function failWith(link: CompanionConnection, reason: number): void {
  link.terminate({ tag: 'failure', attrs: { reason: reason.toString(), location: 'frc' } });
}
