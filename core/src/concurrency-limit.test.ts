import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConcurrencyLimit } from './concurrency-limit.ts';

/** A job that finishes when the test says so. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

test('runs at most max jobs at once, the rest in arrival order', async () => {
  const limit = new ConcurrencyLimit(2);
  const gates = [gate(), gate(), gate(), gate()];
  const started: number[] = [];
  const results = gates.map((g, i) =>
    limit.run(async () => {
      started.push(i);
      await g.promise;
      return i * 10;
    }),
  );
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(started, [0, 1]);
  assert.equal(limit.active, 2);
  assert.equal(limit.queued, 2);
  gates[1]!.open();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(started, [0, 1, 2], 'a freed slot goes to the oldest waiting job');
  gates[0]!.open();
  gates[2]!.open();
  gates[3]!.open();
  assert.deepEqual(await Promise.all(results), [0, 10, 20, 30]);
  await limit.idle();
  assert.equal(limit.active, 0);
});

test('a failing job frees its slot and rejects only its own caller', async () => {
  const limit = new ConcurrencyLimit(1);
  const failed = limit.run(() => Promise.reject(new Error('boom')));
  const next = limit.run(() => Promise.resolve('ok'));
  await assert.rejects(failed, /boom/);
  assert.equal(await next, 'ok');
  await limit.idle();
});

test('idle resolves at once when nothing runs, and a limit below 1 is refused', async () => {
  await new ConcurrencyLimit(3).idle();
  assert.throws(() => new ConcurrencyLimit(0), /at least 1, got 0/);
  assert.throws(() => new ConcurrencyLimit(1.5), /whole number/);
});
