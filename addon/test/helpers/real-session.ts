/**
 * The add-on's session in-process, wired as `WA_ENGINE=simulator` wires it: the real BaileysEngine
 * and Session on top of the fake WhatsApp network (phone, contacts, media host), with durable stores
 * in a temporary directory. Every connect the session makes is recorded, so tests can measure the
 * pause before a reconnect as WhatsApp would see it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'node:test';

import { pino, type Logger } from 'pino';

import { openAuthStore, type DurableAuthState } from '../../src/auth/auth-store.js';
import { openMessageStore, type MessageStore } from '../../src/auth/message-store.js';
import { BaileysEngine } from '../../src/engine/baileys.js';
import type { ConnectionHandlers, Engine, EngineConnection } from '../../src/engine/types.js';
import { Journal } from '../../src/journal/journal.js';
import type { ConnectionState, JournalInput } from '../../src/journal/types.js';
import type { BackoffOptions } from '../../src/session/backoff.js';
import { Session, type SessionView } from '../../src/session/session.js';
import { DEFAULT_SIMULATED_PHONE, SimulatedWhatsApp } from '../../src/simulator/simulated-whatsapp.js';
import { installLoopbackGuard, type LoopbackGuard } from './loopback-only.js';

export interface RealSessionOptions {
  /** Reuse a data directory (a restart); a fresh temporary one when absent. */
  dir?: string;
  backoff?: BackoffOptions;
  random?: () => number;
  qrCodes?: number;
  qrTimeoutMs?: number;
  keepAliveIntervalMs?: number;
  logoutTimeoutMs?: number;
  readAfterMs?: number | null;
  logger?: Logger;
  /** Runs before each event is journalled; a test can hold the journal (a slow disk) with it. */
  beforeAppend?: (event: JournalInput) => Promise<void>;
}

export interface RealSession {
  dir: string;
  simulator: SimulatedWhatsApp;
  auth: DurableAuthState;
  messages: MessageStore;
  journal: Journal;
  session: Session;
  /** When (epoch ms) the session asked the engine for each connection, in order. */
  connectAttempts: number[];
  /** Every distinct state the session went through, in order. */
  states: ConnectionState[];
  waitForState(state: ConnectionState, timeoutMs?: number): Promise<SessionView>;
  /** Waits for a QR code, lets the phone scan it and waits for `connected`. */
  pair(phone?: string): Promise<SessionView>;
  /**
   * Journalled connection states, once the last one is `last` and there are at least `atLeast`
   * (appends land a moment after the change).
   */
  journalledStates(last: ConnectionState, atLeast?: number, timeoutMs?: number): Promise<Array<{ state: string; reason: string | null }>>;
  /** Stops everything; removes the directory unless `keepDir`. */
  dispose(keepDir?: boolean): Promise<void>;
}

/** Counts the session's connects on their way to the real engine. */
class RecordingEngine implements Engine {
  readonly kind = 'simulator' as const;
  constructor(
    private readonly inner: Engine,
    private readonly attempts: number[],
  ) {}

  isRegistered(): boolean {
    return this.inner.isRegistered();
  }

  connect(handlers: ConnectionHandlers): EngineConnection {
    this.attempts.push(Date.now());
    return this.inner.connect(handlers);
  }

  clearCredentials(): Promise<void> {
    return this.inner.clearCredentials();
  }
}

export function waitForSessionState(session: Session, state: ConnectionState, timeoutMs = 20_000): Promise<SessionView> {
  if (session.state === state) return Promise.resolve(session.snapshot());
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      session.off('change', listener);
      reject(new Error(`state ${state} not reached within ${timeoutMs} ms; still ${session.state} (${JSON.stringify(session.snapshot().last_disconnect)})`));
    }, timeoutMs);
    const listener = (view: SessionView): void => {
      if (view.state !== state) return;
      clearTimeout(timer);
      session.off('change', listener);
      resolve(view);
    };
    session.on('change', listener);
  });
}

export async function startRealSession(options: RealSessionOptions = {}): Promise<RealSession> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'wa-real-session-'));
  const logger = options.logger ?? pino({ level: 'silent' });
  const simulator = await SimulatedWhatsApp.start({
    dataDir: join(dir, 'simulator'),
    logger,
    qrCodes: options.qrCodes ?? 6,
    readAfterMs: options.readAfterMs === undefined ? null : options.readAfterMs,
  });
  const auth = await openAuthStore(join(dir, 'auth'), logger);
  const messages = await openMessageStore(join(dir, 'messages'), {}, logger);
  const journal = await Journal.open(join(dir, 'journal'), {}, logger);
  const transport = simulator.transport;
  const connectAttempts: number[] = [];
  const engine = new RecordingEngine(
    new BaileysEngine({
      auth,
      messages,
      logger,
      waWebSocketUrl: transport.waWebSocketUrl,
      mediaTransport: { uploadAgent: transport.mediaUploadAgent, dispatcher: transport.mediaDispatcher },
      ...(options.qrTimeoutMs ? { qrTimeoutMs: options.qrTimeoutMs } : {}),
      ...(options.keepAliveIntervalMs ? { keepAliveIntervalMs: options.keepAliveIntervalMs } : {}),
      ...(options.logoutTimeoutMs ? { logoutTimeoutMs: options.logoutTimeoutMs } : {}),
    }),
    connectAttempts,
  );
  const session = new Session({
    engine,
    append: async (event) => {
      await options.beforeAppend?.(event);
      const journalled = await journal.append(event);
      simulator.journalled(journalled);
      return journalled;
    },
    logger,
    ...(options.backoff ? { backoff: options.backoff } : {}),
    ...(options.random ? { random: options.random } : {}),
  });
  simulator.attach(session);
  const states: ConnectionState[] = [];
  session.on('change', (view) => {
    if (states.at(-1) !== view.state) states.push(view.state);
  });
  session.start();

  const waitForState = (state: ConnectionState, timeoutMs?: number) => waitForSessionState(session, state, timeoutMs);
  return {
    dir,
    simulator,
    auth,
    messages,
    journal,
    session,
    connectAttempts,
    states,
    waitForState,
    async pair(phone = DEFAULT_SIMULATED_PHONE) {
      await waitForState('pairing');
      await simulator.scan(phone, null);
      return waitForState('connected');
    },
    async journalledStates(last, atLeast = 0, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const journalled = (await journal.read(0, 10_000)).events
          .filter((event) => event.type === 'connection')
          .map((event) => event.data as { state: string; reason: string | null });
        if ((journalled.at(-1)?.state === last && journalled.length >= atLeast) || Date.now() > deadline) return journalled;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    async dispose(keepDir = false) {
      await session.stop();
      await simulator.stop();
      await Promise.allSettled([journal.close(), auth.flush(), messages.flush()]);
      if (!keepDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * For every test of the enclosing `describe`: the returned `start` opens a real session behind a
 * loopback guard; after the test the session is disposed of and the guard checked.
 */
export function realSessionPerTest(): (options?: RealSessionOptions) => Promise<RealSession> {
  let session: RealSession | null = null;
  let guard: LoopbackGuard | null = null;
  afterEach(async () => {
    await session?.dispose();
    session = null;
    guard?.restore();
    guard?.assertClean();
    guard = null;
  });
  return async (options = {}) => {
    guard = installLoopbackGuard();
    session = await startRealSession(options);
    return session;
  };
}
