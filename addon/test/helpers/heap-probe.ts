/**
 * Memory tests measure in a child process of their own (a "heap probe"), run with --expose-gc, so
 * that nothing the test runner or earlier tests hold shows up in the figures. The test side runs
 * the probe with `runHeapProbe`; the probe measures with `memoryAfterGc` and prints JSON.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const MB = 1024 * 1024;

/** What every probe prints: memory after a full GC before and after its load (see memoryAfterGc). */
export interface MemoryFigures {
  before: number;
  after: number;
}

/** Runs the compiled probe at `probe` with a fresh data folder as its first argument; returns what it printed, parsed. */
export async function runHeapProbe<Figures extends MemoryFigures>(probe: URL, ...args: (string | number)[]): Promise<Figures> {
  const dir = await mkdtemp(join(tmpdir(), 'wa-heap-probe-'));
  try {
    const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', fileURLToPath(probe), dir, ...args.map(String)]);
    return JSON.parse(stdout) as Figures;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** In the probe: the heap plus array buffers (typed arrays keep their contents outside the heap) after a full GC. */
export function memoryAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  // The second collection frees what the first only finalised.
  gc();
  gc();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

const BURST = 1_000;

/** Runs `run` for each index below `count`, a burst at a time: concurrent, as traffic arrives, without a promise for every index at once. */
export async function inBursts(count: number, run: (index: number) => Promise<unknown>): Promise<void> {
  for (let next = 0; next < count; next += BURST) {
    await Promise.all(Array.from({ length: Math.min(BURST, count - next) }, (_, i) => run(next + i)));
  }
}
