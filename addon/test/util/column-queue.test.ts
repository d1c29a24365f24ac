import assert from 'node:assert/strict';
import { it } from 'node:test';
import { slideToFront } from '../../src/util/column-queue.js';

it('slides the live entries to the front in place while at most half of the columns is in use', () => {
  const seqs = Float64Array.from([1, 2, 3, 4]);
  const sizes = Uint32Array.from([10, 20, 30, 40]);
  const [slidSeqs, slidSizes] = slideToFront([seqs, sizes] as const, 2, 4);
  assert.equal(slidSeqs, seqs, 'the same array');
  assert.equal(slidSizes, sizes);
  assert.deepEqual([...slidSeqs.subarray(0, 2)], [3, 4]);
  assert.deepEqual([...slidSizes.subarray(0, 2)], [30, 40]);
});

it('grows every column to twice its size, of the same kind, once more than half is in use', () => {
  const [seqs, sizes] = slideToFront([Float64Array.from([1, 2, 3, 4]), Uint32Array.from([10, 20, 30, 40])] as const, 1, 4);
  assert.ok(seqs instanceof Float64Array);
  assert.ok(sizes instanceof Uint32Array);
  assert.equal(seqs.length, 8);
  assert.deepEqual([...seqs.subarray(0, 3)], [2, 3, 4]);
  assert.deepEqual([...sizes.subarray(0, 3)], [20, 30, 40]);
});
