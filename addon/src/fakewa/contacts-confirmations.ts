/**
 * Messages contacts wrote that wait for the account's word on them: its delivery receipt confirms
 * one, a retry receipt (it could not decrypt) or an error ack refuses it, and silence past the
 * timeout fails it.
 */
import { DeliveryError } from './contacts-sent.js';

interface Waiter {
  resolve: () => void;
  reject: (error: Error) => void;
}

export class AwaitedConfirmations {
  private readonly waiters = new Map<string, Waiter>();

  constructor(private readonly timeoutMs: number) {}

  /** Resolves once the account confirms `id`; rejects with a DeliveryError when it refuses or stays silent. */
  wait(id: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(id);
        reject(new DeliveryError(`The account did not confirm message ${id}.`));
      }, this.timeoutMs);
      const settle = (): void => {
        clearTimeout(timer);
        this.waiters.delete(id);
      };
      this.waiters.set(id, {
        resolve: () => {
          settle();
          resolve();
        },
        reject: (error) => {
          settle();
          reject(error);
        },
      });
    });
  }

  /** True when `id` was awaited (and is now confirmed). */
  confirm(id: string): boolean {
    const waiter = this.waiters.get(id);
    waiter?.resolve();
    return waiter !== undefined;
  }

  /** True when `id` was awaited (and now fails with `reason`). */
  refuse(id: string, reason: string): boolean {
    const waiter = this.waiters.get(id);
    waiter?.reject(new DeliveryError(reason));
    return waiter !== undefined;
  }
}
