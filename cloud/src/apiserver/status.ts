/**
 * Kubernetes `Status` errors. Every failure the API server returns is one of these, in the shape
 * kubectl prints (kubectl-contract.md §8): reason, code, details with kind/name/causes.
 */
export interface StatusCause {
  field?: string;
  reason?: string;
  message: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'Expired'
  | 'Invalid'
  | 'RequestEntityTooLarge'
  | 'UnsupportedMediaType'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'InternalError'
  | 'ServiceUnavailable';

/** An error with an HTTP code and a Kubernetes Status body. */
export class ApiError extends Error {
  readonly code: number;
  readonly reason: StatusReason;
  readonly details: StatusDetails | undefined;

  constructor(code: number, reason: StatusReason, message: string, details?: StatusDetails) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.reason = reason;
    this.details = details;
  }

  toStatus(): Record<string, unknown> {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

/** `<resource>.<group>` as Kubernetes messages name a resource (`pods`, `devices.devices.kubeedge.io`). */
export function qualifiedResource(plural: string, group: string): string {
  return group === '' ? plural : `${plural}.${group}`;
}

export const notFound = (plural: string, group: string, name: string): ApiError =>
  new ApiError(404, 'NotFound', `${qualifiedResource(plural, group)} "${name}" not found`, {
    name,
    ...(group ? { group } : {}),
    kind: plural,
  });

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

export const badRequest = (message: string): ApiError => new ApiError(400, 'BadRequest', message);

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
