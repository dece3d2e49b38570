/**
 * The Kubernetes `Status` failures only MetaServer answers with; the error, `badRequest` and
 * `notFound` are core's (`core/src/kube-status.ts`), shared with the cloud's API server. Thrown
 * inside a request and turned into a reply by the handler.
 */
import { ApiError } from '@edgeproof/core';

/** A path MetaServer does not serve: kube-apiserver's wording for an unknown resource. */
export function pathNotFound(): ApiError {
  return new ApiError(404, 'NotFound', 'the server could not find the requested resource');
}

/**
 * A write. KubeEdge's MetaServer forwards writes to the cloud (kubeedge-protocol.md §5.3); this one
 * does not yet, so the message says where to make the change instead.
 */
export function readOnly(method: string, path: string): ApiError {
  return new ApiError(
    405,
    'MethodNotAllowed',
    `the edge MetaServer is read-only: ${method} ${path} is not allowed; make the change through the cloud's API server`,
  );
}

/** 410 for a watch from a resourceVersion older than the history this server keeps (§5). */
export function expired(resourceVersion: string, oldest: number): ApiError {
  return new ApiError(
    410,
    'Expired',
    `too old resource version: ${resourceVersion} (${oldest}); list again and watch from the list's resourceVersion`,
  );
}
