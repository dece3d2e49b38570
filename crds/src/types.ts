// TypeScript shapes of KubeEdge's custom resources, with the JSON field names of the Go types
// (KubeEdge v1.23 line) so an object read from the API server or a user's YAML fits unchanged.
// Types only. Sources, in kubeedge/kubeedge:
//   devices:       staging/src/github.com/kubeedge/api/apis/devices/v1beta1/{device_instance_types,
//                  device_model_types,device_status_types}.go and build/crds/devices/devices_v1beta1_device.yaml
//                  @ 186d56c4 (stateReport, anomalyDetection, Kwdb, DeviceStatusOld are only in the CRD there)
//   reliablesyncs: build/crds/reliablesyncs/*.yaml (Go types not in the indexed copies)
//   apps:          staging/src/github.com/kubeedge/api/apis/apps/v1alpha1/{nodegroup,edgeapplication}_types.go
// Go `int`/`int32`/`int64` are `number`; `omitempty` or `+optional` fields are optional here.
import type { ObjectMeta as CoreObjectMeta } from '@edgeproof/core';
import type {
  APPS_API_VERSION,
  COMMAND_ARGS_OPERATORS,
  DEVICES_API_VERSION,
  IMAGE_COMPONENTS,
  MANIFEST_CONDITIONS,
  NODE_READY_STATUSES,
  NODE_SELECTION_STATUSES,
  OVERRIDER_OPERATORS,
  PROPERTY_ACCESS_MODES,
  PROPERTY_TYPES,
  RELIABLESYNCS_API_VERSION,
} from './constants.ts';

// ---------------------------------------------------------------------------------------------
// Kubernetes object shapes (the shared ones come from core)
// ---------------------------------------------------------------------------------------------

export type { OwnerReference } from '@edgeproof/core';

/** ObjectMeta as a manifest holds it: the shared core shape, with the name required. */
export type ObjectMeta = CoreObjectMeta & { name: string };

/** Any Kubernetes object with a spec: what a manifest or an API response holds. */
export type KubeObject<Spec = unknown> = {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec: Spec;
};

/** A reference to an object in the same namespace (core/v1 LocalObjectReference). */
export type LocalObjectReference = { name?: string };

/** One requirement of a label selector (meta/v1 LabelSelectorRequirement). */
export type LabelSelectorRequirement = {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
};

/** A label query; requirements are ANDed (meta/v1 LabelSelector). */
export type LabelSelector = {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
};

/** Where an environment variable takes its value from (core/v1 EnvVarSource). */
export type EnvVarSource = {
  configMapKeyRef?: { key: string; name?: string; optional?: boolean };
  fieldRef?: { fieldPath: string; apiVersion?: string };
  resourceFieldRef?: { resource: string; containerName?: string; divisor?: number | string };
  secretKeyRef?: { key: string; name?: string; optional?: boolean };
};

/** An environment variable of a container (core/v1 EnvVar). */
export type EnvVar = { name: string; value?: string; valueFrom?: EnvVarSource };

/** A quantity such as `200m` or `128Mi`, or a plain number (resource.Quantity). */
export type Quantity = number | string;

/** Compute resources of a container (core/v1 ResourceRequirements). */
export type ResourceRequirements = {
  limits?: Record<string, Quantity>;
  requests?: Record<string, Quantity>;
  claims?: { name: string }[];
};

// ---------------------------------------------------------------------------------------------
// devices.kubeedge.io/v1beta1 (kubeedge-protocol.md §8.1)
// ---------------------------------------------------------------------------------------------

/** Value type of a device property. */
export type PropertyType = (typeof PROPERTY_TYPES)[number];

/** Whether a device property can be written. */
export type PropertyAccessMode = (typeof PROPERTY_ACCESS_MODES)[number];

/** Free-form, protocol-specific configuration (Go `CustomizedValue`, a JSON object). */
export type CustomizedValue = Record<string, unknown>;

/** A property value with its metadata (Go `TwinProperty`); values always travel as strings. */
export type TwinProperty = {
  value: string;
  metadata?: Record<string, string>;
};

/** How to connect to a device (Go `ProtocolConfig`). */
export type ProtocolConfig = {
  protocolName?: string;
  configData?: CustomizedValue;
};

/** How to read or write one property over the device's protocol (Go `VisitorConfig`). */
export type VisitorConfig = {
  protocolName?: string;
  configData?: CustomizedValue;
};

/** Push collected data over HTTP (Go `PushMethodHTTP`). */
export type PushMethodHTTP = {
  hostName?: string;
  port?: number;
  requestPath?: string;
  timeout?: number;
};

/** Publish collected data to an MQTT broker (Go `PushMethodMQTT`). */
export type PushMethodMQTT = {
  /** Broker address, like `tcp://127.0.0.1:1883`. */
  address?: string;
  topic?: string;
  qos?: number;
  retained?: boolean;
};

/** Export collected data over OpenTelemetry (Go `PushMethodOTEL`). */
export type PushMethodOTEL = { endpointURL?: string };

/** InfluxDB 2 target (Go `DBMethodInfluxdb2`). */
export type DBMethodInfluxdb2 = {
  influxdb2ClientConfig?: { url?: string; org?: string; bucket?: string };
  influxdb2DataConfig?: { measurement?: string; tag?: Record<string, string>; fieldKey?: string };
};

/** Redis target (Go `DBMethodRedis`). */
export type DBMethodRedis = {
  redisClientConfig?: { addr?: string; db?: number; poolsize?: number; minIdleConns?: number };
};

/** TDengine target (Go `DBMethodTDEngine`); note the capitalised JSON keys. */
export type DBMethodTDEngine = { TDEngineClientConfig?: { addr?: string; dbName?: string } };

/** MySQL target (Go `DBMethodMySQL`). */
export type DBMethodMySQL = { mysqlClientConfig?: { addr?: string; database?: string; userName?: string } };

/** KaiwuDB target (v1.23 CRD `Kwdb`); note the capitalised JSON keys. */
export type DBMethodKwdb = { KWDBClientConfig?: { addr?: string; dbName?: string } };

/** Databases the mapper can push to (Go `DBMethodConfig`). */
export type DBMethodConfig = {
  influxdb2?: DBMethodInfluxdb2;
  redis?: DBMethodRedis;
  TDEngine?: DBMethodTDEngine;
  mysql?: DBMethodMySQL;
  Kwdb?: DBMethodKwdb;
};

/** Where the mapper pushes collected data, besides the cloud (Go `PushMethod`). */
export type PushMethod = {
  http?: PushMethodHTTP;
  mqtt?: PushMethodMQTT;
  otel?: PushMethodOTEL;
  dbMethod?: DBMethodConfig;
  /** Free-form anomaly detection target (v1.23). */
  anomalyDetection?: CustomizedValue;
};

/** One property of a device instance and how to access it (Go `DeviceProperty`). */
export type DeviceProperty = {
  /** Must be unique in the device and defined by the DeviceModel. */
  name?: string;
  desired?: TwinProperty;
  visitors?: VisitorConfig;
  /** How often the mapper reports the value (ms per kubeedge-protocol.md §8.1). */
  reportCycle?: number;
  /** How often the mapper reads the value from the device (ms per kubeedge-protocol.md §8.1). */
  collectCycle?: number;
  reportToCloud?: boolean;
  pushMethod?: PushMethod;
};

/** A named group of properties one device method controls (Go `DeviceMethod`). */
export type DeviceMethod = {
  name?: string;
  description?: string;
  propertyNames?: string[];
};

/** How the device state is reported (v1.23 `Device.spec.stateReport`). */
export type StateReport = {
  reportToCloud?: boolean;
  reportCycle?: number;
};

/** The desired state of a Device (Go `DeviceSpec`). */
export type DeviceSpec = {
  deviceModelRef?: LocalObjectReference;
  nodeName?: string;
  properties?: DeviceProperty[];
  protocol?: ProtocolConfig;
  methods?: DeviceMethod[];
  stateReport?: StateReport;
};

/**
 * `Device.status` in v1.23 (Go `DeviceStatusOld`): kept for the transition to the DeviceStatus
 * resource; the CRD preserves unknown fields, so older `twins`/`state` values survive here.
 */
export type DeviceStatusOld = {
  reportToCloud?: boolean;
  reportCycle?: number;
  [legacyField: string]: unknown;
};

/** A physical device instance made from a DeviceModel. */
export type Device = {
  apiVersion: typeof DEVICES_API_VERSION;
  kind: 'Device';
  metadata: ObjectMeta;
  spec: DeviceSpec;
  status?: DeviceStatusOld;
};

/** One property a kind of device exposes (Go `ModelProperty`). */
export type ModelProperty = {
  name?: string;
  description?: string;
  type?: PropertyType;
  accessMode?: PropertyAccessMode;
  /** Smallest allowed value, as a string. */
  minimum?: string;
  /** Largest allowed value, as a string. */
  maximum?: string;
  unit?: string;
};

/** The blueprint of a kind of device (Go `DeviceModelSpec`). */
export type DeviceModelSpec = {
  properties?: ModelProperty[];
  /** Protocol name, used to pick the mapper. */
  protocol?: string;
};

/** The template for a kind of device. */
export type DeviceModel = {
  apiVersion: typeof DEVICES_API_VERSION;
  kind: 'DeviceModel';
  metadata: ObjectMeta;
  spec: DeviceModelSpec;
};

/** Reported and observed-desired values of one device property (Go `Twin`). */
export type Twin = {
  propertyName?: string;
  reported?: TwinProperty;
  /** The desired value the mapper saw in its last cycle; written by the devicecontroller only. */
  observedDesired?: TwinProperty;
};

/** Empty: the owning Device is found through the OwnerReference (Go `DeviceStatusSpec`). */
export type DeviceStatusSpec = Record<string, never>;

/** The observed state of a device (Go `DeviceStatusStatus`). */
export type DeviceStatusStatus = {
  twins?: Twin[];
  state?: string;
  lastOnlineTime?: string;
  extensions?: CustomizedValue;
};

/** The reported state of one Device (v1.23), named like it and owned by it. */
export type DeviceStatus = {
  apiVersion: typeof DEVICES_API_VERSION;
  kind: 'DeviceStatus';
  metadata: ObjectMeta;
  spec: DeviceStatusSpec;
  status?: DeviceStatusStatus;
};

// ---------------------------------------------------------------------------------------------
// reliablesyncs.kubeedge.io/v1alpha1 (kubeedge-protocol.md §3.2, §3.3)
// ---------------------------------------------------------------------------------------------

/** Which object was persisted to the edge, from the content's TypeMeta (Go `ObjectSyncSpec`). */
export type ObjectSyncSpec = {
  objectAPIVersion?: string;
  objectKind?: string;
  objectName?: string;
};

/** Which version the edge acknowledged (Go `ObjectSyncStatus`). */
export type ObjectSyncStatus = { objectResourceVersion?: string };

/** Last acknowledged version of a namespaced object on one node; named `<nodeName>.<objectUID>`. */
export type ObjectSync = {
  apiVersion: typeof RELIABLESYNCS_API_VERSION;
  kind: 'ObjectSync';
  metadata: ObjectMeta;
  spec: ObjectSyncSpec;
  status?: ObjectSyncStatus;
};

/** Last acknowledged version of a cluster-scoped object on one node; named `<nodeName>.<objectUID>`. */
export type ClusterObjectSync = {
  apiVersion: typeof RELIABLESYNCS_API_VERSION;
  kind: 'ClusterObjectSync';
  metadata: ObjectMeta;
  spec: ObjectSyncSpec;
  status?: ObjectSyncStatus;
};

// ---------------------------------------------------------------------------------------------
// apps.kubeedge.io/v1alpha1 (kubeedge-protocol.md §9)
// ---------------------------------------------------------------------------------------------

/** Readiness of a NodeGroup member. */
export type ReadyStatus = (typeof NODE_READY_STATUSES)[number];

/** Whether a node was selected into a NodeGroup. */
export type SelectionStatus = (typeof NODE_SELECTION_STATUSES)[number];

/** Which nodes belong to a NodeGroup (Go `NodeGroupSpec`). */
export type NodeGroupSpec = {
  nodes?: string[];
  matchLabels?: Record<string, string>;
  /** Whether members also get `topology.kubernetes.io/zone=<group>`. */
  topologyEnabled?: boolean;
};

/** The state of one selected node (Go `NodeStatus`). */
export type NodeGroupNodeStatus = {
  nodeName: string;
  readyStatus: ReadyStatus;
  selectionStatus: SelectionStatus;
  selectionStatusReason?: string;
};

/** The selection result for every selected node (Go `NodeGroupStatus`). */
export type NodeGroupStatus = { nodeStatuses?: NodeGroupNodeStatus[] };

/** A cluster-scoped set of edge nodes (short name `ng`). */
export type NodeGroup = {
  apiVersion: typeof APPS_API_VERSION;
  kind: 'NodeGroup';
  metadata: ObjectMeta;
  spec: NodeGroupSpec;
  status?: NodeGroupStatus;
};

/** Operator of an image or env overrider. */
export type OverriderOperator = (typeof OVERRIDER_OPERATORS)[number];

/** Operator of a command or args overrider. */
export type CommandArgsOperator = (typeof COMMAND_ARGS_OPERATORS)[number];

/** Part of an image reference `[registry/]repository[:tag]`. */
export type ImageComponent = (typeof IMAGE_COMPONENTS)[number];

/** Condition of a generated workload. */
export type ManifestCondition = (typeof MANIFEST_CONDITIONS)[number];

/** Adds or removes items of a container's command or args (Go `CommandArgsOverrider`). */
export type CommandArgsOverrider = {
  containerName: string;
  operator: CommandArgsOperator;
  value?: string[];
};

/** Adds, removes (by name) or replaces a container's environment variables (Go `EnvOverrider`). */
export type EnvOverrider = {
  containerName: string;
  operator: OverriderOperator;
  value?: EnvVar[];
};

/** Replaces a container's resources (Go `ResourcesOverrider`). */
export type ResourcesOverrider = {
  containerName: string;
  value?: ResourceRequirements;
};

/** Selects which image fields an image overrider changes (Go `ImagePredicate`). */
export type ImagePredicate = { path: string };

/** Changes one component of images (Go `ImageOverrider`). */
export type ImageOverrider = {
  /** Unset: the image fields of a Pod, ReplicaSet, Deployment or StatefulSet, all containers. */
  predicate?: ImagePredicate;
  component: ImageComponent;
  operator: OverriderOperator;
  value?: string;
};

/** Override rules applied to the workload for one target (Go `Overriders`). */
export type Overriders = {
  replicas?: number;
  imageOverriders?: ImageOverrider[];
  envOverriders?: EnvOverrider[];
  commandOverriders?: CommandArgsOverrider[];
  argsOverriders?: CommandArgsOverrider[];
  resourcesOverriders?: ResourcesOverrider[];
};

/** A target NodeGroup and its overrides (Go `TargetNodeGroup`). */
export type TargetNodeGroup = {
  name: string;
  overriders?: Overriders;
};

/** Target nodes chosen by labels and their overrides (Go `TargetNodeLabel`). */
export type TargetNodeLabel = {
  labelSelector?: LabelSelector;
  overriders?: Overriders;
};

/** Where the workload is deployed (Go `WorkloadScope`). */
export type WorkloadScope = {
  targetNodeGroups?: TargetNodeGroup[];
  targetNodeLabels?: TargetNodeLabel[];
};

/** One raw Kubernetes object to deploy (Go `Manifest`, a RawExtension kept verbatim). */
export type Manifest = Record<string, unknown>;

/** The resources to deploy (Go `ResourceTemplate`). */
export type ResourceTemplate = { manifests?: Manifest[] };

/** What to deploy and where (Go `EdgeApplicationSpec`). */
export type EdgeApplicationSpec = {
  workloadTemplate?: ResourceTemplate;
  workloadScope: WorkloadScope;
};

/** Identifies the resource made from one manifest (Go `ResourceIdentifier`). */
export type ResourceIdentifier = {
  /** Index in `spec.workloadTemplate.manifests`, so a manifest that fails to parse is still linked. */
  ordinal: number;
  group?: string;
  version?: string;
  kind?: string;
  resource?: string;
  namespace?: string;
  name?: string;
};

/** The state of one generated resource (Go `ManifestStatus`); the JSON key is `conditions`, a single value. */
export type ManifestStatus = {
  identifier: ResourceIdentifier;
  conditions?: ManifestCondition;
};

/** The state of every generated resource (Go `EdgeApplicationStatus`). */
export type EdgeApplicationStatus = { workloadStatus?: ManifestStatus[] };

/** Manifests deployed to node groups with per-group overrides (short name `eapp`). */
export type EdgeApplication = {
  apiVersion: typeof APPS_API_VERSION;
  kind: 'EdgeApplication';
  metadata: ObjectMeta;
  spec: EdgeApplicationSpec;
  status?: EdgeApplicationStatus;
};

/** Every KubeEdge custom resource kind edgeproof serves. */
export type KubeEdgeResource =
  Device | DeviceModel | DeviceStatus | ObjectSync | ClusterObjectSync | NodeGroup | EdgeApplication;
