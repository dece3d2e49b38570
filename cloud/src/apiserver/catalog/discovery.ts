/**
 * API discovery documents (kubectl-contract.md §1): legacy (`APIVersions`, `APIGroupList`,
 * `APIGroup`, `APIResourceList`) and aggregated (`APIGroupDiscoveryList`, apidiscovery.k8s.io
 * v2 and v2beta1), plus the Accept negotiation between them. Versions in a group are sorted as
 * kube sorts them (preferred first); groups by kube-apiserver's group priorities, then name.
 */
import type { ResourceType } from '../types.ts';
import { parseAcceptHeader } from './table.ts';

export type DiscoveryFormat = 'v2' | 'v2beta1' | 'legacy';

/** The Content-Type to answer with for each format; kubectl checks the aggregated ones exactly. */
export const DISCOVERY_CONTENT_TYPES: Readonly<Record<DiscoveryFormat, string>> = {
  v2: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
  v2beta1: 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList',
  legacy: 'application/json',
};

export interface NegotiatedDiscovery {
  format: DiscoveryFormat;
  /** The exact Content-Type to send with the reply. */
  contentType: string;
}

/**
 * Picks the discovery format for `GET /api` and `/apis`. kubectl 1.32 asks for v2, then v2beta1,
 * then plain JSON; 1.27–1.31 ask only for v2beta1 and break on a v2 reply (§1), so v2 is sent
 * only to a client that lists it. The first range we can serve, in the client's order, wins.
 */
export function negotiateDiscovery(acceptHeader: string): NegotiatedDiscovery {
  const format = pickDiscoveryFormat(acceptHeader);
  return { format, contentType: DISCOVERY_CONTENT_TYPES[format] };
}

function pickDiscoveryFormat(acceptHeader: string): DiscoveryFormat {
  for (const r of parseAcceptHeader(acceptHeader)) {
    if (r.mediaType !== 'application/json' && r.mediaType !== 'application/*' && r.mediaType !== '*/*')
      continue;
    const as = r.params['as'];
    if (as === undefined) return 'legacy';
    if (as !== 'APIGroupDiscoveryList' || r.params['g'] !== 'apidiscovery.k8s.io') continue;
    if (r.params['v'] === 'v2') return 'v2';
    if (r.params['v'] === 'v2beta1') return 'v2beta1';
  }
  return 'legacy';
}

// ---------------------------------------------------------------------------------------------
// Ordering.

const KUBE_VERSION = /^v(\d+)(?:(alpha|beta)(\d+))?$/;

/**
 * apimachinery `version.CompareKubeAwareVersionStrings` as a sort comparator (preferred first):
 * GA > beta > alpha, then higher major, then higher minor; non-kube versions last, lexically.
 * E.g. v10, v2, v1, v11beta2, v10beta3, v3beta1, v12alpha1, v11alpha2, foo1, foo10.
 */
export function compareKubeVersions(a: string, b: string): number {
  const ma = KUBE_VERSION.exec(a);
  const mb = KUBE_VERSION.exec(b);
  if (!ma || !mb) {
    if (ma) return -1;
    if (mb) return 1;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  const stability = (m: RegExpExecArray): number => (m[2] === undefined ? 2 : m[2] === 'beta' ? 1 : 0);
  const d = stability(mb) - stability(ma);
  if (d !== 0) return d;
  const major = Number(mb[1]) - Number(ma[1]);
  if (major !== 0) return major;
  return Number(mb[3] ?? 0) - Number(ma[3] ?? 0);
}

/**
 * kube-apiserver's group priorities (cmd/kube-apiserver/app/aggregator.go apiVersionPriorities);
 * CRD groups get 1000. Higher first, equal priorities by name.
 */
const GROUP_PRIORITY: Record<string, number> = {
  apps: 17800,
  'events.k8s.io': 17750,
  'authentication.k8s.io': 17700,
  'authorization.k8s.io': 17600,
  autoscaling: 17500,
  batch: 17400,
  'certificates.k8s.io': 17300,
  'networking.k8s.io': 17200,
  policy: 17100,
  'rbac.authorization.k8s.io': 17000,
  'storage.k8s.io': 16800,
  'apiextensions.k8s.io': 16700,
  'admissionregistration.k8s.io': 16700,
  'scheduling.k8s.io': 16600,
  'coordination.k8s.io': 16500,
  'node.k8s.io': 16300,
  'discovery.k8s.io': 16200,
  'flowcontrol.apiserver.k8s.io': 16100,
};

function compareGroups(a: string, b: string): number {
  const d = (GROUP_PRIORITY[b] ?? 1000) - (GROUP_PRIORITY[a] ?? 1000);
  return d !== 0 ? d : a < b ? -1 : a > b ? 1 : 0;
}

const byPlural = (a: ResourceType, b: ResourceType): number =>
  a.plural < b.plural ? -1 : a.plural > b.plural ? 1 : 0;

/** Group → version → types, groups and versions in kube's order (core group included as ''). */
function index(types: ResourceType[]): Map<string, Map<string, ResourceType[]>> {
  const groups = new Map<string, Map<string, ResourceType[]>>();
  for (const t of types) {
    const versions = groups.get(t.group) ?? new Map<string, ResourceType[]>();
    versions.set(t.version, [...(versions.get(t.version) ?? []), t]);
    groups.set(t.group, versions);
  }
  const sorted = new Map<string, Map<string, ResourceType[]>>();
  for (const g of [...groups.keys()].sort(compareGroups)) {
    const versions = groups.get(g) ?? new Map<string, ResourceType[]>();
    const vs = new Map<string, ResourceType[]>();
    for (const v of [...versions.keys()].sort(compareKubeVersions))
      vs.set(v, [...(versions.get(v) ?? [])].sort(byPlural));
    sorted.set(g, vs);
  }
  return sorted;
}

// ---------------------------------------------------------------------------------------------
// Legacy discovery.

/** `GET /api`: APIVersions with the address clients should use. */
export function apiVersions(serverAddress: string): Record<string, unknown> {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

interface GroupVersionForDiscovery {
  groupVersion: string;
  version: string;
}

function apiGroupEntry(group: string, versions: Iterable<string>): Record<string, unknown> {
  const list: GroupVersionForDiscovery[] = [...versions].map((v) => ({
    groupVersion: `${group}/${v}`,
    version: v,
  }));
  return { name: group, versions: list, preferredVersion: list[0] };
}

/** `GET /apis`: every named group (the core group lives at /api), preferred version first. */
export function apiGroupList(types: ResourceType[]): Record<string, unknown> {
  const groups = [...index(types)].filter(([g]) => g !== '').map(([g, vs]) => apiGroupEntry(g, vs.keys()));
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}

/** `GET /apis/<group>`: APIGroup, or undefined when no type is served in that group (→ 404). */
export function apiGroup(group: string, types: ResourceType[]): Record<string, unknown> | undefined {
  const vs = index(types).get(group);
  if (group === '' || vs === undefined) return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...apiGroupEntry(group, vs.keys()) };
}

const STATUS_VERBS = ['get', 'patch', 'update'];
/** A scale subresource answers with autoscaling/v1 Scale, whatever the kind. */
const SCALE_KIND = { group: 'autoscaling', version: 'v1', kind: 'Scale' } as const;

/**
 * `GET /api/v1` and `/apis/<g>/<v>`: APIResourceList with one entry per resource and one per
 * subresource (`pods/status`), or undefined when the group-version is not served (→ 404).
 */
export function apiResourceList(
  groupVersion: string,
  types: ResourceType[],
): Record<string, unknown> | undefined {
  const slash = groupVersion.indexOf('/');
  const group = slash < 0 ? '' : groupVersion.slice(0, slash);
  const version = slash < 0 ? groupVersion : groupVersion.slice(slash + 1);
  const served = index(types).get(group)?.get(version);
  if (served === undefined) return undefined;
  const resources: Record<string, unknown>[] = [];
  for (const t of served) {
    resources.push({
      name: t.plural,
      singularName: t.singular,
      namespaced: t.namespaced,
      kind: t.kind,
      verbs: t.verbs,
      ...(t.shortNames.length > 0 ? { shortNames: t.shortNames } : {}),
      ...(t.categories.length > 0 ? { categories: t.categories } : {}),
    });
    if (t.statusSubresource) {
      resources.push({
        name: `${t.plural}/status`,
        singularName: '',
        namespaced: t.namespaced,
        kind: t.kind,
        verbs: STATUS_VERBS,
      });
    }
    if (t.scale) {
      resources.push({
        name: `${t.plural}/scale`,
        singularName: '',
        namespaced: t.namespaced,
        group: SCALE_KIND.group,
        version: SCALE_KIND.version,
        kind: SCALE_KIND.kind,
        verbs: STATUS_VERBS,
      });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources };
}

// ---------------------------------------------------------------------------------------------
// Aggregated discovery.

function resourceDiscovery(t: ResourceType): Record<string, unknown> {
  const responseKind = { group: t.group, version: t.version, kind: t.kind };
  return {
    resource: t.plural,
    // Without responseKind kubectl silently drops the resource; without scope it assumes Cluster (§1).
    responseKind,
    scope: t.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: t.singular,
    verbs: t.verbs,
    ...(t.shortNames.length > 0 ? { shortNames: t.shortNames } : {}),
    ...(t.categories.length > 0 ? { categories: t.categories } : {}),
    ...(t.statusSubresource || t.scale
      ? {
          subresources: [
            ...(t.statusSubresource ? [{ subresource: 'status', responseKind, verbs: STATUS_VERBS }] : []),
            ...(t.scale ? [{ subresource: 'scale', responseKind: SCALE_KIND, verbs: STATUS_VERBS }] : []),
          ],
        }
      : {}),
  };
}

/**
 * `GET /api` (which='api': the core group only, named "") or `GET /apis` (which='apis': every
 * other group) as an APIGroupDiscoveryList of the negotiated apidiscovery version.
 */
export function aggregatedDiscovery(
  types: ResourceType[],
  which: 'api' | 'apis',
  version: 'v2' | 'v2beta1',
): Record<string, unknown> {
  const items = [...index(types)]
    .filter(([g]) => (which === 'api' ? g === '' : g !== ''))
    .map(([g, vs]) => ({
      metadata: { name: g },
      versions: [...vs].map(([v, ts]) => ({
        version: v,
        resources: ts.map(resourceDiscovery),
        freshness: 'Current',
      })),
    }));
  return { kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${version}`, metadata: {}, items };
}
