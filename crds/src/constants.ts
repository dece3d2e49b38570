// Group names, versions and closed value sets of KubeEdge's CRDs, as `as const` tuples so a
// validator can iterate them and types.ts can derive unions from them. Each list mirrors an `enum`
// in crds/manifests/ (checked by index.test.ts) or a Go const block in
// staging/src/github.com/kubeedge/api/apis/... (cited per constant).

/** API group of Device, DeviceModel and DeviceStatus (`api/apis/devices/v1beta1/register.go`). */
export const DEVICES_GROUP = 'devices.kubeedge.io';
/** API group of ObjectSync and ClusterObjectSync (kubeedge-protocol.md §3.2). */
export const RELIABLESYNCS_GROUP = 'reliablesyncs.kubeedge.io';
/** API group of NodeGroup and EdgeApplication (kubeedge-protocol.md §9). */
export const APPS_GROUP = 'apps.kubeedge.io';

/** `apiVersion` of Device, DeviceModel and DeviceStatus. */
export const DEVICES_API_VERSION = 'devices.kubeedge.io/v1beta1';
/** `apiVersion` of ObjectSync and ClusterObjectSync. */
export const RELIABLESYNCS_API_VERSION = 'reliablesyncs.kubeedge.io/v1alpha1';
/** `apiVersion` of NodeGroup and EdgeApplication. */
export const APPS_API_VERSION = 'apps.kubeedge.io/v1alpha1';

/** Value types of a DeviceModel property (`device_model_types.go` PropertyType). */
export const PROPERTY_TYPES = ['INT', 'FLOAT', 'DOUBLE', 'STRING', 'BOOLEAN', 'BYTES', 'STREAM'] as const;

/** Access modes of a DeviceModel property (`device_model_types.go` PropertyAccessMode). */
export const PROPERTY_ACCESS_MODES = ['ReadWrite', 'ReadOnly'] as const;

/** Readiness of a NodeGroup member (`nodegroup_types.go` ReadyStatus; not an enum in the CRD). */
export const NODE_READY_STATUSES = ['Ready', 'NotReady', 'Unknown'] as const;

/** Result of selecting a node into a NodeGroup (`nodegroup_types.go` SelectionStatus; not an enum in the CRD). */
export const NODE_SELECTION_STATUSES = ['Succeeded', 'Failed'] as const;

/** Operators of image and env overriders (`edgeapplication_types.go` OverriderOperator). */
export const OVERRIDER_OPERATORS = ['add', 'remove', 'replace'] as const;

/** Operators of command and args overriders: `replace` is not allowed there (CRD enum). */
export const COMMAND_ARGS_OPERATORS = ['add', 'remove'] as const;

/** Parts of an image reference `[registry/]repository[:tag]` (`edgeapplication_types.go` ImageComponent). */
export const IMAGE_COMPONENTS = ['Registry', 'Repository', 'Tag'] as const;

/** Conditions of a generated workload (`edgeapplication_types.go` ManifestCondition). */
export const MANIFEST_CONDITIONS = ['Processing', 'Available'] as const;

/** Scopes a CustomResourceDefinition may declare (apiextensions.k8s.io/v1 ResourceScope). */
export const CRD_SCOPES = ['Namespaced', 'Cluster'] as const;
