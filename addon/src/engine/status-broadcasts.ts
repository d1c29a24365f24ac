/**
 * Status updates (`status@broadcast`) are not part of this product. They are still delivered to
 * every linked device, and one this device cannot decrypt (common: the sender's keys for statuses
 * are often missing on a companion) is answered by Baileys with a retry request and a negative
 * acknowledgement. WhatsApp then keeps that status pending and re-delivers it first on every
 * connect, holding back the rest of the offline queue, so messages stop arriving.
 * Baileys' `shouldIgnoreJid` answers with the same negative acknowledgement, so it does not help.
 * Instead status messages are taken off the socket before Baileys sees them and acknowledged as
 * received, unopened. Receipts and notifications about statuses are left to Baileys.
 */
import { buildAckStanza, isJidStatusBroadcast, type BinaryNode, type WASocket } from 'baileys';
import type { Logger } from 'pino';

/** Every event name under which Baileys' socket announces an incoming `<message>` stanza. */
const MESSAGE_CALLBACK = 'CB:message';

function isStatusMessage(event: string | symbol, node: unknown): node is BinaryNode {
  if (typeof event !== 'string' || !event.startsWith(MESSAGE_CALLBACK)) return false;
  const from = (node as Partial<BinaryNode> | undefined)?.attrs?.from;
  return node !== null && typeof node === 'object' && (node as BinaryNode).tag === 'message' && typeof from === 'string' && isJidStatusBroadcast(from);
}

/** Acknowledges status messages unopened instead of passing them to Baileys. */
export function acknowledgeStatusesUnopened(socket: WASocket, ownJid: () => string | undefined, logger: Logger): void {
  const { ws } = socket;
  const emit = ws.emit.bind(ws);
  ws.emit = (event: string | symbol, ...args: unknown[]): boolean => {
    const [node] = args;
    if (!isStatusMessage(event, node)) return emit(event, ...args);
    // Baileys announces each stanza under several names; the plain one comes once per stanza.
    if (event === MESSAGE_CALLBACK) {
      logger.debug({ id: node.attrs.id }, 'status update acknowledged unopened');
      socket.sendNode(buildAckStanza(node, undefined, ownJid())).catch((err: unknown) => {
        logger.debug({ err: (err as Error).message }, 'could not acknowledge a status update');
      });
    }
    return true;
  };
}
