import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { proto } from 'baileys';
import { openAuthStore, type DurableAuthState } from '../../src/auth/auth-store.js';
import {
  DELETE_WINDOW,
  PRE_KEY_SLOTS,
  PRE_KEYS_PER_SLOT,
  SESSION_SLOTS,
  preKeyId,
  sessionId,
} from '../fixtures/auth-operations.js';

const WRITER = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'auth-writer.js');
// The full reliability run (`scripts/test --full`) kills 200 times; WA_AUTH_CRASH_KILLS picks any count.
const KILLS = Number(process.env.WA_AUTH_CRASH_KILLS ?? (process.env.WA_RELIABILITY_FULL === '1' ? 200 : 50));
const FIRST_OPERATION = 2;

/** A writer that has loaded its modules and waits for the go-ahead, so start-up overlaps checking. */
class Writer {
  readonly acknowledged: number[] = [];
  readonly problems: string[] = [];
  readonly loaded: Promise<void>;
  private readonly writing: Promise<void>;
  private readonly exited: Promise<void>;
  private readonly child: ChildProcessWithoutNullStreams;

  constructor(dir: string) {
    this.child = spawn(process.execPath, [WRITER, dir]);
    let signalLoaded!: () => void;
    let signalWriting!: () => void;
    this.loaded = new Promise((resolve) => (signalLoaded = resolve));
    this.writing = new Promise((resolve) => (signalWriting = resolve));
    this.exited = once(this.child, 'close').then(() => undefined);
    let buffered = '';
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        if (/^\d+$/.test(line)) {
          this.acknowledged.push(Number(line));
          signalWriting();
        } else if (line === 'loaded') signalLoaded();
        else if (line !== 'ready') this.problems.push(line);
      }
    });
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (chunk: string) => this.problems.push(chunk));
  }

  /** Lets it write, kills it `killAfterMs` after go (or after its first acknowledgement), and waits for it to die. */
  async runAndKill(killAfterMs: number, fromFirstAcknowledgement: boolean): Promise<void> {
    this.child.stdin.write('go\n');
    if (fromFirstAcknowledgement) await Promise.race([this.writing, this.exited]);
    await new Promise((resolve) => setTimeout(resolve, killAfterMs));
    await this.kill();
  }

  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

/** The newest operation ≤ upTo with number ≡ residue (mod modulus), or undefined if none ran yet. */
function lastOperationLike(upTo: number, residue: number, modulus: number): number | undefined {
  const candidate = upTo - ((((upTo - residue) % modulus) + modulus) % modulus);
  return candidate >= FIRST_OPERATION ? candidate : undefined;
}

async function assertHoldsEverythingUpTo(auth: DurableAuthState, acknowledged: number, context: string): Promise<void> {
  assert.ok(auth.state.creds.nextPreKeyId >= acknowledged, `${context}: creds lost (${auth.state.creds.nextPreKeyId})`);
  const { keys } = auth.state;

  for (let slot = 0; slot < PRE_KEY_SLOTS; slot += 1) {
    const expectedAtLeast = lastOperationLike(acknowledged, slot, PRE_KEY_SLOTS);
    if (expectedAtLeast === undefined) continue;
    const ids = Array.from({ length: PRE_KEYS_PER_SLOT }, (_, index) => preKeyId(slot, index));
    const found = await keys.get('pre-key', ids);
    assert.equal(Object.keys(found).length, PRE_KEYS_PER_SLOT, `${context}: pre-keys of slot ${slot}`);
    const writtenBy = new Set(ids.map((id) => Buffer.from(found[id]!.public).readUInt32BE(0)));
    assert.equal(writtenBy.size, 1, `${context}: a pre-key batch was applied partially`);
    const [operation] = writtenBy;
    assert.ok(operation! % PRE_KEY_SLOTS === slot && operation! >= expectedAtLeast, `${context}: slot ${slot} holds ${operation}`);
  }

  for (let slot = 0; slot < SESSION_SLOTS; slot += 1) {
    const expectedAtLeast = lastOperationLike(acknowledged, slot, SESSION_SLOTS);
    if (expectedAtLeast === undefined) continue;
    const id = sessionId(slot);
    const session = (await keys.get('session', [id]))[id];
    assert.ok(session, `${context}: session ${id} missing`);
    const operation = Buffer.from(session).readUInt32BE(0);
    assert.ok(operation % SESSION_SLOTS === slot && operation >= expectedAtLeast, `${context}: ${id} holds ${operation}`);
  }

  for (let slot = 0; slot < 3; slot += 1) {
    const expectedAtLeast = lastOperationLike(acknowledged, slot, 3);
    if (expectedAtLeast === undefined) continue;
    const key = (await keys.get('app-state-sync-key', [`key${slot}`]))[`key${slot}`];
    assert.ok(key instanceof proto.Message.AppStateSyncKeyData, `${context}: app-state key ${slot}`);
    const operation = Number(key.timestamp);
    assert.ok(operation >= expectedAtLeast && key.fingerprint?.rawId === operation, `${context}: app-state key ${slot}`);
  }

  // Each operation sets d<n> and deletes the few before it, so exactly the newest survive.
  const markerIds = Array.from({ length: acknowledged + 50 }, (_, n) => `d${n}`);
  const markers = Object.keys(await keys.get('session', markerIds)).map((id) => Number(id.slice(1)));
  if (acknowledged >= FIRST_OPERATION) {
    assert.ok(Math.max(...markers) >= acknowledged, `${context}: newest marker ${Math.max(...markers)}`);
    assert.ok(Math.min(...markers) >= acknowledged - DELETE_WINDOW, `${context}: deleted marker back: ${markers.join(',')}`);
  }
}

it(`keeps every acknowledged credential write when the writer is SIGKILLed ${KILLS} times`, { timeout: 60_000 + KILLS * 3_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'wa-auth-crash-'));
  // Writers spend most of their life loading modules; keep two loading ahead of time.
  const spares = [new Writer(dir), new Writer(dir)];
  try {
    let acknowledged = 0;
    let killsDuringWrites = 0;
    const started = performance.now();
    for (let kill = 0; kill < KILLS; kill += 1) {
      const writer = spares.shift()!;
      await writer.loaded;
      // Mostly while operations stream in; every fifth time while the store may still be loading.
      const duringStartup = kill % 5 === 4;
      const run = writer.runAndKill(Math.random() * (duringStartup ? 80 : 100), !duringStartup);
      // A writer touches nothing before go, so the next ones can load meanwhile.
      spares.push(new Writer(dir));
      await run;
      assert.deepEqual(writer.problems, [], `kill ${kill}`);
      if (writer.acknowledged.length > 0) killsDuringWrites += 1;
      acknowledged = Math.max(acknowledged, ...writer.acknowledged);
      const auth = await openAuthStore(dir);
      await assertHoldsEverythingUpTo(auth, acknowledged, `kill ${kill}`);
    }
    assert.ok(killsDuringWrites >= KILLS * 0.7, `only ${killsDuringWrites} kills hit a busy writer`);
    const seconds = (performance.now() - started) / 1000;
    console.log(`# ${KILLS} kills in ${seconds.toFixed(1)} s, ${killsDuringWrites} during writes, last acknowledged operation ${acknowledged}`);
  } finally {
    await Promise.all(spares.map((spare) => spare.kill()));
    await rm(dir, { recursive: true, force: true });
  }
});
