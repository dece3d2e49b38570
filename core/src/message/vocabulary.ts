/**
 * The words KubeEdge messages are made of (kubeedge-protocol.md §1.2): operations, resource types,
 * groups and module names, as `as const` lists with their union types.
 *
 * The lists are for building messages and for `switch`ing on them. A decoded message keeps plain
 * `string` fields, so a word this file does not know (a newer KubeEdge, a DynamicController kind)
 * still travels; narrow it with the `is…` guards before switching.
 */

/** beehive `model/message.go` and `edge/pkg/metamanager` (`unhold-upgrade`, §6). */
export const CORE_OPERATIONS = [
  'insert',
  'update',
  'patch',
  'delete',
  'query',
  'response',
  'error',
  'upload',
  'unhold-upgrade',
] as const;

/** Edge-internal operations (`edge/pkg/common/message/message.go`); `keepalive` also crosses the wire (§2.3). */
export const EDGE_OPERATIONS = [
  'keepalive',
  'connect',
  'subscribe',
  'unsubscribe',
  'message',
  'publish',
  'get_result',
] as const;

/** Cloud-internal session events (`cloud/pkg/cloudhub/common/model/types.go` OpConnect/OpDisConnect). */
export const CLOUD_OPERATIONS = ['connected', 'disconnected'] as const;

/**
 * DeviceTwin asks for `membership/detail` with `get` after a reconnect (§7.4;
 * `cloud/pkg/cloudhub/common/model/types.go` OpGet). Not in §1.2's list, but it is on the wire.
 */
export const TWIN_OPERATIONS = ['get'] as const;

/** MetaServer's reply to an Application (`pkg/metaserver` ApplicationResp, §5.3). */
export const METASERVER_OPERATIONS = ['applicationResponse'] as const;

/** CSI volume calls (`common/constants/default.go` CSIOperationType*). */
export const CSI_OPERATIONS = [
  'createvolume',
  'deletevolume',
  'controllerpublishvolume',
  'controllerunpublishvolume',
] as const;

export const OPERATIONS = [
  ...CORE_OPERATIONS,
  ...EDGE_OPERATIONS,
  ...CLOUD_OPERATIONS,
  ...TWIN_OPERATIONS,
  ...METASERVER_OPERATIONS,
  ...CSI_OPERATIONS,
] as const;

export type CoreOperation = (typeof CORE_OPERATIONS)[number];
export type CsiOperation = (typeof CSI_OPERATIONS)[number];
export type Operation = (typeof OPERATIONS)[number];

/** Resource types of `<ns>/<type>/<name>` (beehive `model/message.go` ResourceType*, `common/constants`). */
export const RESOURCE_TYPES = [
  'pod',
  'event',
  'configmap',
  'secret',
  'serviceaccounttoken',
  'node',
  'podlist',
  'podstatus',
  'podpatch',
  'nodestatus',
  'nodepatch',
  'rule',
  'ruleendpoint',
  'rulestatus',
  'lease',
  'serviceaccountaccess',
  'certificatesigningrequest',
  'persistentvolume',
  'persistentvolumeclaim',
  'volumeattachment',
  'volume',
] as const;

/** Device objects travel as ordinary `<ns>/device/<name>` resources in group `resource` (§7.4). */
export const DEVICE_RESOURCE_TYPES = ['device', 'devicemodel', 'devicemapper'] as const;

export type ResourceType = (typeof RESOURCE_TYPES)[number] | (typeof DEVICE_RESOURCE_TYPES)[number];

/** The whole resource string the edge sends to fetch the kube CA (§2.4; beehive ResourceTypeK8sCA). */
export const K8S_CA_RESOURCE = 'k8s/ca.crt';

/** Groups seen on the cloud↔edge wire (§1.2). EdgeHub maps resource/func → meta, twin → twin, user → bus. */
export const WIRE_GROUPS = [
  'resource',
  'func',
  'user',
  'twin',
  'meta',
  'dynamiccontroller',
  'taskmanager',
] as const;

/** Edge-internal beehive groups (`edge/pkg/common/modules/group.go`). */
export const EDGE_GROUPS = ['bus', 'hub', 'edged', 'edgestream'] as const;

export type WireGroup = (typeof WIRE_GROUPS)[number];
export type Group = WireGroup | (typeof EDGE_GROUPS)[number];

/** cloudcore module names used as `route.source` (`cloud/pkg/common/modules/modules.go`, §1.2). */
export const CLOUD_SOURCES = [
  'cloudhub',
  'edgecontroller',
  'devicecontroller',
  'synccontroller',
  'dynamiccontroller',
  'policycontroller',
  'taskmanager',
  'nodeupgradejobcontroller',
  'router',
  'router_eventbus',
  'router_servicebus',
] as const;

/** EdgeHub's beehive module name (`edge/pkg/common/modules/names.go` EdgeHubModuleName): the keepalive source. */
export const EDGEHUB_MODULE = 'websocket';

/** edgecore module names used as `route.source` (§1.2). */
export const EDGE_SOURCES = ['edged', 'metamanager', 'twin', 'bus', 'metaserver', EDGEHUB_MODULE] as const;

export type CloudSource = (typeof CLOUD_SOURCES)[number];
export type EdgeSource = (typeof EDGE_SOURCES)[number];
export type Source = CloudSource | EdgeSource;

/** The content of a successful reply (`common/constants` MessageSuccessfulContent). */
export const MESSAGE_OK = 'OK';

/** The content of an edge keepalive (`edge/pkg/edgehub/process.go` keepalive). */
export const KEEPALIVE_CONTENT = 'ping';

const operationSet: ReadonlySet<string> = new Set(OPERATIONS);
const groupSet: ReadonlySet<string> = new Set([...WIRE_GROUPS, ...EDGE_GROUPS]);
const sourceSet: ReadonlySet<string> = new Set([...CLOUD_SOURCES, ...EDGE_SOURCES]);
const csiSet: ReadonlySet<string> = new Set(CSI_OPERATIONS);

/** True when `s` is an operation this file knows; narrows a wire string for an exhaustive switch. */
export function isOperation(s: string): s is Operation {
  return operationSet.has(s);
}

/** True when `s` is a group this file knows. */
export function isGroup(s: string): s is Group {
  return groupSet.has(s);
}

/** True when `s` is a cloud or edge module name this file knows. */
export function isSource(s: string): s is Source {
  return sourceSet.has(s);
}

/** True for the four CSI operations (cloudhub `isVolumeOperation`). */
export function isCsiOperation(s: string): s is CsiOperation {
  return csiSet.has(s);
}
