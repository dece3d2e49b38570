/**
 * What a request path names, in kube-apiserver's URL layout: `/api/v1/...` for the core group,
 * `/apis/<group>/<version>/...` for the others, then `[namespaces/<ns>/]<plural>[/<name>]`.
 * Subresources (`pods/x/log`, `/status`) are not served: the store holds no logs, and status is
 * part of the object.
 */
import { findResource, type ServedResource } from './resources.ts';
import { badRequest } from '@edgeproof/core';

export type Route =
  | { kind: 'version' }
  | { kind: 'health' }
  | { kind: 'apiVersions' }
  | { kind: 'apiGroupList' }
  | { kind: 'apiGroup'; group: string }
  | { kind: 'apiResourceList'; group: string; version: string }
  /** A collection (no name) or one object; `namespace` undefined means all namespaces. */
  | { kind: 'objects'; resource: ServedResource; namespace: string | undefined; name: string | undefined }
  | { kind: 'notFound' };

const HEALTH = new Set(['/healthz', '/readyz', '/livez']);

/** Routes a URL path (without the query). Throws a 400 ApiError for bad percent-encoding. */
export function routeOf(pathname: string): Route {
  const trimmed = pathname.length > 1 ? pathname.replace(/\/+$/, '') : pathname;
  if (trimmed === '/version') return { kind: 'version' };
  if (HEALTH.has(trimmed)) return { kind: 'health' };
  const segments = trimmed.split('/').slice(1).map(decodeSegment);
  const [root, ...rest] = segments;
  if (root === 'api') {
    if (rest.length === 0) return { kind: 'apiVersions' };
    const [version = '', ...tail] = rest;
    return tail.length === 0
      ? { kind: 'apiResourceList', group: '', version }
      : objectsRoute('', version, tail);
  }
  if (root === 'apis') {
    const [group, version, ...tail] = rest;
    if (group === undefined) return { kind: 'apiGroupList' };
    if (version === undefined) return { kind: 'apiGroup', group };
    return tail.length === 0
      ? { kind: 'apiResourceList', group, version }
      : objectsRoute(group, version, tail);
  }
  return { kind: 'notFound' };
}

/** `[namespaces/<ns>/]<plural>[/<name>]` under one group-version. */
function objectsRoute(group: string, version: string, tail: string[]): Route {
  let namespace: string | undefined;
  let rest = tail;
  if (tail[0] === 'namespaces' && tail.length >= 3) {
    namespace = tail[1];
    rest = tail.slice(2);
  }
  const [plural = '', name, ...subresource] = rest;
  const resource = findResource(group, version, plural);
  if (resource === undefined || subresource.length > 0 || name === '' || namespace === '') {
    return { kind: 'notFound' };
  }
  // A cluster-scoped kind has no namespaced path; one namespaced object needs its namespace.
  if (!resource.namespaced && namespace !== undefined) return { kind: 'notFound' };
  if (resource.namespaced && namespace === undefined && name !== undefined) return { kind: 'notFound' };
  return { kind: 'objects', resource, namespace, name };
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw badRequest(`the request path has a malformed percent-escape in "${segment}"`);
  }
}
