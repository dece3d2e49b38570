/**
 * Legacy (non-aggregated) discovery: `/api` (APIVersions), `/apis` (APIGroupList), `/apis/<g>`
 * (APIGroup) and `/api/v1`, `/apis/<g>/<v>` (APIResourceList). kubectl accepts it and then fetches
 * every group-version in parallel (kubectl-contract.md §1); answering plain `application/json`
 * also suits kubectl 1.27–1.31, which break on a v2 aggregated reply (§1). A group-version that
 * fails prints an error on every kubectl command (§1), so each one listed here is served.
 *
 * Verbs are get, list and watch: this copy is read-only (see metaserver.ts).
 */
import { SERVED_RESOURCES, groupVersionOf } from './resources.ts';

const VERBS = ['get', 'list', 'watch'];

/** The group names served, core (`''`) excluded, in a stable order. */
function groups(): string[] {
  return [...new Set(SERVED_RESOURCES.map((r) => r.group).filter((g) => g !== ''))];
}

/** Versions of `group` (one each today), as APIGroup lists them. */
function versionsOf(group: string): { groupVersion: string; version: string }[] {
  const versions = [...new Set(SERVED_RESOURCES.filter((r) => r.group === group).map((r) => r.version))];
  return versions.map((version) => ({ groupVersion: groupVersionOf({ group, version }), version }));
}

/** `GET /api`. `serverAddress` is what clients were told to use (`host:port`). */
export function apiVersions(serverAddress: string): Record<string, unknown> {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

/** `GET /apis/<group>`, or undefined for a group not served. */
export function apiGroup(group: string): Record<string, unknown> | undefined {
  const versions = versionsOf(group);
  if (group === '' || versions.length === 0) return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', name: group, versions, preferredVersion: versions[0] };
}

/** `GET /apis`. */
export function apiGroupList(): Record<string, unknown> {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups().map((g) => apiGroup(g)) };
}

/** `GET /api/v1` (group `''`) or `/apis/<group>/<version>`, or undefined when not served. */
export function apiResourceList(group: string, version: string): Record<string, unknown> | undefined {
  const resources = SERVED_RESOURCES.filter((r) => r.group === group && r.version === version);
  if (resources.length === 0) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: groupVersionOf({ group, version }),
    resources: resources.map((r) => ({
      name: r.plural,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: VERBS,
      ...(r.shortNames.length > 0 ? { shortNames: r.shortNames } : {}),
      ...(r.categories.length > 0 ? { categories: r.categories } : {}),
    })),
  };
}
