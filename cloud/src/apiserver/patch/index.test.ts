import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectApiError } from '../expect-api-error.ts';
import { applyPatch, patchMetaFor } from './index.ts';

const POD = patchMetaFor('', 'Pod');
const pod = () => ({
  metadata: { name: 'p', labels: { a: '1' } },
  spec: { containers: [{ name: 'c', image: 'x' }] },
});

test('application/json-patch+json applies an RFC 6902 patch', () => {
  const result = applyPatch(
    'application/json-patch+json',
    pod(),
    [{ op: 'replace', path: '/metadata/labels/a', value: '2' }],
    POD,
  );
  assert.deepEqual((result as ReturnType<typeof pod>).metadata.labels, { a: '2' });
});

test('application/merge-patch+json replaces lists', () => {
  const result = applyPatch(
    'application/merge-patch+json',
    pod(),
    { spec: { containers: [{ name: 'd' }] } },
    POD,
  );
  assert.deepEqual((result as ReturnType<typeof pod>).spec.containers, [{ name: 'd' }]);
});

test('application/strategic-merge-patch+json merges lists by key', () => {
  const result = applyPatch(
    'application/strategic-merge-patch+json',
    pod(),
    { spec: { containers: [{ name: 'd' }] } },
    POD,
  );
  assert.deepEqual((result as ReturnType<typeof pod>).spec.containers, [
    { name: 'd' },
    { name: 'c', image: 'x' },
  ]);
});

test('media type parameters and case are ignored', () => {
  const result = applyPatch(
    'Application/Merge-Patch+JSON; charset=utf-8',
    pod(),
    { metadata: { labels: null } },
    POD,
  );
  assert.deepEqual((result as ReturnType<typeof pod>).metadata, { name: 'p' });
});

test('an unknown content type is a 415 listing the accepted ones', () => {
  const err = expectApiError(() => applyPatch('application/apply-patch+yaml', pod(), {}, POD));
  assert.equal(err.code, 415);
  assert.equal(err.reason, 'UnsupportedMediaType');
  assert.match(err.message, /application\/apply-patch\+yaml/);
  assert.match(err.message, /application\/strategic-merge-patch\+json/);
  assert.equal(expectApiError(() => applyPatch('text/plain', pod(), {}, POD)).code, 415);
});

test('a merge patch that is not an object is a 400', () => {
  assert.equal(expectApiError(() => applyPatch('application/merge-patch+json', pod(), [1], POD)).code, 400);
  assert.equal(expectApiError(() => applyPatch('application/merge-patch+json', pod(), null, POD)).code, 400);
});

test('the original object is never changed', () => {
  const original = pod();
  applyPatch('application/strategic-merge-patch+json', original, { metadata: { labels: { a: null } } }, POD);
  applyPatch('application/merge-patch+json', original, { metadata: { labels: { a: null } } }, POD);
  applyPatch('application/json-patch+json', original, [{ op: 'remove', path: '/metadata/labels/a' }], POD);
  assert.deepEqual(original, pod());
});
