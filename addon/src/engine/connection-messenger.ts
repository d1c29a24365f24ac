/**
 * A connection's sending side. A request can race WhatsApp ending the stream: Baileys' own error
 * for that becomes `not_connected`, so the session can wait for the next connection instead of the
 * caller seeing an internal error.
 */
import { isConnectionClosedError } from './disconnect.js';
import {
  EngineRequestError,
  type GroupSummary,
  type Messenger,
  type NumberCheck,
  type OutgoingMessage,
  type PresenceState,
  type SentMessage,
} from './types.js';

export function notConnectedError(): EngineRequestError {
  return new EngineRequestError(503, 'not_connected', 'WhatsApp is not connected. Try again when the add-on shows "connected".');
}

export abstract class ConnectionMessenger implements Messenger {
  /** The messenger of the current socket; null before the socket exists. */
  protected abstract currentMessenger(): Messenger | null;
  /** Whether the connection is closing or closed, so a failure is the close and not the request. */
  protected abstract isEnding(): boolean;

  private async connected<T>(work: (messenger: Messenger) => Promise<T>): Promise<T> {
    const messenger = this.currentMessenger();
    if (!messenger) throw notConnectedError();
    try {
      return await work(messenger);
    } catch (err) {
      if (err instanceof EngineRequestError) throw err;
      if (this.isEnding() || isConnectionClosedError(err)) throw notConnectedError();
      throw err;
    }
  }

  send(message: OutgoingMessage): Promise<SentMessage> {
    return this.connected((messenger) => messenger.send(message));
  }

  edit(chat: string, messageId: string, text: string): Promise<void> {
    return this.connected((messenger) => messenger.edit(chat, messageId, text));
  }

  delete(chat: string, messageId: string): Promise<void> {
    return this.connected((messenger) => messenger.delete(chat, messageId));
  }

  markRead(chat: string, messageIds: string[]): Promise<void> {
    return this.connected((messenger) => messenger.markRead(chat, messageIds));
  }

  setPresence(chat: string, state: PresenceState): Promise<void> {
    return this.connected((messenger) => messenger.setPresence(chat, state));
  }

  groups(): Promise<GroupSummary[]> {
    return this.connected((messenger) => messenger.groups());
  }

  checkNumber(phoneDigits: string): Promise<NumberCheck> {
    return this.connected((messenger) => messenger.checkNumber(phoneDigits));
  }

  downloadMedia(messageId: string): ReturnType<Messenger['downloadMedia']> {
    return this.connected((messenger) => messenger.downloadMedia(messageId));
  }
}
