/**
 * The resources MetaServer serves: the kinds an edge node can hold in `meta_v2`
 * (kubeedge-protocol.md §5.1). The cloud sends pods bound to the node, the configmaps, secrets and
 * service accounts they use, the node itself, services/endpoints/endpointslices (DynamicController,
 * §4.1), leases, and devices (§8). Workloads (apps/v1) reach the edge only through an approved
 * MetaServer watch in KubeEdge (§5.3), but the store can hold them, so they are listed too.
 *
 * Names, short names and categories are kube-apiserver's (or the CRD's, crds/manifests/), so that
 * `kubectl get po`, `kubectl get all` and `kubectl get devices` resolve as against a real server.
 * The resource names match what the store derives from a kind (`guessKindToResource`), which is how
 * KubeEdge's imitator names them.
 */

import { NULL_NAMESPACE } from '@edgeproof/core';

/** One resource, as discovery advertises it and the store keys it. */
export interface ServedResource {
  /** `''` for the core group. */
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly singular: string;
  readonly kind: string;
  readonly namespaced: boolean;
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
  /**
   * Field-selector fields beyond metadata.name and metadata.namespace, from kube's
   * `pkg/registry/<kind>/strategy.go` ToSelectableFields (or `GetAttrs`).
   */
  readonly fields: readonly string[];
}

/** Every resource can be selected by these fields (apimachinery `DefaultClusterScopedAttr` / `DefaultNamespaceScopedAttr`). */
export const OBJECT_META_FIELDS = ['metadata.name', 'metadata.namespace'] as const;

const core = (
  plural: string,
  kind: string,
  namespaced: boolean,
  extra: Partial<Pick<ServedResource, 'shortNames' | 'categories' | 'fields'>> = {},
): ServedResource => served('', 'v1', plural, kind, namespaced, extra);

function served(
  group: string,
  version: string,
  plural: string,
  kind: string,
  namespaced: boolean,
  extra: Partial<Pick<ServedResource, 'shortNames' | 'categories' | 'fields'>> = {},
): ServedResource {
  return {
    group,
    version,
    plural,
    singular: kind.toLowerCase(),
    kind,
    namespaced,
    shortNames: extra.shortNames ?? [],
    categories: extra.categories ?? [],
    fields: extra.fields ?? [],
  };
}

export const SERVED_RESOURCES: readonly ServedResource[] = [
  core('pods', 'Pod', true, {
    shortNames: ['po'],
    categories: ['all'],
    // `kubectl describe node N` selects spec.nodeName and status.phase (kubectl-contract.md §6).
    fields: [
      'spec.nodeName',
      'spec.restartPolicy',
      'spec.schedulerName',
      'spec.serviceAccountName',
      'spec.hostNetwork',
      'status.phase',
      'status.podIP',
      'status.nominatedNodeName',
    ],
  }),
  core('configmaps', 'ConfigMap', true, { shortNames: ['cm'] }),
  core('secrets', 'Secret', true, { fields: ['type'] }),
  core('services', 'Service', true, { shortNames: ['svc'], categories: ['all'] }),
  core('endpoints', 'Endpoints', true, { shortNames: ['ep'] }),
  core('nodes', 'Node', false, { shortNames: ['no'], fields: ['spec.unschedulable'] }),
  // `kubectl describe` lists events with involvedObject.* (kubectl-contract.md §6).
  core('events', 'Event', true, {
    shortNames: ['ev'],
    fields: [
      'involvedObject.kind',
      'involvedObject.namespace',
      'involvedObject.name',
      'involvedObject.uid',
      'involvedObject.apiVersion',
      'involvedObject.resourceVersion',
      'involvedObject.fieldPath',
      'reason',
      'reportingComponent',
      'source',
      'type',
    ],
  }),
  core('serviceaccounts', 'ServiceAccount', true, { shortNames: ['sa'] }),
  served('apps', 'v1', 'deployments', 'Deployment', true, { shortNames: ['deploy'], categories: ['all'] }),
  served('apps', 'v1', 'daemonsets', 'DaemonSet', true, { shortNames: ['ds'], categories: ['all'] }),
  served('apps', 'v1', 'replicasets', 'ReplicaSet', true, {
    shortNames: ['rs'],
    categories: ['all'],
    fields: ['status.replicas'],
  }),
  served('apps', 'v1', 'statefulsets', 'StatefulSet', true, { shortNames: ['sts'], categories: ['all'] }),
  served('discovery.k8s.io', 'v1', 'endpointslices', 'EndpointSlice', true),
  served('coordination.k8s.io', 'v1', 'leases', 'Lease', true),
  // crds/manifests/devices_v1beta1_*.yaml: namespaced, no short names.
  served('devices.kubeedge.io', 'v1beta1', 'devices', 'Device', true),
  served('devices.kubeedge.io', 'v1beta1', 'devicemodels', 'DeviceModel', true),
  served('devices.kubeedge.io', 'v1beta1', 'devicestatuses', 'DeviceStatus', true),
];

/** `v1` or `apps/v1`: the apiVersion of the resource's objects. */
export function groupVersionOf(r: Pick<ServedResource, 'group' | 'version'>): string {
  return r.group === '' ? r.version : `${r.group}/${r.version}`;
}

/** Go's `GroupVersionResource.String()`, the `meta_v2.group_version_resource` value (§5.1). */
export function gvrStringOf(r: ServedResource): string {
  return `${r.group}/${r.version}, Resource=${r.plural}`;
}

/** The `meta_v2` key of one object (`pkg/metaserver/key.go`, §5.1): cluster-scoped ones use `null`. */
export function metaV2KeyOf(r: ServedResource, namespace: string | undefined, name: string): string {
  const group = r.group === '' ? 'core' : r.group;
  return `/${group}/${r.version}/${r.plural}/${r.namespaced ? (namespace ?? '') : NULL_NAMESPACE}/${name}`;
}

/** The served resource at `group`/`version`/`plural`, or undefined. */
export function findResource(group: string, version: string, plural: string): ServedResource | undefined {
  return SERVED_RESOURCES.find((r) => r.group === group && r.version === version && r.plural === plural);
}
