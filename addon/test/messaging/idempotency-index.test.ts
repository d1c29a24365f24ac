import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IdempotencyIndex } from '../../src/messaging/idempotency-index.js';

const at = (file: number) => ({ file, offset: file * 10, length: 10 });

describe('idempotency index', () => {
  it('finds every live key with a digest, newest first, and none that was forgotten or expired', () => {
    const index = new IdempotencyIndex();
    // Many keys sharing few digests: equal digests must all be offered, for the disk to tell apart.
    const handles = Array.from({ length: 5_000 }, (_, i) => index.add(1 + (i % 7), i, at(i)));
    for (let i = 0; i < 5_000; i += 3) index.forget(handles[i]!);
    index.dropExpired(2_000, () => true);
    const expected = handles.filter((_, i) => i % 7 === 2 && i % 3 !== 0 && i >= 2_000).reverse();
    assert.deepEqual(index.candidates(3, 0), expected);
    assert.deepEqual(index.locationOf(expected[0]!), at(4_993));
    assert.deepEqual(index.candidates(3, 4_990), [expected[0]]);
    assert.equal(index.locationOf(handles[0]!), undefined, 'an expired entry has no location');
    index.forget(handles[2_000]!);
    assert.equal(index.oldestFileInUse(), 2_002, 'entries 2,000 and 2,001 were forgotten');
  });

  it('keeps a running key that is past its time until it finishes', () => {
    const index = new IdempotencyIndex();
    const running = index.add(5, 0, at(1));
    const later = index.add(6, 1, at(2));
    assert.equal(index.dropExpired(10, (handle) => handle !== running), 0);
    assert.deepEqual(index.candidates(6, 0), [later]);
    assert.equal(index.dropExpired(10, () => true), 2);
    assert.deepEqual(index.candidates(5, 0), []);
  });
});
