import assert from 'node:assert/strict';
import { it } from 'node:test';
import { MB, runHeapProbe, type MemoryFigures } from '../helpers/heap-probe.js';

const PROBE = new URL('./heap-probe.js', import.meta.url);
const EVENTS = 50_000;

interface HeapProbe extends MemoryFigures {
  lastSeq: number;
  oldestSeq: number;
}

function heapGrowth(maxEvents: number): Promise<HeapProbe> {
  return runHeapProbe<HeapProbe>(PROBE, maxEvents, EVENTS);
}

it(`keeps ${EVENTS.toLocaleString('en')} retained messages out of memory: retention costs a page index, not the events`, { timeout: 120_000 }, async () => {
  const keepAll = await heapGrowth(EVENTS);
  const keepTenth = await heapGrowth(EVENTS / 10);
  assert.equal(keepAll.oldestSeq, 1, 'every event is retained');
  assert.equal(keepTenth.oldestSeq, EVENTS - EVENTS / 10 + 1);
  const growthAll = keepAll.after - keepAll.before;
  const growthTenth = keepTenth.after - keepTenth.before;
  const perEvent = (growthAll - growthTenth) / (EVENTS - EVENTS / 10);
  console.log(
    `# memory growth after ${EVENTS} events: ${(growthAll / MB).toFixed(2)} MB retaining all, ${(growthTenth / MB).toFixed(2)} MB retaining a tenth (${perEvent.toFixed(1)} bytes a retained event)`,
  );
  // Each event is about 800 bytes on disk and several times that as objects: in the heap they would take 100+ MB.
  assert.ok(growthAll < 10 * MB, `memory grew ${(growthAll / MB).toFixed(1)} MB for ${EVENTS} retained events`);
  // An entry per event (some 70 bytes with the message digests) would make the journal_max_events
  // maximum of ten million cost several hundred MB; a page of 64 events costs under a byte an event.
  assert.ok(perEvent < 8, `each retained event costs ${perEvent.toFixed(1)} bytes of memory`);
});
