import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyMergePatch } from './merge-patch.ts';

test('null in a merge patch deletes the key', () => {
  const result = applyMergePatch(
    { metadata: { labels: { app: 'web', tier: 'fe' } } },
    { metadata: { labels: { tier: null } } },
  );
  assert.deepEqual(result, { metadata: { labels: { app: 'web' } } });
});

test('deleting a key that is absent changes nothing', () => {
  assert.deepEqual(applyMergePatch({ a: 1 }, { b: null }), { a: 1 });
});

test('objects merge recursively and untouched keys survive', () => {
  const result = applyMergePatch(
    { spec: { replicas: 1, template: { spec: { nodeName: 'n1' } } } },
    { spec: { replicas: 3, template: { metadata: { labels: { a: 'b' } } } } },
  );
  assert.deepEqual(result, {
    spec: { replicas: 3, template: { spec: { nodeName: 'n1' }, metadata: { labels: { a: 'b' } } } },
  });
});

test('arrays are replaced, not merged', () => {
  const result = applyMergePatch(
    { spec: { containers: [{ name: 'a' }, { name: 'b' }] } },
    { spec: { containers: [{ name: 'c' }] } },
  );
  assert.deepEqual(result, { spec: { containers: [{ name: 'c' }] } });
});

test('a scalar replaces an object and an object replaces a scalar', () => {
  assert.deepEqual(applyMergePatch({ a: { b: 1 } }, { a: 'x' }), { a: 'x' });
  assert.deepEqual(applyMergePatch({ a: 'x' }, { a: { b: 1 } }), { a: { b: 1 } });
});

test('nulls nested in a newly added object are dropped (RFC 7386 appendix A)', () => {
  assert.deepEqual(applyMergePatch({ e: null }, { a: 1, e: { f: null, g: 2 } }), { a: 1, e: { g: 2 } });
});

test('a patch that is not an object replaces the whole target', () => {
  assert.deepEqual(applyMergePatch({ a: 'b' }, ['c']), ['c']);
  assert.equal(applyMergePatch({ a: 'b' }, null), null);
  assert.equal(applyMergePatch({ a: 'b' }, 'text'), 'text');
});

test('a target that is not an object is treated as empty', () => {
  assert.deepEqual(applyMergePatch(['c'], { a: 'b', n: null }), { a: 'b' });
});

test('an empty patch returns an equal copy', () => {
  const target = { a: { b: [1, 2] } };
  const result = applyMergePatch(target, {});
  assert.deepEqual(result, target);
  assert.notEqual(result, target);
});

test('neither input is mutated and the result shares no objects with them', () => {
  const target = { metadata: { labels: { a: '1' } }, data: { x: 'y' } };
  const patch = { metadata: { labels: { b: '2' } }, list: [{ k: 'v' }] };
  const targetCopy = structuredClone(target);
  const patchCopy = structuredClone(patch);
  const result = applyMergePatch(target, patch) as { data: object; list: object[] };
  assert.deepEqual(target, targetCopy);
  assert.deepEqual(patch, patchCopy);
  assert.notEqual(result.data, target.data);
  assert.notEqual(result.list, patch.list);
});

test('a __proto__ key in a patch is an own key and pollutes nothing', () => {
  const patch = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as unknown;
  const result = applyMergePatch({}, patch) as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(result), Object.prototype);
  assert.deepEqual(Object.getOwnPropertyDescriptor(result, '__proto__')?.value, { polluted: true });
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});
