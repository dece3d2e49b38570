/**
 * Decodes the `application/vnd.kubernetes.protobuf` bodies kubectl 1.32 sends for `kubectl create
 * namespace|configmap|secret|deployment|serviceaccount` (kubectl-contract.md §7) into the JSON
 * shape the rest of the server handles.
 *
 * Wire format (k8s.io/apimachinery/pkg/runtime/serializer/protobuf/protobuf.go): the 4-byte magic
 * `k8s\0`, then a runtime.Unknown whose `raw` holds the object. The schema below is a reduced copy
 * of the Kubernetes .proto files with the original field numbers:
 *   runtime  k8s.io/apimachinery/pkg/runtime/generated.proto (TypeMeta, Unknown)
 *   meta/v1  k8s.io/apimachinery/pkg/apis/meta/v1/generated.proto (ObjectMeta, OwnerReference,
 *            LabelSelector, Time) and types.go (ManagedFieldsEntry, managedFields = 17)
 *   intstr   k8s.io/apimachinery/pkg/util/intstr/generated.proto; resource: .../api/resource/generated.proto
 *   core/v1  k8s.io/api/core/v1/generated.proto;  apps/v1: k8s.io/api/apps/v1/generated.proto
 *
 * Go's generated marshallers write every non-pointer field, zero or not (`12 00` for an empty
 * generateName), and pointer fields only when set. So a zero scalar is dropped, as Go's
 * `json:",omitempty"` would, unless the Go field is a pointer, marked `(go_pointer)` below, where
 * an explicit zero (`replicas: 0`) means something. A field the schema lacks is ignored when it
 * holds its zero value and refused with 415 otherwise, so data is never dropped silently.
 */
import protobuf from 'protobufjs';
import type { Field, Type } from 'protobufjs';
import { errorMessage } from '@edgeproof/core';
import { badRequest, unsupportedMediaType } from './status.ts';
import type { KubeObject, ObjectMeta } from './types.ts';

export const PROTOBUF_CONTENT_TYPE = 'application/vnd.kubernetes.protobuf';

/** `k8s\0` (protobuf.go: `protoEncodingPrefix`). */
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

const SCHEMA = `
syntax = "proto2";
package k8s;

// runtime
message TypeMeta { optional string apiVersion = 1; optional string kind = 2; }
message Unknown {
  optional TypeMeta typeMeta = 1;
  optional bytes raw = 2;
  optional string contentEncoding = 3;
  optional string contentType = 4;
}

// meta/v1
message Time { optional int64 seconds = 1; optional int32 nanos = 2; }
message ObjectMeta {
  optional string name = 1;
  optional string generateName = 2;
  optional string namespace = 3;
  optional string selfLink = 4;
  optional string uid = 5;
  optional string resourceVersion = 6;
  optional int64 generation = 7;
  optional Time creationTimestamp = 8;
  optional Time deletionTimestamp = 9;
  optional int64 deletionGracePeriodSeconds = 10 [(go_pointer) = true];
  map<string, string> labels = 11;
  map<string, string> annotations = 12;
  repeated OwnerReference ownerReferences = 13;
  repeated string finalizers = 14;
  repeated ManagedFieldsEntry managedFields = 17;
}
message OwnerReference {
  optional string kind = 1;
  optional string name = 3;
  optional string uid = 4;
  optional string apiVersion = 5;
  optional bool controller = 6 [(go_pointer) = true];
  optional bool blockOwnerDeletion = 7 [(go_pointer) = true];
}
message ManagedFieldsEntry {
  optional string manager = 1;
  optional string operation = 2;
  optional string apiVersion = 3;
  optional Time time = 4;
  optional string fieldsType = 6;
  optional FieldsV1 fieldsV1 = 7;
  optional string subresource = 8;
}
message FieldsV1 { optional bytes Raw = 1; }
message LabelSelector {
  map<string, string> matchLabels = 1;
  repeated LabelSelectorRequirement matchExpressions = 2;
}
message LabelSelectorRequirement { optional string key = 1; optional string operator = 2; repeated string values = 3; }

// intstr, resource
message IntOrString { optional int64 type = 1; optional int32 intVal = 2; optional string strVal = 3; }
message Quantity { optional string string = 1; }

// core/v1
message Namespace { optional ObjectMeta metadata = 1; optional NamespaceSpec spec = 2; optional NamespaceStatus status = 3; }
message NamespaceSpec { repeated string finalizers = 1; }
message NamespaceStatus { optional string phase = 1; repeated NamespaceCondition conditions = 2; }
message NamespaceCondition {
  optional string type = 1;
  optional string status = 2;
  optional Time lastTransitionTime = 4;
  optional string reason = 5;
  optional string message = 6;
}
message ConfigMap {
  optional ObjectMeta metadata = 1;
  map<string, string> data = 2;
  map<string, bytes> binaryData = 3;
  optional bool immutable = 4 [(go_pointer) = true];
}
message Secret {
  optional ObjectMeta metadata = 1;
  map<string, bytes> data = 2;
  optional string type = 3;
  map<string, string> stringData = 4;
  optional bool immutable = 5 [(go_pointer) = true];
}
message ServiceAccount {
  optional ObjectMeta metadata = 1;
  repeated ObjectReference secrets = 2;
  repeated LocalObjectReference imagePullSecrets = 3;
  optional bool automountServiceAccountToken = 4 [(go_pointer) = true];
}
message ObjectReference {
  optional string kind = 1;
  optional string namespace = 2;
  optional string name = 3;
  optional string uid = 4;
  optional string apiVersion = 5;
  optional string resourceVersion = 6;
  optional string fieldPath = 7;
}
message LocalObjectReference { optional string name = 1; }
message PodTemplateSpec { optional ObjectMeta metadata = 1; optional PodSpec spec = 2; }
message PodSpec {
  repeated Container containers = 2;
  optional string restartPolicy = 3;
  optional int64 terminationGracePeriodSeconds = 4 [(go_pointer) = true];
  optional int64 activeDeadlineSeconds = 5 [(go_pointer) = true];
  optional string dnsPolicy = 6;
  map<string, string> nodeSelector = 7;
  optional string serviceAccountName = 8;
  optional string serviceAccount = 9;
  optional string nodeName = 10;
  optional bool hostNetwork = 11;
  optional bool hostPID = 12;
  optional bool hostIPC = 13;
  repeated LocalObjectReference imagePullSecrets = 15;
  optional string hostname = 16;
  optional string subdomain = 17;
  optional string schedulerName = 19;
  repeated Container initContainers = 20;
  optional bool automountServiceAccountToken = 21 [(go_pointer) = true];
  optional string priorityClassName = 24;
}
message Container {
  optional string name = 1;
  optional string image = 2;
  repeated string command = 3;
  repeated string args = 4;
  optional string workingDir = 5;
  repeated ContainerPort ports = 6;
  repeated EnvVar env = 7;
  optional ResourceRequirements resources = 8;
  optional string terminationMessagePath = 13;
  optional string imagePullPolicy = 14;
  optional bool stdin = 16;
  optional bool stdinOnce = 17;
  optional bool tty = 18;
  optional string terminationMessagePolicy = 20;
}
message ContainerPort {
  optional string name = 1;
  optional int32 hostPort = 2;
  optional int32 containerPort = 3;
  optional string protocol = 4;
  optional string hostIP = 5;
}
message EnvVar { optional string name = 1; optional string value = 2; optional EnvVarSource valueFrom = 3; }
message EnvVarSource {
  optional ObjectFieldSelector fieldRef = 1;
  optional ConfigMapKeySelector configMapKeyRef = 3;
  optional SecretKeySelector secretKeyRef = 4;
}
message ObjectFieldSelector { optional string apiVersion = 1; optional string fieldPath = 2; }
message ConfigMapKeySelector {
  optional LocalObjectReference localObjectReference = 1 [(go_inline) = true];
  optional string key = 2;
  optional bool optional = 3 [(go_pointer) = true];
}
message SecretKeySelector {
  optional LocalObjectReference localObjectReference = 1 [(go_inline) = true];
  optional string key = 2;
  optional bool optional = 3 [(go_pointer) = true];
}
message ResourceRequirements { map<string, Quantity> limits = 1; map<string, Quantity> requests = 2; }

// apps/v1
message Deployment { optional ObjectMeta metadata = 1; optional DeploymentSpec spec = 2; optional DeploymentStatus status = 3; }
message DeploymentSpec {
  optional int32 replicas = 1 [(go_pointer) = true];
  optional LabelSelector selector = 2;
  optional PodTemplateSpec template = 3;
  optional DeploymentStrategy strategy = 4;
  optional int32 minReadySeconds = 5;
  optional int32 revisionHistoryLimit = 6 [(go_pointer) = true];
  optional bool paused = 7;
  optional int32 progressDeadlineSeconds = 9 [(go_pointer) = true];
}
message DeploymentStrategy { optional string type = 1; optional RollingUpdateDeployment rollingUpdate = 2; }
message RollingUpdateDeployment { optional IntOrString maxUnavailable = 1; optional IntOrString maxSurge = 2; }
message DeploymentStatus {
  optional int64 observedGeneration = 1;
  optional int32 replicas = 2;
  optional int32 updatedReplicas = 3;
  optional int32 availableReplicas = 4;
  optional int32 unavailableReplicas = 5;
  repeated DeploymentCondition conditions = 6;
  optional int32 readyReplicas = 7;
  optional int32 collisionCount = 8 [(go_pointer) = true];
  optional int32 terminatingReplicas = 9 [(go_pointer) = true];
}
message DeploymentCondition {
  optional string type = 1;
  optional string status = 2;
  optional string reason = 4;
  optional string message = 5;
  optional Time lastUpdateTime = 6;
  optional Time lastTransitionTime = 7;
}
`;

const root = protobuf.parse(SCHEMA, { keepCase: true }).root.resolveAll();
const lookup = (name: string): Type => root.lookupType(`k8s.${name}`);
const UNKNOWN = lookup('Unknown');

/** The kinds served from protobuf, by `apiVersion/kind`. */
const KINDS = new Map<string, Type>(
  (
    [
      ['v1', 'Namespace'],
      ['v1', 'ConfigMap'],
      ['v1', 'Secret'],
      ['v1', 'ServiceAccount'],
      ['apps/v1', 'Deployment'],
    ] as const
  ).map(([apiVersion, kind]) => [`${apiVersion}/${kind}`, lookup(kind)]),
);

const SUPPORTED = 'Namespace, ConfigMap, Secret, ServiceAccount (v1) and Deployment (apps/v1)';

/**
 * Decodes a Kubernetes protobuf request body into a KubeObject with apiVersion and kind set.
 * A malformed body is a 400; a kind, encoding or field this server does not decode is a 415 that
 * tells the client to send JSON.
 */
export function decodeKubernetesProtobuf(body: Buffer): KubeObject {
  if (body.length < MAGIC.length || !body.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw badRequest('the protobuf body does not start with the Kubernetes "k8s\\0" prefix');
  }
  let envelope: {
    typeMeta?: { apiVersion?: string; kind?: string };
    raw?: Uint8Array;
    contentEncoding?: string;
  };
  try {
    envelope = UNKNOWN.toObject(UNKNOWN.decode(body.subarray(MAGIC.length)), { defaults: false });
  } catch (err) {
    throw badRequest(`the protobuf body is not a valid runtime.Unknown envelope: ${errorMessage(err)}`);
  }
  const apiVersion = envelope.typeMeta?.apiVersion ?? '';
  const kind = envelope.typeMeta?.kind ?? '';
  if (apiVersion === '' || kind === '') {
    throw badRequest('the protobuf body does not name its apiVersion and kind (runtime.Unknown typeMeta)');
  }
  const type = KINDS.get(`${apiVersion}/${kind}`);
  if (!type) {
    throw unsupportedMediaType(
      PROTOBUF_CONTENT_TYPE,
      `${apiVersion} ${kind}: protobuf is supported only for kinds ${SUPPORTED}; send JSON`,
    );
  }
  if (envelope.contentEncoding) {
    throw unsupportedMediaType(
      PROTOBUF_CONTENT_TYPE,
      `contentEncoding "${envelope.contentEncoding}" is not supported; send the object unencoded or as JSON`,
    );
  }
  const raw = envelope.raw ?? new Uint8Array(0);
  let unsupported: string | undefined;
  let json: Record<string, unknown>;
  try {
    unsupported = findUnsupportedField(type, raw, '');
    json = toJson(type, type.toObject(type.decode(raw), { longs: Number, bytes: String, defaults: false }));
  } catch (err) {
    throw badRequest(`the protobuf ${apiVersion} ${kind} is malformed: ${errorMessage(err)}`);
  }
  if (unsupported !== undefined) {
    throw unsupportedMediaType(
      PROTOBUF_CONTENT_TYPE,
      `${kind} field ${unsupported} is set, but edgeproof does not decode it from protobuf; send JSON`,
    );
  }
  const { metadata, ...rest } = json;
  return { apiVersion, kind, metadata: (metadata ?? {}) as ObjectMeta, ...rest };
}

/** The protobufjs object for one message → Kubernetes JSON, following Go's encoding/json rules. */
function toJson(type: Type, obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    const value = obj[field.name];
    if (value === undefined || value === null) continue;
    const sub = field.resolvedType instanceof protobuf.Type ? field.resolvedType : undefined;
    if (field.map) {
      const entries = Object.entries(value as Record<string, unknown>);
      if (entries.length === 0) continue;
      out[field.name] = Object.fromEntries(entries.map(([k, v]) => [k, sub ? messageToJson(sub, v) : v]));
    } else if (field.repeated) {
      const items = value as unknown[];
      if (items.length === 0) continue;
      out[field.name] = items.map((v) => (sub ? messageToJson(sub, v) : v));
    } else if (sub) {
      const converted = messageToJson(sub, value);
      if (converted === undefined) continue;
      if (field.options?.['(go_inline)'] === true && typeof converted === 'object')
        Object.assign(out, converted);
      else out[field.name] = converted;
    } else if (isZero(value) && field.options?.['(go_pointer)'] !== true) {
      continue;
    } else {
      out[field.name] = value;
    }
  }
  return out;
}

/** Messages whose JSON form is not an object (meta/v1 Time, intstr, Quantity, FieldsV1). */
function messageToJson(type: Type, value: unknown): unknown {
  const v = value as Record<string, unknown>;
  switch (type.name) {
    case 'Time': {
      // An empty message is the zero time, which Go writes as JSON null; seconds only, as
      // metav1.Time.Unmarshal ignores nanos (time_proto.go).
      const seconds = typeof v.seconds === 'number' ? v.seconds : 0;
      return seconds === 0 ? undefined : new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
    }
    case 'IntOrString':
      // intstr.Type: 0 = Int, 1 = String.
      return v.type === 1 ? (v.strVal ?? '') : (v.intVal ?? 0);
    case 'Quantity':
      return v.string ?? '0';
    case 'FieldsV1':
      return typeof v.Raw === 'string' && v.Raw !== ''
        ? (JSON.parse(Buffer.from(v.Raw, 'base64').toString('utf8')) as unknown)
        : {};
    default:
      return toJson(type, v);
  }
}

function isZero(value: unknown): boolean {
  return value === '' || value === 0 || value === false;
}

/**
 * The dotted path of the first field in `buf` that the schema lacks and that holds a non-zero
 * value, or undefined. Zero-valued unknown fields are what Go writes for empty non-pointer fields
 * of newer API versions; skipping them keeps kubectl working, refusing the rest keeps data intact.
 */
function findUnsupportedField(type: Type, buf: Uint8Array, path: string): string | undefined {
  const reader = protobuf.Reader.create(buf);
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    const id = tag >>> 3;
    const wireType = tag & 7;
    const field: Field | undefined = type.fieldsById[id];
    const where = path === '' ? (field?.name ?? `#${id}`) : `${path}.${field?.name ?? `#${id}`}`;
    if (!field) {
      const start = reader.pos;
      reader.skipType(wireType);
      if (!isZeroEncoding(wireType, buf.subarray(start, reader.pos))) return where;
      continue;
    }
    const sub = field.resolvedType instanceof protobuf.Type ? field.resolvedType : undefined;
    if (!sub || wireType !== 2) {
      reader.skipType(wireType);
      continue;
    }
    const bytes = reader.bytes();
    const found = field.map ? findInMapEntry(sub, bytes, where) : findUnsupportedField(sub, bytes, where);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** A map entry is a message {1: key, 2: value}; only message values can hide unknown fields. */
function findInMapEntry(valueType: Type, entry: Uint8Array, path: string): string | undefined {
  const reader = protobuf.Reader.create(entry);
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag >>> 3 === 2 && (tag & 7) === 2) {
      const found = findUnsupportedField(valueType, reader.bytes(), path);
      if (found !== undefined) return found;
    } else {
      reader.skipType(tag & 7);
    }
  }
  return undefined;
}

/** Whether the encoded value (after the tag) is 0, "", false or an empty message. */
function isZeroEncoding(wireType: number, encoded: Uint8Array): boolean {
  switch (wireType) {
    case 0: // varint
    case 2: // length 0
      return encoded.length === 1 && encoded[0] === 0;
    case 1: // fixed64
    case 5: // fixed32
      return encoded.every((b) => b === 0);
    default:
      return false;
  }
}
