import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff, seededRandom } from './backoff.ts';

test('delays stay within [floor, min(cap, base·2^n)] and reach the cap', () => {
  const backoff = new Backoff({ random: seededRandom(42) });
  const ceilings = [200, 400, 800, 1600, 3200, 5000, 5000, 5000];
  for (const ceiling of ceilings) {
    assert.equal(backoff.ceiling(backoff.attempts), ceiling);
    const d = backoff.next();
    assert.ok(d >= 50 && d <= ceiling, `delay ${d} outside [50, ${ceiling}]`);
  }
  for (let i = 0; i < 1000; i++) assert.ok(backoff.next() <= 5000);
});

test('the extremes of the random source give the floor and the ceiling', () => {
  const low = new Backoff({ random: () => 0 });
  assert.deepEqual([low.next(), low.next(), low.next()], [50, 50, 50]);
  const high = new Backoff({ random: () => 0.999999999 });
  assert.deepEqual(
    Array.from({ length: 7 }, () => high.next()),
    [200, 400, 800, 1600, 3200, 5000, 5000],
  );
});

test('reset starts the schedule again', () => {
  const backoff = new Backoff({ random: () => 0.999999999 });
  backoff.next();
  backoff.next();
  backoff.next();
  backoff.reset();
  assert.equal(backoff.attempts, 0);
  assert.equal(backoff.next(), 200);
});

test('a long outage never overflows the delay', () => {
  const backoff = new Backoff({ random: () => 0.5 });
  for (let i = 0; i < 10_000; i++) backoff.next();
  assert.equal(backoff.next(), Math.round(50 + 0.5 * (5000 - 50)));
});

test('full jitter spreads a reconnect storm over the whole window', () => {
  const random = seededRandom(7);
  const delays = Array.from({ length: 1000 }, () => {
    const b = new Backoff({ random });
    for (let i = 0; i < 6; i++) b.next();
    return b.next(); // at the cap: uniform in [50, 5000]
  });
  const buckets = [0, 0, 0, 0, 0];
  for (const d of delays) buckets[Math.min(4, Math.floor((d - 50) / 990))]!++;
  for (const count of buckets) assert.ok(count > 150 && count < 250, `uneven spread ${buckets.join(',')}`);
});

test('the same seed gives the same schedule', () => {
  const a = new Backoff({ random: seededRandom(1) });
  const b = new Backoff({ random: seededRandom(1) });
  for (let i = 0; i < 20; i++) assert.equal(a.next(), b.next());
});

test('bad options are refused with a clear error', () => {
  assert.throws(() => new Backoff({ baseMs: 0 }), /baseMs must be a positive number/);
  assert.throws(() => new Backoff({ factor: 0.5 }), /factor must be at least 1/);
  assert.throws(() => new Backoff({ baseMs: 100, capMs: 10 }), /capMs must be at least baseMs/);
});
