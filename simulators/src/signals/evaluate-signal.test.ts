import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '@edgeproof/core';
import { PointStore } from '../points/point-store.ts';
import { evaluateSignal } from './evaluate-signal.ts';
import { parseCsvSamples } from './csv.ts';
import type { SignalModel } from './signal-model.ts';

/** A point following `signal`, on a fake clock started at t = 0. */
function point(signal: SignalModel): { clock: FakeClock; at: (ms: number) => unknown } {
  const clock = new FakeClock();
  const store = new PointStore([{ name: 'p', signal }], clock);
  store.start();
  const t0 = clock.now();
  return {
    clock,
    at: (ms) => {
      clock.advance(t0 + ms - clock.now());
      return store.value('p');
    },
  };
}

const close = (actual: unknown, expected: number, eps = 1e-9): void => {
  assert.equal(typeof actual, 'number');
  assert.ok(Math.abs((actual as number) - expected) < eps, `${String(actual)} ≉ ${expected}`);
};

test('constant holds its value whatever the time', () => {
  const p = point({ kind: 'constant', value: 21.5 });
  assert.equal(p.at(0), 21.5);
  assert.equal(p.at(3_600_000), 21.5);
});

test('sine follows offset + amplitude·sin(2πt/period + phase) on the fake clock', () => {
  const p = point({ kind: 'sine', amplitude: 10, period: 4000, offset: 50 });
  close(p.at(0), 50);
  close(p.at(1000), 60);
  close(p.at(2000), 50);
  close(p.at(3000), 40);
  close(p.at(4000), 50);
  const shifted = point({ kind: 'sine', amplitude: 2, period: 1000, phase: 90 });
  close(shifted.at(0), 2);
  close(shifted.at(500), -2);
});

test('resolution rounds a continuous signal as a sensor does, to exact decimals', () => {
  // 50 + 10·sin(2π·100/4000) = 51.564…
  const p = point({ kind: 'sine', amplitude: 10, period: 4000, offset: 50, resolution: 0.1 });
  assert.equal(p.at(100), 51.6);
  assert.equal(String(p.at(1000)), '60');
  const quarter = point({ kind: 'ramp', from: 0, to: 1, period: 1000, resolution: 0.25 });
  assert.equal(quarter.at(300), 0.25);
  assert.equal(quarter.at(400), 0.5);
  const tiny = point({ kind: 'ramp', from: 0, to: 1e-6, period: 1000, resolution: 1e-7 });
  assert.equal(String(tiny.at(333)), '3e-7');
  const coarse = point({ kind: 'random-walk', start: 1234, step: 0, min: 0, max: 5000, resolution: 5 });
  assert.equal(coarse.at(10_000), 1235);
  const replay = point({ kind: 'replay', samples: [{ at: 0, value: 0.123456 }], resolution: 0.001 });
  assert.equal(replay.at(0), 0.123);
});

test('ramp rises linearly over its period, then repeats or holds', () => {
  const p = point({ kind: 'ramp', from: 0, to: 100, period: 10_000 });
  close(p.at(0), 0);
  close(p.at(2500), 25);
  close(p.at(9999), 99.99);
  close(p.at(10_000), 0);
  close(p.at(15_000), 50);
  const hold = point({ kind: 'ramp', from: 10, to: 20, period: 1000, repeat: false });
  close(hold.at(500), 15);
  close(hold.at(1000), 20);
  close(hold.at(60_000), 20);
});

test('random walk is deterministic for a seed, steps once per interval and stays in bounds', () => {
  const model: SignalModel = {
    kind: 'random-walk',
    start: 50,
    step: 5,
    min: 40,
    max: 60,
    seed: 42,
    interval: 1000,
  };
  const a = point(model);
  const b = point(model);
  const seriesA = [0, 999, 1000, 5000, 100_000].map((t) => a.at(t));
  const seriesB = [0, 999, 1000, 5000, 100_000].map((t) => b.at(t));
  assert.deepEqual(seriesA, seriesB);
  assert.equal(seriesA[0], 50);
  assert.equal(seriesA[1], 50, 'no step before the first interval has passed');
  assert.notEqual(seriesA[2], 50);
  for (let t = 0; t < 300_000; t += 1000) {
    const v = a.at(t) as number;
    assert.ok(v >= 40 && v <= 60, `${v} out of [40, 60] at ${t}`);
  }
  // Going back in time restarts from the seed: still a function of time.
  assert.equal(a.at(5000), seriesA[3]);
  const other = point({ ...model, seed: 7 });
  assert.notEqual(other.at(5000), seriesA[3]);
});

test('steps schedule: the last step passed, the first before any', () => {
  const p = point({
    kind: 'steps',
    steps: [
      { at: 5000, value: 2 },
      { at: 0, value: 1 },
      { at: 10_000, value: true },
    ],
  });
  assert.equal(p.at(0), 1);
  assert.equal(p.at(4999), 1);
  assert.equal(p.at(5000), 2);
  assert.equal(p.at(60_000), true);
  const late = point({ kind: 'steps', steps: [{ at: 1000, value: 7 }] });
  assert.equal(late.at(0), 7);
});

test('replay of a CSV steps through rows, interpolates on request and loops', () => {
  const samples = parseCsvSamples('time,value\n# a comment\n10,1\n11,2\n12,4\n', 'rec.csv');
  assert.deepEqual(samples, [
    { at: 0, value: 1 },
    { at: 1000, value: 2 },
    { at: 2000, value: 4 },
  ]);
  const p = point({ kind: 'replay', samples });
  assert.equal(p.at(0), 1);
  assert.equal(p.at(1500), 2);
  assert.equal(p.at(2000), 4);
  // One loop lasts to the last row plus the gap before it (3 s).
  assert.equal(p.at(2999), 4);
  assert.equal(p.at(3000), 1);
  assert.equal(p.at(4000), 2);
  const linear = point({ kind: 'replay', samples, interpolate: 'linear' });
  close(linear.at(500), 1.5);
  close(linear.at(1500), 3);
  close(linear.at(2500), 2.5, 1e-9); // back towards the first value in the last gap
  const once = point({ kind: 'replay', samples, loop: false });
  assert.equal(once.at(60_000), 4);
});

test('CSV errors name the file and line', () => {
  assert.throws(
    () => parseCsvSamples('time,value\n0,1\n1,x\n', 'r.csv'),
    /^ConfigError: r\.csv:3: value "x" is not a number/,
  );
  assert.throws(() => parseCsvSamples('0,1\n2,1\n1,1\n', 'r.csv'), /r\.csv:3: time 1 goes backwards/);
  assert.throws(
    () => parseCsvSamples('when,what\n', 'r.csv'),
    /r\.csv:1: header .* must name a "time" and a "value" column/,
  );
  assert.throws(() => parseCsvSamples('# nothing\n', 'r.csv'), /r\.csv: holds no time,value rows/);
  // Columns may come in any order when named.
  assert.deepEqual(parseCsvSamples('value;time\n5;0\n6;0.5\n', 'r.csv'), [
    { at: 0, value: 5 },
    { at: 500, value: 6 },
  ]);
});

test('a client write holds the written value until a new signal is set', () => {
  const clock = new FakeClock();
  const store = new PointStore([{ name: 'p', signal: { kind: 'sine', amplitude: 1, period: 1000 } }], clock);
  store.start();
  store.write('p', 42);
  clock.advance(10_000);
  assert.equal(store.value('p'), 42);
  assert.equal(store.state('p').source, 'write');
  store.setSignal('p', { kind: 'ramp', from: 0, to: 10, period: 10_000 });
  clock.advance(5000);
  assert.equal(store.value('p'), 5, 'a new signal starts its time when set');
  assert.equal(store.state('p').source, 'api');
  assert.throws(() => store.value('q'), /unknown point "q"/);
});

test('evaluateSignal clamps time before the epoch to 0', () => {
  const f = evaluateSignal({ kind: 'ramp', from: 3, to: 4, period: 1000 });
  assert.equal(f(-500), 3);
});
