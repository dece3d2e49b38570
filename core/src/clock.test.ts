import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from './clock.ts';

test('fake clock fires timers in time order only when advanced', () => {
  const clock = new FakeClock(1000);
  const fired: string[] = [];
  clock.setTimeout(() => fired.push('b'), 200);
  clock.setTimeout(() => fired.push('a'), 100);
  clock.advance(99);
  assert.deepEqual(fired, []);
  clock.advance(1);
  assert.deepEqual(fired, ['a']);
  assert.equal(clock.now(), 1100);
  clock.advance(500);
  assert.deepEqual(fired, ['a', 'b']);
  assert.equal(clock.now(), 1600);
});

test('fake clock intervals repeat and stop when cancelled', () => {
  const clock = new FakeClock(0);
  let count = 0;
  const handle = clock.setInterval(() => count++, 10);
  clock.advance(35);
  assert.equal(count, 3);
  handle.cancel();
  clock.advance(100);
  assert.equal(count, 3);
  assert.equal(clock.pendingTimers(), 0);
});

test('fake clock sleep resolves on advance and rejects on abort', async () => {
  const clock = new FakeClock(0);
  let done = false;
  const slept = clock.sleep(50).then(() => (done = true));
  clock.advance(49);
  await Promise.resolve();
  assert.equal(done, false);
  clock.advance(1);
  await slept;
  assert.equal(done, true);

  const controller = new AbortController();
  const aborted = clock.sleep(1000, controller.signal);
  controller.abort(new Error('stopped'));
  await assert.rejects(aborted, /stopped/);
  assert.equal(clock.pendingTimers(), 0);
});
