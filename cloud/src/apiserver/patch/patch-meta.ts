/**
 * Strategic merge patch metadata for the built-in kinds we serve: which lists merge, by which key.
 * kube-apiserver reads the same facts from the `patchStrategy` / `patchMergeKey` struct tags of the
 * Go types (k8s.io/apimachinery `pkg/util/strategicpatch`, `PatchMetaFromStruct`); every entry below
 * cites the tag it copies. A field that is not listed is treated as kube treats an untagged field:
 * objects merge key by key, lists are replaced whole.
 */

/**
 * A field's `patchStrategy` tag. `merge` on a list merges its items (by `mergeKey` for objects, as
 * a set for primitives); `replace` on an object replaces it whole; `retainKeys` tells clients to
 * send a `$retainKeys` directive (the server honours that directive wherever it appears).
 */
export type PatchStrategy = 'merge' | 'replace' | 'retainKeys' | 'merge,retainKeys';

/** How strategic merge patch treats one field, and what is inside it. */
export interface PatchMeta {
  /** The field's `patchStrategy` tag; absent = objects merge, lists replace. */
  readonly strategy?: PatchStrategy;
  /** For a list of objects with a merge strategy: the `patchMergeKey` naming each item. */
  readonly mergeKey?: string;
  /** For an object: the fields that have patch metadata of their own. */
  readonly fields?: Readonly<Record<string, PatchMeta>>;
  /** For a list: the metadata of each item. */
  readonly items?: PatchMeta;
}

/** Whether a field's strategy merges list items (`merge` or `merge,retainKeys`). */
export function mergesItems(meta: PatchMeta | undefined): boolean {
  return meta?.strategy === 'merge' || meta?.strategy === 'merge,retainKeys';
}

/** A list merged by `mergeKey` (`patchStrategy:"merge" patchMergeKey:"<key>"`). */
function mergeByKey(mergeKey: string, items?: PatchMeta): PatchMeta {
  return items ? { strategy: 'merge', mergeKey, items } : { strategy: 'merge', mergeKey };
}

function object(fields: Record<string, PatchMeta>): PatchMeta {
  return { fields };
}

/** Conditions of every kind that has them: `patchStrategy:"merge" patchMergeKey:"type"`. */
const conditions = mergeByKey('type');

// k8s.io/apimachinery pkg/apis/meta/v1/types.go, ObjectMeta:
//   Finalizers      `patchStrategy:"merge"` (a set of strings)
//   OwnerReferences `patchStrategy:"merge" patchMergeKey:"uid"`
const objectMeta = object({
  finalizers: { strategy: 'merge' },
  ownerReferences: mergeByKey('uid'),
});

// k8s.io/api core/v1/types.go, Container (and EphemeralContainerCommon, which repeats its tags):
//   Ports         `patchStrategy:"merge" patchMergeKey:"containerPort"`
//   Env           `patchStrategy:"merge" patchMergeKey:"name"`
//   VolumeMounts  `patchStrategy:"merge" patchMergeKey:"mountPath"`
//   VolumeDevices `patchStrategy:"merge" patchMergeKey:"devicePath"`
// EnvFrom, ResizePolicy and Resources.Claims carry no patch tags: they are replaced.
const container = object({
  ports: mergeByKey('containerPort'),
  env: mergeByKey('name'),
  volumeMounts: mergeByKey('mountPath'),
  volumeDevices: mergeByKey('devicePath'),
});

// core/v1/types.go, PodSpec:
//   Volumes                   `patchStrategy:"merge,retainKeys" patchMergeKey:"name"`
//   InitContainers            `patchStrategy:"merge" patchMergeKey:"name"`
//   Containers                `patchStrategy:"merge" patchMergeKey:"name"`
//   EphemeralContainers       `patchStrategy:"merge" patchMergeKey:"name"`
//   ImagePullSecrets          `patchStrategy:"merge" patchMergeKey:"name"`
//   HostAliases               `patchStrategy:"merge" patchMergeKey:"ip"`
//   TopologySpreadConstraints `patchStrategy:"merge" patchMergeKey:"topologyKey"`
//   SchedulingGates           `patchStrategy:"merge" patchMergeKey:"name"`
//   ResourceClaims            `patchStrategy:"merge,retainKeys" patchMergeKey:"name"`
// Tolerations, ReadinessGates and Affinity's lists have no patch tags: they are replaced.
const podSpec = object({
  volumes: { strategy: 'merge,retainKeys', mergeKey: 'name' },
  initContainers: mergeByKey('name', container),
  containers: mergeByKey('name', container),
  ephemeralContainers: mergeByKey('name', container),
  imagePullSecrets: mergeByKey('name'),
  hostAliases: mergeByKey('ip'),
  topologySpreadConstraints: mergeByKey('topologyKey'),
  schedulingGates: mergeByKey('name'),
  resourceClaims: { strategy: 'merge,retainKeys', mergeKey: 'name' },
});

// core/v1/types.go, PodStatus:
//   Conditions            `patchStrategy:"merge" patchMergeKey:"type"`
//   PodIPs                `patchStrategy:"merge" patchMergeKey:"ip"`
//   HostIPs               `patchStrategy:"merge" patchMergeKey:"ip"`
//   ResourceClaimStatuses `patchStrategy:"merge,retainKeys" patchMergeKey:"name"`
// ContainerStatuses, InitContainerStatuses and EphemeralContainerStatuses have no patch tags
// (+listType=atomic): a patch replaces the whole list, as the kubelet's status patches rely on.
const podStatus = object({
  conditions,
  podIPs: mergeByKey('ip'),
  hostIPs: mergeByKey('ip'),
  resourceClaimStatuses: { strategy: 'merge,retainKeys', mergeKey: 'name' },
});

// core/v1/types.go, PodTemplateSpec: ObjectMeta + PodSpec.
const podTemplateSpec = object({ metadata: objectMeta, spec: podSpec });

const pod = object({ metadata: objectMeta, spec: podSpec, status: podStatus });

// core/v1/types.go:
//   NodeSpec.PodCIDRs     `patchStrategy:"merge"` (a set of strings)
//   NodeStatus.Conditions `patchStrategy:"merge" patchMergeKey:"type"`
//   NodeStatus.Addresses  `patchStrategy:"merge" patchMergeKey:"type"`
// NodeSpec.Taints has no list-level patch tags (the tags sit on Taint.Key, where they have no
// effect), and NodeStatus.Images, VolumesInUse and VolumesAttached have none: they are replaced.
const node = object({
  metadata: objectMeta,
  spec: object({ podCIDRs: { strategy: 'merge' } }),
  status: object({ conditions, addresses: mergeByKey('type') }),
});

// core/v1/types.go:
//   ServiceSpec.Ports       `patchStrategy:"merge" patchMergeKey:"port"`
//   ServiceStatus.Conditions `patchStrategy:"merge" patchMergeKey:"type"`
const service = object({
  metadata: objectMeta,
  spec: object({ ports: mergeByKey('port') }),
  status: object({ conditions }),
});

// core/v1/types.go, NamespaceStatus.Conditions `patchStrategy:"merge" patchMergeKey:"type"`.
// NamespaceSpec.Finalizers has no patch tags.
const namespace = object({ metadata: objectMeta, status: object({ conditions }) });

// core/v1/types.go, ServiceAccount.Secrets `patchStrategy:"merge" patchMergeKey:"name"`.
// ServiceAccount.ImagePullSecrets has no patch tags.
const serviceAccount = object({ metadata: objectMeta, secrets: mergeByKey('name') });

// Kinds whose own fields carry no patch tags: core/v1 ConfigMap, Secret, Endpoints (Subsets is
// untagged), Event; events.k8s.io/v1 Event; coordination.k8s.io/v1 Lease; discovery.k8s.io/v1
// EndpointSlice (Endpoints and Ports are +listType=atomic). Only ObjectMeta has metadata.
const metadataOnly = object({ metadata: objectMeta });

// k8s.io/api apps/v1/types.go:
//   DeploymentSpec.Strategy      `patchStrategy:"retainKeys"`
//   DeploymentStatus.Conditions  `patchStrategy:"merge" patchMergeKey:"type"`
//   DaemonSetStatus.Conditions   `patchStrategy:"merge" patchMergeKey:"type"`
// DaemonSetSpec.UpdateStrategy has no patch tags.
const deployment = object({
  metadata: objectMeta,
  spec: object({ template: podTemplateSpec, strategy: { strategy: 'retainKeys' } }),
  status: object({ conditions }),
});

const daemonSet = object({
  metadata: objectMeta,
  spec: object({ template: podTemplateSpec }),
  status: object({ conditions }),
});

/** `<group>/<kind>` → metadata; the core group is ''. */
const BUILT_IN: ReadonlyMap<string, PatchMeta> = new Map([
  ['/Pod', pod],
  ['/Node', node],
  ['/Service', service],
  ['/Namespace', namespace],
  ['/ServiceAccount', serviceAccount],
  ['/ConfigMap', metadataOnly],
  ['/Secret', metadataOnly],
  ['/Endpoints', metadataOnly],
  ['/Event', metadataOnly],
  ['events.k8s.io/Event', metadataOnly],
  ['coordination.k8s.io/Lease', metadataOnly],
  ['discovery.k8s.io/EndpointSlice', metadataOnly],
  ['apps/Deployment', deployment],
  ['apps/DaemonSet', daemonSet],
]);

/**
 * The strategic merge patch metadata of a built-in kind (group '' for core), or undefined for a
 * kind we have none for (custom resources), for which strategic merge patch falls back to JSON
 * merge patch.
 */
export function patchMetaFor(group: string, kind: string): PatchMeta | undefined {
  return BUILT_IN.get(`${group}/${kind}`);
}
