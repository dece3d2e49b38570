/**
 * Kubernetes `Status` errors. Every failure the API server returns is one of these, in the shape
 * kubectl prints (kubectl-contract.md §8). The error itself and the failures MetaServer shares are
 * core's (`core/src/kube-status.ts`); the ones only this server answers are here.
 */
export {
  ApiError,
  badRequest,
  notFound,
  qualifiedResource,
  type StatusCause,
  type StatusDetails,
  type StatusReason,
} from '@edgeproof/core';
import { ApiError, qualifiedResource, type StatusCause } from '@edgeproof/core';

export const alreadyExists = (plural: string, group: string, name: string): ApiError =>
  new ApiError(409, 'AlreadyExists', `${qualifiedResource(plural, group)} "${name}" already exists`, {
    name,
    ...(group ? { group } : {}),
    kind: plural,
  });

/** 409 for a stale resourceVersion (optimistic concurrency), worded as kube-apiserver words it. */
export const conflict = (plural: string, group: string, name: string, why: string): ApiError =>
  new ApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(plural, group)} "${name}": ${why}`,
    { name, ...(group ? { group } : {}), kind: plural },
  );

/** 422 with one cause per bad field; kubectl prints `* <field>: <message>` for each. */
export const invalid = (kind: string, group: string, name: string, causes: StatusCause[]): ApiError =>
  new ApiError(
    422,
    'Invalid',
    `${kind}${group ? '.' + group : ''} "${name}" is invalid: ${causes
      .map((c) => (c.field ? `${c.field}: ${c.message}` : c.message))
      .join(', ')}`,
    { name, ...(group ? { group } : {}), kind, causes },
  );

/** 410 for a watch or continue token older than the retained history. */
export const gone = (message: string): ApiError => new ApiError(410, 'Expired', message);

export const tooLarge = (limitBytes: number): ApiError =>
  new ApiError(
    413,
    'RequestEntityTooLarge',
    `the request body is larger than the limit of ${limitBytes} bytes`,
  );

export const unsupportedMediaType = (contentType: string, what: string): ApiError =>
  new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format: ${contentType}${what ? ` (${what})` : ''}`,
  );

export const methodNotAllowed = (method: string, path: string): ApiError =>
  new ApiError(
    405,
    'MethodNotAllowed',
    `the server does not allow this method on the requested resource: ${method} ${path}`,
  );
