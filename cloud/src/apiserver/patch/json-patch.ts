/**
 * JSON Patch (RFC 6902), what kube-apiserver applies for `application/json-patch+json`, with its
 * status codes: k8s.io/apiserver `pkg/endpoints/handlers/patch.go` (`jsonPatcher.applyJSPatch`)
 * answers 400 when the body does not decode as a list of operations, 413 past 10000 operations,
 * and 422 (reason Invalid) when an operation cannot be applied, a failed `test` included.
 */
import jsonpatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import { ApiError, badRequest } from '../status.ts';

/** patch.go `maxJSONPatchOperations`. */
export const MAX_JSON_PATCH_OPERATIONS = 10000;

/**
 * The message kube-apiserver gives every 422 from a JSON patch (apimachinery
 * `errors.NewGenericServerResponse` for 422). We append what went wrong, so kubectl prints
 * `The request is invalid: the server rejected our request ...: testing value /x failed: test failed`.
 */
const REJECTED = 'the server rejected our request due to an error in our request';

const OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

/**
 * Applies an RFC 6902 patch to `target` and returns the result; neither input is changed.
 * Throws ApiError 400 when `patch` is not a list of operation objects, 413 when it has more than
 * {@link MAX_JSON_PATCH_OPERATIONS}, and 422 when an operation is malformed or does not apply.
 */
export function applyJsonPatch(target: unknown, patch: unknown): unknown {
  const operations = structuredClone(decodeOperations(patch));
  // Applied one at a time on our own copy, so a failure names the operation that failed (the
  // validator inside fast-json-patch reports index 0 for every operation). The operations are
  // cloned as well, because their values are inserted into the result by reference.
  let document = structuredClone(target);
  operations.forEach((operation, index) => {
    try {
      document = jsonpatch.applyOperation(document, operation, true, true, true, index).newDocument;
    } catch (err) {
      throw rejected(`${describeFailure(err, operation)} (operation ${index})`);
    }
  });
  return document;
}

/** The checks patch.go gets from decoding the body into `jsonpatch.Patch` ([]map[string]any). */
function decodeOperations(patch: unknown): Operation[] {
  if (!Array.isArray(patch)) {
    throw badRequest(
      `json: cannot unmarshal ${jsonKind(patch)} into Go value of type jsonpatch.Patch: a JSON patch must be a list of operations, e.g. [{"op":"replace","path":"/spec/replicas","value":2}]`,
    );
  }
  if (patch.length > MAX_JSON_PATCH_OPERATIONS) {
    throw new ApiError(
      413,
      'RequestEntityTooLarge',
      `The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${patch.length}`,
    );
  }
  patch.forEach((operation: unknown, index) => {
    if (typeof operation !== 'object' || operation === null || Array.isArray(operation)) {
      throw badRequest(
        `json: cannot unmarshal ${jsonKind(operation)} into Go value of type jsonpatch.Operation: operation ${index} of the JSON patch is not an object`,
      );
    }
    const op = (operation as Record<string, unknown>).op;
    if (typeof op !== 'string' || !OPS.has(op)) {
      throw rejected(
        `Unexpected kind: ${String(op)}: op must be one of add, remove, replace, move, copy, test (operation ${index})`,
      );
    }
  });
  return patch as Operation[];
}

function rejected(why: string): ApiError {
  return new ApiError(422, 'Invalid', `${REJECTED}: ${why}`);
}

/** Words a fast-json-patch failure as evanphx/json-patch (the library kube uses) words it. */
function describeFailure(err: unknown, operation: Operation): string {
  const { op } = operation;
  if (!(err instanceof jsonpatch.JsonPatchError)) {
    const message = err instanceof Error ? err.message : String(err);
    // fast-json-patch throws a TypeError for a path through __proto__ or constructor/prototype.
    if (message.includes('__proto__')) {
      return `${op} operation does not apply: path ${JSON.stringify(operation.path)} may not go through __proto__ or constructor/prototype`;
    }
    return message;
  }
  const path = JSON.stringify(operation.path);
  switch (err.name) {
    case 'TEST_OPERATION_FAILED':
      return `testing value ${operation.path} failed: test failed`;
    case 'OPERATION_PATH_UNRESOLVABLE':
    case 'OPERATION_PATH_CANNOT_ADD':
      return `${op} operation does not apply: doc is missing path: ${path}: missing value`;
    case 'OPERATION_FROM_UNRESOLVABLE':
      return `${op} operation does not apply: doc is missing from path: ${JSON.stringify((operation as { from?: unknown }).from)}: missing value`;
    case 'OPERATION_PATH_ILLEGAL_ARRAY_INDEX':
    case 'OPERATION_VALUE_OUT_OF_BOUNDS':
      return `${op} operation does not apply: invalid index referenced in path ${path}`;
    case 'OPERATION_PATH_INVALID':
      return `${op} operation has an invalid path ${path}: a path is a JSON pointer starting with "/"`;
    case 'OPERATION_FROM_REQUIRED':
      return `${op} operation requires a "from" path`;
    case 'OPERATION_VALUE_REQUIRED':
    case 'OPERATION_VALUE_CANNOT_CONTAIN_UNDEFINED':
      return `${op} operation requires a "value"`;
    case 'OPERATION_NOT_AN_OBJECT':
    case 'OPERATION_OP_INVALID':
    case 'SEQUENCE_NOT_AN_ARRAY':
      // Caught earlier by decodeOperations; kept so the switch covers every fast-json-patch error.
      return err.message;
  }
}

function jsonKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value === 'object' ? 'object' : typeof value;
}
