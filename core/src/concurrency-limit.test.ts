import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConcurrencyLimit, JobDroppedError } from './concurrency-limit.ts';

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

test('dropWaiting: jobs not started never run and reject with JobDroppedError; running ones finish', async () => {
  const limit = new ConcurrencyLimit(2);
  const gates = [gate(), gate()];
  const started: number[] = [];
  const jobs = [0, 1, 2, 3, 4].map((i) =>
    limit.run(async () => {
      started.push(i);
      await gates[i]?.promise;
      return i;
    }),
  );
  const settled = Promise.allSettled(jobs);
  await new Promise((r) => setImmediate(r));
  assert.equal(limit.dropWaiting(), 3);
  assert.equal(limit.queued, 0);
  let idle = false;
  const idlePromise = limit.idle().then(() => (idle = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(idle, false, 'the running jobs are still running');
  gates[0]!.open();
  gates[1]!.open();
  assert.deepEqual(
    (await settled).map((s) => (s.status === 'fulfilled' ? s.value : s.reason instanceof JobDroppedError)),
    [0, 1, true, true, true],
  );
  await idlePromise;
  assert.deepEqual(started, [0, 1], 'the dropped jobs never started');
  // The limit goes on working afterwards.
  assert.equal(await limit.run(() => Promise.resolve('after')), 'after');
  assert.equal(limit.dropWaiting(), 0);
});

test('setMax: raised, waiting jobs start at once; lowered, the next starts only below the new limit', async () => {
  const limit = new ConcurrencyLimit(1);
  const gates = [gate(), gate(), gate(), gate()];
  const started: number[] = [];
  const jobs = gates.map((g, i) =>
    limit.run(async () => {
      started.push(i);
      await g.promise;
    }),
  );
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(started, [0]);
  limit.setMax(3);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(started, [0, 1, 2], 'two more start without waiting for a job to finish');
  assert.equal(limit.active, 3);
  limit.setMax(1);
  gates[0]!.open();
  gates[1]!.open();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(started, [0, 1, 2], 'still one running (job 2): at the new limit, nothing starts');
  assert.equal(limit.active, 1);
  gates[2]!.open();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(started, [0, 1, 2, 3]);
  gates[3]!.open();
  await Promise.all(jobs);
  await limit.idle();
  assert.throws(() => limit.setMax(0), /at least 1, got 0/);
});
