/**
 * Baileys decrypts one message at a time and waits, inside that lock, for the Signal keys the
 * message changed to be stored. With a store that answers only once the keys are on disk, every
 * message waited for its own disk sync, one after another: a backlog of 3,000 messages took four
 * times as long as Baileys needs to decrypt them.
 *
 * Here the keys are taken into memory at once (the store keeps them there) and written to disk in
 * the background, where writes of many messages share one sync. The guarantee moves to the wire:
 * nothing is sent to WhatsApp (no acknowledgement, no receipt, no pre-key upload) before every key
 * and credential change made before it is durable. A crash can then lose only keys whose message
 * WhatsApp has not been told about, and WhatsApp delivers that message again.
 */
import type { SignalKeyStore, WASocket } from 'baileys';
import type { Logger } from 'pino';

type Send = (...args: unknown[]) => void;
type Close = (...args: unknown[]) => void;

/** How long a closing socket waits for held frames (a logout's unlink request) to go out first. */
const FLUSH_ON_CLOSE_MS = 5_000;

export class DurableWrites {
  private readonly writing = new Set<Promise<unknown>>();

  constructor(private readonly log: Logger) {}

  /**
   * The key store for Baileys. `keys` must hold what it is given in memory before `set` returns
   * (the credential store does), so reads see it while the disk write is still under way.
   */
  keyStore(keys: SignalKeyStore): SignalKeyStore {
    return {
      get: (type, ids) => keys.get(type, ids),
      set: (data) => {
        this.track(keys.set(data));
      },
      ...(keys.clear ? { clear: () => keys.clear!() } : {}),
    };
  }

  /** Remembers a write until it settles; a failed write is the store's to retry, not the sender's. */
  track(write: Promise<unknown> | void): void {
    if (!write) return;
    this.writing.add(write);
    const forget = (): void => void this.writing.delete(write);
    write.then(forget, (err: unknown) => {
      forget();
      this.log.debug({ err: (err as Error).message }, 'a credential write failed; the store writes it again later');
    });
  }

  /** Null when nothing is being written; else settles once every write begun so far has. */
  settled(): Promise<unknown> | null {
    return this.writing.size === 0 ? null : Promise.allSettled([...this.writing]);
  }

  /**
   * Holds each frame Baileys hands to the WebSocket until the writes begun before it are durable,
   * keeping the frames in order (the transport encryption counts them). Baileys is told at once
   * that a held frame went out: it waits for that inside its decryption lock, and the wait would
   * put one disk sync per message back. A frame that then fails to go out means the connection is
   * ending, which Baileys learns from the WebSocket closing.
   */
  holdFrames(socket: WASocket): void {
    const wire = (socket.ws as unknown as { socket?: { send: Send; close: Close } | null }).socket;
    if (!wire) return;
    const send = wire.send.bind(wire) as Send;
    const close = wire.close.bind(wire) as Close;
    let queue: Promise<unknown> = Promise.resolve();
    let held = 0;
    wire.send = (...args: unknown[]): void => {
      const barrier = this.settled();
      if (!barrier && held === 0) {
        send(...args);
        return;
      }
      const callback = args.find((arg): arg is (err?: Error) => void => typeof arg === 'function');
      const frame = args.filter((arg) => arg !== callback);
      if (callback) process.nextTick(callback);
      held += 1;
      queue = queue
        .then(() => barrier)
        .then(() => {
          held -= 1;
          send(...frame, (err?: Error) => {
            if (err) this.log.debug({ err: err.message }, 'a frame held for durable credentials could not be sent');
          });
        })
        .catch((err: unknown) => this.log.debug({ err: (err as Error).message }, 'a frame held for durable credentials could not be sent'));
    };
    // Baileys closes right after a frame it was told went out: a logout's unlink request must not
    // be left behind in the queue.
    wire.close = (...args: unknown[]): void => {
      if (held === 0) {
        close(...args);
        return;
      }
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, FLUSH_ON_CLOSE_MS)));
      void Promise.race([queue, waited]).then(() => {
        clearTimeout(timer);
        close(...args);
      });
    };
  }
}
