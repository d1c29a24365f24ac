/**
 * What WhatsApp tells a connection (messages, receipts, server acks, group changes) becomes journal
 * events, in the order Baileys reported it. Connection state (QR, open, close) is the connection's.
 */
import type { GroupMetadata, MessageUserReceiptUpdate, WAMessage, WAMessageUpdate, WASocket } from 'baileys';
import type { Logger } from 'pino';

import type { MessageStore } from '../auth/message-store.js';
import type { JournalInput } from '../journal/types.js';
import type { StatusDeduplicator, UnreadTracker } from './chat-tracking.js';
import type { OrderedEventQueue } from './event-queue.js';
import type { GroupDirectory } from './group-directory.js';
import { normaliseMessage } from './normalise.js';
import type { NormaliseContext } from './normalise-context.js';
import { normaliseGroupParticipants, normaliseGroupUpdate, type GroupParticipantsUpdate } from './normalise-groups.js';
import { normaliseReceipt } from './normalise-receipts.js';
import { watchServerAcks, type ServerAcks } from './server-acks.js';

export interface IncomingEventSinks {
  queue: OrderedEventQueue;
  /** Journals an event, unless the connection has already finished. */
  journal(event: JournalInput): void;
  context(): NormaliseContext;
  groups: GroupDirectory;
  messages: MessageStore;
  unread: UnreadTracker;
  /** Every group member sends receipts: each status of a message is journalled once. */
  statuses: StatusDeduplicator;
  serverAcks: ServerAcks;
  logger: Logger;
}

export function journalIncomingEvents(socket: WASocket, sinks: IncomingEventSinks): void {
  const { ev } = socket;
  const { queue, groups } = sinks;

  const message = async (received: WAMessage): Promise<void> => {
    const data = await normaliseMessage(received, sinks.context());
    if (!data) return;
    // Kept so media can be downloaded later, polls can decrypt their votes and WhatsApp's retry
    // requests can be answered.
    sinks.messages.put(received);
    if (!data.from_me) sinks.unread.add(data.chat, received.key);
    sinks.logger.debug({ id: data.id, kind: data.kind }, 'message received');
    sinks.journal({ type: 'message', data });
  };
  const receipt = async (update: WAMessageUpdate | MessageUserReceiptUpdate): Promise<void> => {
    const data = await normaliseReceipt(update, sinks.context());
    if (data && sinks.statuses.accept(data.id, data.status)) sinks.journal({ type: 'message_status', data });
  };
  const groupUpdate = async (update: Partial<GroupMetadata>): Promise<void> => {
    const data = normaliseGroupUpdate(update);
    if (!data?.subject) return;
    groups.subjectChanged(data.jid, data.subject);
    sinks.journal({ type: 'group', data });
  };

  // Queued at once: receipts for the same message only reach the queue after Baileys processed them.
  watchServerAcks(socket, sinks.serverAcks, ({ id, chat }) =>
    queue.enqueue(async () => {
      if (sinks.statuses.accept(id, 'sent')) sinks.journal({ type: 'message_status', data: { id, chat, status: 'sent' } });
    }),
  );
  ev.on('messages.upsert', ({ messages }) => {
    for (const received of messages) queue.enqueue(() => message(received));
  });
  ev.on('messages.update', (updates) => {
    for (const update of updates) queue.enqueue(() => receipt(update));
  });
  ev.on('message-receipt.update', (updates) => {
    for (const update of updates) queue.enqueue(() => receipt(update));
  });
  ev.on('groups.upsert', (upserted) => {
    for (const group of upserted) groups.remember(group);
  });
  ev.on('groups.update', (updates) => {
    for (const update of updates) {
      groups.patch(update);
      queue.enqueue(() => groupUpdate(update));
    }
  });
  ev.on('group-participants.update', (update) => {
    void groups.membershipChanged(update.id);
    queue.enqueue(async () => {
      sinks.journal({ type: 'group', data: await normaliseGroupParticipants(update satisfies GroupParticipantsUpdate, sinks.context()) });
    });
  });
}
