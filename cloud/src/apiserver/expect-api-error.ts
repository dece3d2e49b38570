// Test support: runs `fn` and returns the ApiError it throws, failing the test otherwise.
import assert from 'node:assert/strict';
import { ApiError } from './status.ts';

export function expectApiError(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ApiError, `expected an ApiError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected an ApiError');
}
