import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isNewerResourceVersion } from './resource-version.ts';

test('resourceVersions compare as integers, not strings (§3.1 rule 5)', () => {
  assert.equal(isNewerResourceVersion('10', '9'), true);
  assert.equal(isNewerResourceVersion('9', '10'), false);
  assert.equal(isNewerResourceVersion('42', '42'), false);
  // Beyond Number.MAX_SAFE_INTEGER, still exact (Go parses uint64).
  assert.equal(isNewerResourceVersion('18446744073709551615', '18446744073709551614'), true);
});

test('anything is newer than a version never acknowledged', () => {
  assert.equal(isNewerResourceVersion('1', undefined), true);
  assert.equal(isNewerResourceVersion('1', ''), true);
  assert.equal(isNewerResourceVersion(undefined, '1'), false);
  assert.equal(isNewerResourceVersion('', undefined), false);
});

test('opaque (non-integer) versions count as newer whenever they differ', () => {
  assert.equal(isNewerResourceVersion('abc', 'abd'), true);
  assert.equal(isNewerResourceVersion('abc', 'abc'), false);
  assert.equal(isNewerResourceVersion('7', 'x'), true);
});
