import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../config/config-error.ts';
import { describeSignal } from './describe-signal.ts';
import { parseSignalModel } from './parse-signal.ts';

test('resolution: taken by continuous signals, above 0, refused on constants and steps', () => {
  const sine = parseSignalModel({ kind: 'sine', amplitude: 10, period: '1m', resolution: 0.1 });
  assert.deepEqual(sine, { kind: 'sine', amplitude: 10, period: 60_000, resolution: 0.1 });
  assert.equal(describeSignal(sine), 'sine offset 0 amplitude 10 period 1m resolution 0.1');
  assert.throws(
    () => parseSignalModel({ kind: 'ramp', from: 0, to: 1, period: 1000, resolution: 0 }, 'points[0].signal'),
    (err: unknown) => err instanceof ConfigError && /resolution: must be above 0, not 0/.test(err.message),
  );
  assert.throws(
    () => parseSignalModel({ kind: 'sine', amplitude: 1, period: 1000, resolution: 'fine' }),
    /resolution: must be a number, not/,
  );
  assert.throws(() => parseSignalModel({ kind: 'constant', value: 1, resolution: 0.1 }), /resolution/);
});
