/**
 * The Kubernetes `Status` failures MetaServer answers with, in the shape kubectl prints as
 * `Error from server (<reason>): <message>` (kubectl-contract.md §8). Thrown inside a request and
 * turned into a reply by the handler; never seen outside this folder.
 */

/** The `reason` values MetaServer uses (apimachinery `metav1.StatusReason`). */
export type StatusReason = 'BadRequest' | 'NotFound' | 'MethodNotAllowed' | 'Expired' | 'InternalError';

/** A request that fails with an HTTP code and a Kubernetes `Status` body. */
export class StatusError extends Error {
  readonly httpCode: number;
  readonly reason: StatusReason;
  readonly details: { name?: string; group?: string; kind?: string } | undefined;

  constructor(
    httpCode: number,
    reason: StatusReason,
    message: string,
    details?: { name?: string; group?: string; kind?: string },
  ) {
    super(message);
    this.name = 'StatusError';
    this.httpCode = httpCode;
    this.reason = reason;
    this.details = details;
  }

  /** The `Status` object (kubectl-contract.md §8). */
  toStatus(): Record<string, unknown> {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details === undefined ? {} : { details: this.details }),
      code: this.httpCode,
    };
  }
}

/** `pods "x" not found` / `deployments.apps "x" not found`, as kube-apiserver words it (§8). */
export function objectNotFound(plural: string, group: string, name: string): StatusError {
  const what = group === '' ? plural : `${plural}.${group}`;
  return new StatusError(404, 'NotFound', `${what} "${name}" not found`, {
    name,
    ...(group === '' ? {} : { group }),
    kind: plural,
  });
}

/** A path MetaServer does not serve: kube-apiserver's wording for an unknown resource. */
export function pathNotFound(): StatusError {
  return new StatusError(404, 'NotFound', 'the server could not find the requested resource');
}

export function badRequest(message: string): StatusError {
  return new StatusError(400, 'BadRequest', message);
}

/**
 * A write. KubeEdge's MetaServer forwards writes to the cloud (kubeedge-protocol.md §5.3); this one
 * does not yet, so the message says where to make the change instead.
 */
export function readOnly(method: string, path: string): StatusError {
  return new StatusError(
    405,
    'MethodNotAllowed',
    `the edge MetaServer is read-only: ${method} ${path} is not allowed; make the change through the cloud's API server`,
  );
}

/** 410 for a watch from a resourceVersion older than the history this server keeps (§5). */
export function expired(resourceVersion: string, oldest: number): StatusError {
  return new StatusError(
    410,
    'Expired',
    `too old resource version: ${resourceVersion} (${oldest}); list again and watch from the list's resourceVersion`,
  );
}
