import assert from 'node:assert/strict';
import { it } from 'node:test';
import { MB, runHeapProbe, type MemoryFigures } from '../helpers/heap-probe.js';

const PROBE = new URL('./idempotency-heap-probe.js', import.meta.url);
/** A little more than a day of sends at the default pace, all within the 24 hours a key is kept. */
const KEYS = 20_000;

interface HeapProbe extends MemoryFigures {
  firstId: string;
  resent: boolean;
}

it(`keeps ${KEYS.toLocaleString('en')} Idempotency-Keys on disk: memory holds an index, not the records`, { timeout: 120_000 }, async () => {
  const probe = await runHeapProbe<HeapProbe>(PROBE, KEYS);
  const growth = probe.after - probe.before;
  console.log(`# memory growth after ${KEYS} keys: ${(growth / MB).toFixed(2)} MB (${Math.round(growth / KEYS)} bytes a key)`);
  assert.equal(probe.resent, false, 'the oldest key still stops a second send');
  assert.equal(probe.firstId, '3EB00000000000000000', 'and answers with its first result, read back from disk');
  // As objects on the heap the records take about 380 bytes a key: 7+ MB per account and day.
  assert.ok(growth < 2 * MB, `memory grew ${(growth / MB).toFixed(1)} MB for ${KEYS} keys`);
});
