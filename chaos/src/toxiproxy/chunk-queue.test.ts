import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChunkQueue } from './chunk-queue.ts';

test('take waits for a push, an abort returns undefined, and the end of stream is sticky', async () => {
  let taken = 0;
  const q = new ChunkQueue(() => taken++);
  const never = new AbortController();
  const pending = q.take(never.signal);
  q.push({ data: Buffer.from('ab'), ts: 1 });
  assert.equal(q.bytes, 2);
  const first = await pending;
  assert.ok(first && 'data' in first && first.data.toString() === 'ab');
  assert.equal(q.bytes, 0);
  assert.equal(taken, 1);

  const abort = new AbortController();
  const interrupted = q.take(abort.signal);
  abort.abort();
  assert.equal(await interrupted, undefined);

  q.push({ end: 'close' });
  assert.deepEqual(await q.take(never.signal), { end: 'close' });
  assert.deepEqual(await q.take(never.signal), { end: 'close' }, 'like a closed Go channel');
});

test('a sealed queue drops what waits and what comes after', () => {
  const q = new ChunkQueue();
  q.push({ data: Buffer.from('x'), ts: 0 });
  q.seal();
  q.push({ data: Buffer.from('y'), ts: 0 });
  assert.equal(q.bytes, 0);
  assert.deepEqual(q.drain(), []);
});
