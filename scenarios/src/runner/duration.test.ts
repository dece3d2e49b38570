import { test } from 'node:test';
import assert from 'node:assert/strict';
import { durationMs, formatMs, formatOffset, parseDuration } from './duration.ts';

test('parses durations as Kubernetes writes them', () => {
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('10s'), 10_000);
  assert.equal(parseDuration('1m30s'), 90_000);
  assert.equal(parseDuration('1h'), 3_600_000);
  assert.equal(parseDuration('1.5s'), 1500);
  assert.equal(parseDuration('2m0s500ms'), 120_500);
  assert.equal(parseDuration(' 3s '), 3000);
});

test('rejects what is not a duration', () => {
  for (const bad of ['', '10', 's', '10 s', '-1s', '1d', 'soon', '1s2', 'ms']) {
    assert.equal(parseDuration(bad), undefined, bad);
  }
  assert.throws(() => durationMs('later', 0), /not a duration/);
});

test('durationMs falls back only when absent', () => {
  assert.equal(durationMs(undefined, 42), 42);
  assert.equal(durationMs('0s', 42), 0);
});

test('formats durations for people', () => {
  assert.equal(formatMs(850), '850 ms');
  assert.equal(formatMs(12_345), '12.3 s');
  assert.equal(formatMs(125_000), '2 min 5 s');
  assert.equal(formatMs(120_000), '2 min');
  assert.equal(formatOffset(12_345), '12.3s');
});
