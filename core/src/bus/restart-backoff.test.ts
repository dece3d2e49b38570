import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RestartBackoff } from './restart-backoff.ts';
import { InvalidInputError } from '../errors.ts';

test('delays double from the base up to the cap', () => {
  const backoff = new RestartBackoff({ baseDelayMs: 100, maxDelayMs: 10_000, resetAfterMs: 30_000 });
  backoff.resumed(0);
  const delays = Array.from({ length: 10 }, () => backoff.next(0));
  assert.deepEqual(delays, [100, 200, 400, 800, 1600, 3200, 6400, 10_000, 10_000, 10_000]);
});

test('a quiet period since the last restart resets the delay to the base', () => {
  const backoff = new RestartBackoff({ baseDelayMs: 100, maxDelayMs: 10_000, resetAfterMs: 1000 });
  backoff.resumed(0);
  assert.equal(backoff.next(0), 100);
  backoff.resumed(100);
  assert.equal(backoff.next(1099), 200, 'one ms short of quiet');
  backoff.resumed(1299);
  assert.equal(backoff.next(2299), 100, 'quiet for exactly resetAfterMs');
});

test('an inconsistent policy is refused', () => {
  assert.throws(
    () => new RestartBackoff({ baseDelayMs: 0, maxDelayMs: 1, resetAfterMs: 0 }),
    InvalidInputError,
  );
  assert.throws(
    () => new RestartBackoff({ baseDelayMs: 10, maxDelayMs: 5, resetAfterMs: 0 }),
    InvalidInputError,
  );
});
