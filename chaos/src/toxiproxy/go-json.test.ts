import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from './api-error.ts';
import { field, float32Json, goJson, intField, parseBody } from './go-json.ts';

test('bodies decode as Go decodes them', () => {
  assert.throws(
    () => parseBody(' '),
    (e: unknown) => e instanceof ApiError && e.message === 'bad request body: EOF' && e.status === 400,
  );
  assert.throws(() => parseBody('{'), /^ApiError: bad request body: /);
  assert.equal(field({ Name: 'x' }, 'name'), 'x', 'keys match case-insensitively');
  assert.equal(field({ name: 'a', NAME: 'b' }, 'name'), 'a', 'exact match first');
  assert.equal(intField({ n: null }, 'T', 'n', 7), 7, 'null keeps the default');
  assert.throws(
    () => intField({ n: 1.5 }, 'T', 'n', 0),
    /cannot unmarshal number 1\.5 into Go struct field T\.n of type int64/,
  );
});

test('output reads like Go’s json.Marshal', () => {
  assert.equal(float32Json(0.1), 0.1);
  assert.equal(float32Json(1), 1);
  assert.equal(float32Json(0.123456789), 0.12345679);
  assert.equal(goJson({ n: '<a&b>' }), '{"n":"\\u003ca\\u0026b\\u003e"}');
});
