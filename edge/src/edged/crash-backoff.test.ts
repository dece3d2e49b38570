import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CrashBackoff, goDuration } from './crash-backoff.ts';

/** Simulates a container that crashes `runMs` after every start; returns the waits before each restart. */
function waits(backoff: CrashBackoff, crashes: number, runMs: number): number[] {
  let now = 0;
  const out: number[] = [];
  for (let i = 0; i < crashes; i++) {
    now += runMs;
    const finishedAt = now;
    const wait = backoff.remaining(finishedAt, now);
    out.push(wait);
    now += wait;
    backoff.next(finishedAt, now);
  }
  return out;
}

test("kubelet's sequence: an immediate restart, then 10 s doubling to 300 s", () => {
  assert.deepEqual(
    waits(new CrashBackoff(), 9, 1000).map((ms) => ms / 1000),
    [0, 10, 20, 40, 80, 160, 300, 300, 300],
  );
});

test('time already spent since the exit counts against the back-off', () => {
  const backoff = new CrashBackoff();
  backoff.next(0, 0);
  assert.equal(backoff.remaining(5000, 5000), 10_000);
  assert.equal(backoff.remaining(5000, 12_000), 3000);
  assert.equal(backoff.remaining(5000, 20_000), 0);
});

test('a container that ran for more than 10 minutes starts the back-off over', () => {
  const long = new CrashBackoff();
  long.next(0, 0);
  long.next(1000, 11_000);
  assert.equal(long.currentMs, 20_000);
  const finishedAt = 11_000 + 10 * 60_000 + 1;
  assert.equal(long.remaining(finishedAt, finishedAt), 0);
  long.next(finishedAt, finishedAt);
  assert.equal(long.currentMs, 10_000);

  const short = new CrashBackoff();
  short.next(0, 0);
  short.next(1000, 11_000);
  const sooner = 11_000 + 9 * 60_000;
  assert.equal(short.remaining(sooner, sooner), 20_000);
  short.next(sooner, sooner + 20_000);
  assert.equal(short.currentMs, 40_000);
});

test('shorter periods for tests follow the same rule', () => {
  assert.deepEqual(
    waits(new CrashBackoff({ initialMs: 100, maxMs: 400 }), 6, 10),
    [0, 100, 200, 400, 400, 400],
  );
  assert.throws(() => new CrashBackoff({ initialMs: 0 }), /0 < initialMs <= maxMs/);
  assert.throws(() => new CrashBackoff({ initialMs: 10, maxMs: 5 }), /0 < initialMs <= maxMs/);
});

test('durations print as Go prints them in kubelet messages', () => {
  assert.deepEqual([300, 10_000, 1500, 20_000, 80_000, 160_000, 300_000, 3_600_000].map(goDuration), [
    '300ms',
    '10s',
    '1.5s',
    '20s',
    '1m20s',
    '2m40s',
    '5m0s',
    '1h0m0s',
  ]);
});
