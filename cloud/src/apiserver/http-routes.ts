/**
 * Parses Kubernetes API paths into what they address (k8s.io/apiserver pkg/endpoints/request
 * requestinfo.go, simplified to the shapes kubectl and client-go use).
 */
import { badRequest } from './status.ts';

export type ResourceRoute = {
  kind: 'resource';
  group: string;
  version: string;
  plural: string;
  /** The namespace from the path; undefined for cluster-wide requests. */
  namespace: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
};

export type Route =
  | ResourceRoute
  | { kind: 'version' }
  | { kind: 'health'; check: 'healthz' | 'readyz' | 'livez' }
  | { kind: 'core-versions' }
  | { kind: 'groups' }
  | { kind: 'group'; group: string }
  | { kind: 'resource-list'; group: string; version: string }
  | { kind: 'openapi-v3-index' }
  | { kind: 'openapi-v3-doc'; path: string }
  | { kind: 'openapi-v2' }
  | { kind: 'unknown' };

export function parseRoute(pathname: string): Route {
  let segments: string[];
  try {
    segments = pathname
      .split('/')
      .filter((s) => s !== '')
      .map(decodeURIComponent);
  } catch {
    throw badRequest(`the request path ${JSON.stringify(pathname)} is not valid URL encoding`);
  }
  const [first, ...rest] = segments;
  switch (first) {
    case 'version':
      return rest.length === 0 ? { kind: 'version' } : { kind: 'unknown' };
    case 'healthz':
    case 'readyz':
    case 'livez':
      return { kind: 'health', check: first };
    case 'openapi':
      if (rest[0] === 'v2') return { kind: 'openapi-v2' };
      if (rest[0] === 'v3') {
        return rest.length === 1
          ? { kind: 'openapi-v3-index' }
          : { kind: 'openapi-v3-doc', path: rest.slice(1).join('/') };
      }
      return { kind: 'unknown' };
    case 'api': {
      if (rest.length === 0) return { kind: 'core-versions' };
      const [version, ...tail] = rest;
      if (tail.length === 0) return { kind: 'resource-list', group: '', version: version ?? '' };
      return resourceRoute('', version ?? '', tail);
    }
    case 'apis': {
      if (rest.length === 0) return { kind: 'groups' };
      const [group, version, ...tail] = rest;
      if (version === undefined) return { kind: 'group', group: group ?? '' };
      if (tail.length === 0) return { kind: 'resource-list', group: group ?? '', version };
      return resourceRoute(group ?? '', version, tail);
    }
    case undefined:
    default:
      return { kind: 'unknown' };
  }
}

/** Namespace subresources, as opposed to resources inside a namespace. */
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

function resourceRoute(group: string, version: string, tail: string[]): Route {
  const base = { kind: 'resource' as const, group, version };
  if (tail[0] === 'namespaces' && tail.length >= 3 && !NAMESPACE_SUBRESOURCES.has(tail[2] ?? '')) {
    const [, namespace, plural, name, subresource, ...extra] = tail;
    if (extra.length > 0) return { kind: 'unknown' };
    return { ...base, namespace, plural: plural ?? '', name, subresource };
  }
  const [plural, name, subresource, ...extra] = tail;
  if (extra.length > 0) return { kind: 'unknown' };
  return { ...base, namespace: undefined, plural: plural ?? '', name, subresource };
}
