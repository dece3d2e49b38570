/**
 * What one edge node should hold (kubeedge-protocol.md §4.1), and the messages that carry it.
 * Pure functions over informer objects: no I/O, no clock.
 *
 * Behaviour checked in kubeedge/kubeedge `cloud/pkg/edgecontroller/controller/downstream.go` and
 * `manager/location.go`:
 * - the pods whose `spec.nodeName` is the node;
 * - the ConfigMaps and Secrets those pods reference through volumes, projected volume sources,
 *   `envFrom` and `env[].valueFrom`, and Secrets through `imagePullSecrets`;
 * - the Node itself (resource `node/<n>/null/node/<n>`);
 * - Pods and ConfigMaps are `insert` the first time and `update` after, Secrets are always
 *   `update`, the Node is `update` (§4.1, §12 item 6). A pod being deleted (`deletionTimestamp`) is
 *   an `update`, so the edge stops it; once it is gone it is a `delete`.
 * - The content is the whole object with `apiVersion` and `kind` (controllers call `SetMetaType`),
 *   the header carries its resourceVersion.
 * - Devices whose `spec.nodeName` is the node, and the DeviceModels they reference (same
 *   namespace), as `<ns>/device/<n>` and `<ns>/devicemodel/<n>` in group `resource`, ACKed and
 *   ObjectSync'd like the rest (§7.4; devicecontroller `downstream.go` sendDeviceMsg /
 *   sendDeviceModelMsg, `insert` then `update`).
 *
 * Deliberate difference: init and ephemeral containers' references count too (KubeEdge looks at
 * `spec.containers` only, so a pod whose init container reads a ConfigMap cannot start at the edge).
 */
import type {
  KubernetesObject,
  V1ConfigMap,
  V1Container,
  V1EphemeralContainer,
  V1Node,
  V1Pod,
  V1Secret,
} from '@kubernetes/client-node';
import { NULL_NAMESPACE, buildCloudResource, type KubeObject } from '@edgeproof/core';
import { DEVICES_API_VERSION, type DeviceModelSpec, type DeviceSpec } from '@edgeproof/crds';
import type { ObjectSyncRecord, SyncTarget } from '../synccontroller/index.ts';

/** The kinds EdgeController (and, for devices, DeviceController) sends down. */
export type DownstreamKind = 'Pod' | 'ConfigMap' | 'Secret' | 'Node' | 'Device' | 'DeviceModel';

/** The resource type each kind has on the wire (§1.2, §7.4). */
export const DOWNSTREAM_RESOURCE_TYPES: Readonly<Record<DownstreamKind, string>> = {
  Pod: 'pod',
  ConfigMap: 'configmap',
  Secret: 'secret',
  Node: 'node',
  Device: 'device',
  DeviceModel: 'devicemodel',
};

/** A Device as client-node's informer holds it (crds' `Device` has string timestamps). */
export type DeviceObject = KubernetesObject & { spec?: DeviceSpec };
/** A DeviceModel as client-node's informer holds it. */
export type DeviceModelObject = KubernetesObject & { spec?: DeviceModelSpec };

/** The core group's version, which every kind but the devices is in. */
export const DOWNSTREAM_API_VERSION = 'v1';

/** The apiVersion `kind` is sent with. */
export function downstreamApiVersion(kind: DownstreamKind): string {
  return kind === 'Device' || kind === 'DeviceModel' ? DEVICES_API_VERSION : DOWNSTREAM_API_VERSION;
}

/** The ConfigMaps and Secrets (names, in the pod's namespace) a pod needs at the edge. */
export interface PodReferences {
  configMaps: string[];
  secrets: string[];
}

/** An object the node should hold. */
export interface DesiredObject extends SyncTarget {
  kind: DownstreamKind;
  /** A pod with `deletionTimestamp` set: sent as `update` (§4.1). */
  deleting: boolean;
  /** The object as the informer holds it (no TypeMeta, maybe `Date` fields): see `wireObject`. */
  object: KubernetesObject;
}

/** The node's state as the informer caches hold it. */
export interface NodeState {
  node: V1Node;
  /** Pods bound to the node (others are ignored). */
  pods: Iterable<V1Pod>;
  configMap: (namespace: string, name: string) => V1ConfigMap | undefined;
  secret: (namespace: string, name: string) => V1Secret | undefined;
  /** Devices bound to the node (others are ignored). */
  devices?: Iterable<DeviceObject>;
  deviceModel?: (namespace: string, name: string) => DeviceModelObject | undefined;
}

/** What `pod` references (see the module comment), each name once, sorted. */
export function podReferences(pod: V1Pod): PodReferences {
  const configMaps = new Set<string>();
  const secrets = new Set<string>();
  const add = (set: Set<string>, name: string | undefined): void => {
    if (name) set.add(name);
  };
  const spec = pod.spec;
  for (const volume of spec?.volumes ?? []) {
    add(configMaps, volume.configMap?.name);
    add(secrets, volume.secret?.secretName);
    for (const source of volume.projected?.sources ?? []) {
      add(configMaps, source.configMap?.name);
      add(secrets, source.secret?.name);
    }
  }
  const containers: Array<V1Container | V1EphemeralContainer> = [
    ...(spec?.initContainers ?? []),
    ...(spec?.containers ?? []),
    ...(spec?.ephemeralContainers ?? []),
  ];
  for (const container of containers) {
    for (const from of container.envFrom ?? []) {
      add(configMaps, from.configMapRef?.name);
      add(secrets, from.secretRef?.name);
    }
    for (const env of container.env ?? []) {
      add(configMaps, env.valueFrom?.configMapKeyRef?.name);
      add(secrets, env.valueFrom?.secretKeyRef?.name);
    }
  }
  for (const pullSecret of spec?.imagePullSecrets ?? []) add(secrets, pullSecret.name);
  return { configMaps: [...configMaps].sort(), secrets: [...secrets].sort() };
}

/**
 * The objects `state.node` should hold: referenced ConfigMaps, then Secrets, then the Node, then
 * the pods, so an edge that applies messages in order has what a pod needs before the pod.
 * References to objects that do not exist are left out (they are sent once they appear); objects
 * without uid, name or resourceVersion are left out (nothing the API server serves lacks them).
 */
export function desiredObjects(state: NodeState): DesiredObject[] {
  const nodeName = state.node.metadata?.name;
  if (!nodeName) return [];
  const pods: DesiredObject[] = [];
  const configMaps = new Map<string, DesiredObject>();
  const secrets = new Map<string, DesiredObject>();
  for (const pod of state.pods) {
    if (pod.spec?.nodeName !== nodeName) continue;
    const desired = describe('Pod', pod);
    if (desired === undefined) continue;
    pods.push(desired);
    const namespace = pod.metadata?.namespace ?? '';
    const refs = podReferences(pod);
    for (const name of refs.configMaps) {
      const key = `${namespace}/${name}`;
      const object = configMaps.has(key) ? undefined : state.configMap(namespace, name);
      const d = object && describe('ConfigMap', object);
      if (d) configMaps.set(key, d);
    }
    for (const name of refs.secrets) {
      const key = `${namespace}/${name}`;
      const object = secrets.has(key) ? undefined : state.secret(namespace, name);
      const d = object && describe('Secret', object);
      if (d) secrets.set(key, d);
    }
  }
  const node = describe('Node', state.node);
  const { models, devices } = desiredDevices(nodeName, state);
  return [
    ...configMaps.values(),
    ...secrets.values(),
    ...(node ? [node] : []),
    ...pods,
    ...models,
    ...devices,
  ];
}

/** The node's Devices and the DeviceModels they use, models first so the edge has one before its devices. */
function desiredDevices(
  nodeName: string,
  state: NodeState,
): { models: DesiredObject[]; devices: DesiredObject[] } {
  const models = new Map<string, DesiredObject>();
  const devices: DesiredObject[] = [];
  for (const device of state.devices ?? []) {
    if (device.spec?.nodeName !== nodeName) continue;
    const d = describe('Device', device);
    if (d === undefined) continue;
    devices.push(d);
    const namespace = device.metadata?.namespace ?? '';
    const modelName = device.spec?.deviceModelRef?.name;
    const key = `${namespace}/${modelName}`;
    if (!modelName || models.has(key)) continue;
    const model = state.deviceModel?.(namespace, modelName);
    const m = model && describe('DeviceModel', model);
    if (m) models.set(key, m);
  }
  return { models: [...models.values()], devices };
}

/** The operation that carries `kind` to the edge (§4.1): see the module comment. */
export function downstreamOperation(
  kind: DownstreamKind,
  firstTime: boolean,
  deleting: boolean,
): 'insert' | 'update' {
  switch (kind) {
    case 'Secret': // §12 item 6: secrets never use insert
    case 'Node':
      return 'update';
    case 'Pod':
      return firstTime && !deleting ? 'insert' : 'update';
    case 'ConfigMap':
    case 'Device':
    case 'DeviceModel':
      return firstTime ? 'insert' : 'update';
  }
}

/**
 * `node/<nodeId>/<namespace|null>/<type>/<name>` (§1.3; cloudhub trims the prefix). A kind not sent
 * here gets the lower-cased kind as its type, DynamicController's convention (§4.1).
 */
export function downstreamResource(
  nodeId: string,
  kind: string,
  namespace: string | undefined,
  name: string,
): string {
  return buildCloudResource({
    kind: 'object',
    nodeId,
    namespace: namespace ?? NULL_NAMESPACE,
    resourceType: isDownstreamKind(kind) ? DOWNSTREAM_RESOURCE_TYPES[kind] : kind.toLowerCase(),
    name,
  });
}

/** The message content for `desired`: the object as wire JSON with `apiVersion` and `kind`. */
export function wireObject(desired: DesiredObject): KubeObject {
  const plain = toWireJson(desired.object) as KubeObject;
  return { ...plain, apiVersion: downstreamApiVersion(desired.kind), kind: desired.kind };
}

/**
 * The content of a `delete` (§3.3): an object with only TypeMeta and the name, namespace and UID
 * (SyncController's unstructured object), so the edge removes the right one.
 */
export function deletionStub(record: ObjectSyncRecord): KubeObject {
  return {
    apiVersion: record.apiVersion || DOWNSTREAM_API_VERSION,
    kind: record.kind,
    metadata: {
      name: record.name,
      ...(record.namespace !== undefined ? { namespace: record.namespace } : {}),
      uid: record.uid,
    },
  };
}

/** True when `kind` is one EdgeController sends down. */
export function isDownstreamKind(kind: string): kind is DownstreamKind {
  return Object.hasOwn(DOWNSTREAM_RESOURCE_TYPES, kind);
}

/**
 * `value` as the API server would write it: client-node's typed objects (from a list) hold `Date`s
 * and class instances, objects from a watch hold plain JSON; both come out as plain JSON, times
 * as RFC 3339 — seconds for metav1.Time, microseconds when there is a fraction (MicroTime).
 */
export function toWireJson(value: unknown): unknown {
  if (value instanceof Date) return rfc3339(value);
  if (Array.isArray(value)) return value.map(toWireJson);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (v !== undefined && typeof v !== 'function') out[key] = toWireJson(v);
  }
  return out;
}

function rfc3339(date: Date): string {
  const iso = date.toISOString(); // 2026-01-01T00:00:00.000Z
  return iso.endsWith('.000Z') ? iso.replace('.000Z', 'Z') : iso.replace(/\.(\d{3})Z$/, '.$1000Z');
}

function describe(kind: DownstreamKind, object: KubernetesObject): DesiredObject | undefined {
  const meta = object.metadata;
  const uid = meta?.uid;
  const name = meta?.name;
  const resourceVersion = meta?.resourceVersion;
  if (!uid || !name || !resourceVersion) return undefined;
  return {
    kind,
    uid,
    name,
    namespace: kind === 'Node' ? undefined : (meta.namespace ?? undefined),
    resourceVersion,
    deleting: kind === 'Pod' && Boolean(meta.deletionTimestamp),
    object,
  };
}
