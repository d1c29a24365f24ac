/**
 * Child process for the idempotency memory test (run with --expose-gc): sends `count` messages
 * with an Idempotency-Key each through a store in `dir`, and prints the memory in use after a full
 * GC before and after (the heap and array buffers, where typed arrays keep their contents), and whether the first key still answers with its first result.
 * Arguments: <store dir> <count>
 */
import type { SentMessage } from '../../src/engine/types.js';
import { IdempotencyStore } from '../../src/messaging/idempotency.js';
import { inBursts, memoryAfterGc } from '../helpers/heap-probe.js';

const [dir, count] = process.argv.slice(2);
if (!dir || !count) throw new Error('usage: idempotency-heap-probe <dir> <count>');

/** Keys and bodies as Home Assistant sends them: a random UUID, a sha-256 of the request. */
const keyOf = (index: number): string => `5f0c2d8e-7a1b-4c3d-9e8f-${index.toString(16).padStart(12, '0')}`;
const fingerprintOf = (index: number): string => index.toString(16).padStart(64, 'a');
const sent = (index: number): SentMessage => ({
  id: `3EB0${index.toString(16).padStart(16, '0').toUpperCase()}`,
  to: '491701234567@s.whatsapp.net',
  timestamp: new Date().toISOString(),
});

const store = await IdempotencyStore.open<SentMessage>(dir);
const before = memoryAfterGc();
await inBursts(Number(count), (index) => store.run(keyOf(index), fingerprintOf(index), async () => sent(index)));
await store.flush();
const after = memoryAfterGc();
let resent = false;
const first = await store.run(keyOf(0), fingerprintOf(0), async () => ((resent = true), sent(-1)));
process.stdout.write(`${JSON.stringify({ before, after, firstId: first.id, resent })}\n`);
