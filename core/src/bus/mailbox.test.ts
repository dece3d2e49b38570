import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Mailbox } from './mailbox.ts';
import { InvalidInputError } from '../errors.ts';

function filled(overflow: 'drop-oldest' | 'drop-newest' | 'reject'): Mailbox<number> {
  const box = new Mailbox<number>({ capacity: 3, overflow });
  for (const n of [1, 2, 3]) assert.deepEqual(box.offer(n), { kind: 'queued' });
  return box;
}

test('a mailbox is first in, first out across the ring boundary', () => {
  const box = new Mailbox<number>({ capacity: 2, overflow: 'reject' });
  const out: (number | undefined)[] = [];
  for (let n = 1; n <= 5; n++) {
    box.offer(n);
    out.push(box.take());
  }
  assert.deepEqual(out, [1, 2, 3, 4, 5]);
  assert.equal(box.take(), undefined);
  assert.equal(box.size, 0);
});

test('drop-oldest evicts the head to make room', () => {
  const box = filled('drop-oldest');
  assert.deepEqual(box.offer(4), { kind: 'dropped', dropped: 1 });
  assert.deepEqual(box.clear(), [2, 3, 4]);
});

test('drop-newest keeps the queue and discards the offered item', () => {
  const box = filled('drop-newest');
  assert.deepEqual(box.offer(4), { kind: 'dropped', dropped: 4 });
  assert.deepEqual(box.clear(), [1, 2, 3]);
});

test('reject refuses the offered item and keeps the queue', () => {
  const box = filled('reject');
  assert.deepEqual(box.offer(4), { kind: 'rejected' });
  assert.deepEqual(box.clear(), [1, 2, 3]);
});

test('a capacity that is not a positive integer is refused', () => {
  for (const capacity of [0, -1, 1.5, Number.NaN]) {
    assert.throws(() => new Mailbox({ capacity, overflow: 'reject' }), InvalidInputError);
  }
});
