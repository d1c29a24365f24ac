import type { Logger } from 'pino';

export const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

/**
 * The stop signals, listened for from the first moment of startup and for as long as the process
 * lives. A second signal must never fall through to Node's default action (death by signal, exit
 * 143) while the first one is still flushing the journal and credentials: a terminal's Ctrl-C
 * reaches the whole process group and a supervisor may repeat its SIGTERM, so repeats are logged and
 * otherwise ignored. A signal that arrives before startup has finished is remembered and acted on as
 * soon as there is something to stop.
 */
export class StopSignals {
  private received: NodeJS.Signals | null = null;
  private stop: ((signal: NodeJS.Signals) => Promise<void>) | null = null;
  private readonly listener = (signal: NodeJS.Signals): void => this.onSignal(signal);

  constructor(private logger: Pick<Logger, 'info'> | null = null) {
    for (const signal of STOP_SIGNALS) process.on(signal, this.listener);
  }

  /** Once the logger exists (settings come first), repeats are logged through it. */
  useLogger(logger: Pick<Logger, 'info'>): void {
    this.logger = logger;
  }

  /** Runs `stop` once: now, if a signal already came during startup, or on the first signal. */
  onStop(stop: (signal: NodeJS.Signals) => Promise<void>): void {
    this.stop = stop;
    if (this.received) this.run(this.received);
  }

  get requested(): boolean {
    return this.received !== null;
  }

  private onSignal(signal: NodeJS.Signals): void {
    if (this.received) {
      this.logger?.info({ signal }, 'already stopping; a repeated stop signal is ignored');
      return;
    }
    this.received = signal;
    if (this.stop) this.run(signal);
  }

  private run(signal: NodeJS.Signals): void {
    this.stop?.(signal).catch((err: unknown) => {
      process.stderr.write(`The WhatsApp add-on service could not stop cleanly: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    });
  }
}
