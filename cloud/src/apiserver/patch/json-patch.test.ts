import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectApiError } from '../expect-api-error.ts';
import { applyJsonPatch, MAX_JSON_PATCH_OPERATIONS } from './json-patch.ts';

const pod = () => ({
  metadata: { name: 'web-1', labels: { app: 'web' }, annotations: { 'example.com/x': '1' } },
  spec: { containers: [{ name: 'nginx', image: 'nginx:1', args: ['a'] }] },
});

/** Runs `fn`, expecting an ApiError, and returns it. */

test('add sets a new member and appends with "-"', () => {
  const result = applyJsonPatch(pod(), [
    { op: 'add', path: '/metadata/labels/tier', value: 'fe' },
    { op: 'add', path: '/spec/containers/0/args/-', value: 'b' },
  ]);
  assert.deepEqual(result, {
    ...pod(),
    metadata: { ...pod().metadata, labels: { app: 'web', tier: 'fe' } },
    spec: { containers: [{ name: 'nginx', image: 'nginx:1', args: ['a', 'b'] }] },
  });
});

test('remove and replace change existing members', () => {
  const result = applyJsonPatch(pod(), [
    { op: 'remove', path: '/metadata/labels/app' },
    { op: 'replace', path: '/spec/containers/0/image', value: 'nginx:2' },
  ]) as ReturnType<typeof pod>;
  assert.deepEqual(result.metadata.labels, {});
  assert.equal(result.spec.containers[0]?.image, 'nginx:2');
});

test('a path escapes "/" as ~1, as annotation keys need', () => {
  const result = applyJsonPatch(pod(), [
    { op: 'replace', path: '/metadata/annotations/example.com~1x', value: '2' },
  ]) as ReturnType<typeof pod>;
  assert.deepEqual(result.metadata.annotations, { 'example.com/x': '2' });
});

test('move, copy and a passing test apply', () => {
  const result = applyJsonPatch({ a: { b: 1 }, c: 2 }, [
    { op: 'test', path: '/c', value: 2 },
    { op: 'copy', from: '/a', path: '/d' },
    { op: 'move', from: '/c', path: '/e' },
  ]);
  assert.deepEqual(result, { a: { b: 1 }, d: { b: 1 }, e: 2 });
});

test('a failed test operation is a 422 Invalid naming the path', () => {
  const err = expectApiError(() =>
    applyJsonPatch(pod(), [{ op: 'test', path: '/metadata/name', value: 'other' }]),
  );
  assert.equal(err.code, 422);
  assert.equal(err.reason, 'Invalid');
  assert.match(err.message, /^the server rejected our request due to an error in our request: /);
  assert.match(err.message, /testing value \/metadata\/name failed: test failed \(operation 0\)/);
});

test('removing a path that does not exist is a 422 naming the path and the operation', () => {
  const err = expectApiError(() =>
    applyJsonPatch(pod(), [
      { op: 'add', path: '/metadata/labels/a', value: 'b' },
      { op: 'remove', path: '/spec/affinity' },
    ]),
  );
  assert.equal(err.code, 422);
  assert.match(err.message, /remove operation does not apply: doc is missing path: "\/spec\/affinity"/);
  assert.match(err.message, /\(operation 1\)/);
});

test('replacing a member that does not exist is a 422', () => {
  const err = expectApiError(() =>
    applyJsonPatch(pod(), [{ op: 'replace', path: '/metadata/labels/nope', value: 'x' }]),
  );
  assert.equal(err.code, 422);
  assert.match(err.message, /replace operation does not apply/);
});

test('adding under a parent that does not exist is a 422', () => {
  const err = expectApiError(() =>
    applyJsonPatch(pod(), [{ op: 'add', path: '/status/conditions/0', value: {} }]),
  );
  assert.equal(err.code, 422);
  assert.match(err.message, /add operation does not apply: doc is missing path: "\/status\/conditions\/0"/);
});

test('a path through a scalar is a 422', () => {
  const err = expectApiError(() =>
    applyJsonPatch(pod(), [{ op: 'add', path: '/metadata/name/x', value: 1 }]),
  );
  assert.equal(err.code, 422);
});

test('an array index past the end is a 422', () => {
  const err = expectApiError(() =>
    applyJsonPatch(pod(), [{ op: 'add', path: '/spec/containers/5', value: {} }]),
  );
  assert.equal(err.code, 422);
  assert.match(err.message, /invalid index/);
});

test('a path without a leading slash is a 422', () => {
  const err = expectApiError(() =>
    applyJsonPatch(pod(), [{ op: 'replace', path: 'metadata/name', value: 'x' }]),
  );
  assert.equal(err.code, 422);
  assert.match(err.message, /must|JSON pointer/);
});

test('an add without a value is a 422', () => {
  const err = expectApiError(() => applyJsonPatch(pod(), [{ op: 'add', path: '/metadata/labels/x' }]));
  assert.equal(err.code, 422);
  assert.match(err.message, /requires a "value"/);
});

test('an unknown op is a 422', () => {
  const err = expectApiError(() => applyJsonPatch(pod(), [{ op: 'merge', path: '/a', value: 1 }]));
  assert.equal(err.code, 422);
  assert.match(err.message, /Unexpected kind: merge/);
});

test('a patch that is not a list is a 400', () => {
  const err = expectApiError(() => applyJsonPatch(pod(), { op: 'add', path: '/a', value: 1 }));
  assert.equal(err.code, 400);
  assert.equal(err.reason, 'BadRequest');
  assert.match(err.message, /cannot unmarshal object into Go value of type jsonpatch.Patch/);
});

test('an operation that is not an object is a 400', () => {
  const err = expectApiError(() => applyJsonPatch(pod(), ['add']));
  assert.equal(err.code, 400);
  assert.match(err.message, /operation 0 of the JSON patch is not an object/);
});

test('more operations than kube allows is a 413', () => {
  const ops = Array.from({ length: MAX_JSON_PATCH_OPERATIONS + 1 }, () => ({
    op: 'test',
    path: '/a',
    value: 1,
  }));
  const err = expectApiError(() => applyJsonPatch({ a: 1 }, ops));
  assert.equal(err.code, 413);
  assert.equal(err.reason, 'RequestEntityTooLarge');
});

test('an empty patch returns an equal copy', () => {
  const target = pod();
  const result = applyJsonPatch(target, []);
  assert.deepEqual(result, target);
  assert.notEqual(result, target);
});

test('neither the target nor the patch is mutated, even when a later operation fails', () => {
  const target = pod();
  const value = { name: 'side', image: 'busybox' };
  const patch = [
    { op: 'add', path: '/spec/containers/-', value },
    { op: 'replace', path: '/spec/containers/1/image', value: 'alpine' },
  ];
  const result = applyJsonPatch(target, patch) as ReturnType<typeof pod>;
  assert.deepEqual(target, pod());
  assert.deepEqual(value, { name: 'side', image: 'busybox' });
  assert.equal(result.spec.containers[1]?.image, 'alpine');

  expectApiError(() =>
    applyJsonPatch(target, [
      { op: 'remove', path: '/metadata/labels' },
      { op: 'remove', path: '/nope' },
    ]),
  );
  assert.deepEqual(target, pod());
});

test('operations on the root replace or test the whole document', () => {
  assert.deepEqual(applyJsonPatch({ a: 1 }, [{ op: 'replace', path: '', value: { b: 2 } }]), { b: 2 });
  const err = expectApiError(() => applyJsonPatch({ a: 1 }, [{ op: 'test', path: '', value: { a: 2 } }]));
  assert.equal(err.code, 422);
});
