import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from './clock.ts';
import { silentLogger } from './logger.ts';
import { WorkQueue } from './workqueue.ts';
import { InvalidInputError } from './errors.ts';

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
}

test('a key added several times before processing is reconciled once', async () => {
  const queue = new WorkQueue({ clock: new FakeClock(), logger: silentLogger() });
  const seen: string[] = [];
  queue.add('a');
  queue.add('a');
  queue.add('b');
  const controller = new AbortController();
  const running = queue.run(controller.signal, (key) => {
    seen.push(key);
  });
  await settle();
  assert.deepEqual(seen, ['a', 'b']);
  controller.abort();
  await running;
});

test('failures back off exponentially per key on the injected clock', async () => {
  const clock = new FakeClock(0);
  const queue = new WorkQueue({ clock, logger: silentLogger(), baseDelayMs: 10 });
  const attempts: number[] = [];
  const controller = new AbortController();
  const running = queue.run(controller.signal, () => {
    attempts.push(clock.now());
    if (attempts.length < 4) throw new Error('not yet');
  });
  queue.add('k');
  await settle();
  for (const step of [10, 20, 40]) {
    clock.advance(step - 1);
    await settle();
    const before = attempts.length;
    clock.advance(1);
    await settle();
    assert.equal(attempts.length, before + 1, `retry after ${step} ms`);
  }
  assert.deepEqual(attempts, [0, 10, 30, 70]);
  controller.abort();
  await running;
});

test('a terminal error is not retried and requeueAfter schedules the next pass', async () => {
  const clock = new FakeClock(0);
  const queue = new WorkQueue({ clock, logger: silentLogger() });
  const seen: string[] = [];
  const controller = new AbortController();
  const running = queue.run(controller.signal, (key) => {
    seen.push(key);
    if (key === 'bad') throw new InvalidInputError('never valid');
    if (seen.filter((k) => k === 'later').length === 1) return { requeueAfterMs: 1000 };
  });
  queue.add('bad');
  queue.add('later');
  await settle();
  clock.advance(10_000);
  await settle();
  assert.deepEqual(seen, ['bad', 'later', 'later']);
  controller.abort();
  await running;
});
