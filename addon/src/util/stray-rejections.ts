/**
 * One add-on serves several accounts, each with its own Baileys socket. A promise some library task
 * forgot to handle (Baileys runs many fire-and-forget tasks per socket) would, by Node's default,
 * end the process and with it every other account's connection. Such a rejection belongs to one
 * background task, not to the process: it is logged and the service keeps running. Every task whose
 * failure matters (journal appends, credential writes, sends) handles its own errors; their
 * outcomes never reach this handler.
 */
import type { Logger } from 'pino';

export function keepRunningOnStrayRejections(logger: Pick<Logger, 'error'>): () => void {
  const onRejection = (reason: unknown): void => {
    const err = reason instanceof Error ? reason : new Error(String(reason));
    logger.error(
      { err: { type: err.name, message: err.message, stack: err.stack } },
      'a background task failed without handling its error; the add-on keeps running and every account stays connected',
    );
  };
  process.on('unhandledRejection', onRejection);
  return () => process.off('unhandledRejection', onRejection);
}
