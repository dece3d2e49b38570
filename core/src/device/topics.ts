/**
 * The `$hw/events/...` MQTT topic contract (kubeedge-protocol.md §7.1–7.2;
 * `edge/pkg/devicetwin/dtcommon/common.go`), and the twin resources on the cloud link (§7.4).
 * Both sides speak them, so they live here. The device id is `<namespace>/<name>` (§7.2, since
 * v1.17): a device topic has the id in segments 3 and 4.
 */
import { InvalidInputError } from '../errors.ts';

export const DEVICE_TOPIC_PREFIX = '$hw/events/device/';
export const NODE_TOPIC_PREFIX = '$hw/events/node/';

/** What edgecore's hub client subscribes to (§7.1, `edge/pkg/eventbus/eventbus.go`). */
export const EVENTBUS_SUBSCRIPTIONS = [
  '$hw/events/upload/#',
  '$hw/events/device/+/+/state/update',
  '$hw/events/device/+/+/twin/+',
  '$hw/events/node/+/membership/get',
  'SYS/dis/upload_records',
  '+/user/#',
] as const;

/** Topic suffixes after `$hw/events/device/<ns>/<name>/` (dtcommon). */
export const DEVICE_TOPIC_ACTIONS = {
  twinUpdate: 'twin/update',
  twinUpdateResult: 'twin/update/result',
  twinUpdateDelta: 'twin/update/delta',
  twinUpdateDocument: 'twin/update/document',
  twinGet: 'twin/get',
  twinGetResult: 'twin/get/result',
  stateUpdate: 'state/update',
  stateUpdateResult: 'state/update/result',
} as const;

export type DeviceTopicAction = (typeof DEVICE_TOPIC_ACTIONS)[keyof typeof DEVICE_TOPIC_ACTIONS];

const ACTIONS: ReadonlySet<string> = new Set(Object.values(DEVICE_TOPIC_ACTIONS));

/** The device id KubeEdge uses in topics and twin resources (`pkg/util/util.go` GetResourceID). */
export function deviceId(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** `$hw/events/device/<ns>/<name>/<action>`. */
export function deviceTopic(namespace: string, name: string, action: DeviceTopicAction): string {
  return `${DEVICE_TOPIC_PREFIX}${namespace}/${name}/${action}`;
}

/** `$hw/events/node/<node>/membership/{get,get/result,updated}`. */
export function membershipTopic(nodeName: string, action: 'get' | 'get/result' | 'updated'): string {
  return `${NODE_TOPIC_PREFIX}${nodeName}/membership/${action}`;
}

/** What a `$hw/events/...` topic names. */
export type ParsedTwinTopic =
  | { kind: 'device'; namespace: string; name: string; action: DeviceTopicAction }
  | { kind: 'membershipGet'; nodeName: string };

/**
 * Parses a device or node topic; undefined for topics that are neither (uploads, user topics).
 * @throws InvalidInputError for a `$hw/events/device/` topic with an unknown action or a missing id part.
 */
export function parseTwinTopic(topic: string): ParsedTwinTopic | undefined {
  if (topic.startsWith(NODE_TOPIC_PREFIX)) {
    const rest = topic.slice(NODE_TOPIC_PREFIX.length).split('/');
    if (rest.length === 3 && rest[0] && rest[1] === 'membership' && rest[2] === 'get')
      return { kind: 'membershipGet', nodeName: rest[0] };
    return undefined;
  }
  if (!topic.startsWith(DEVICE_TOPIC_PREFIX)) return undefined;
  const [namespace = '', name = '', ...path] = topic.slice(DEVICE_TOPIC_PREFIX.length).split('/');
  const action = path.join('/');
  if (namespace === '' || name === '')
    throw new InvalidInputError(
      `topic "${topic}": the device id must be <namespace>/<name> (kubeedge-protocol.md §7.2)`,
    );
  if (!ACTIONS.has(action))
    throw new InvalidInputError(`topic "${topic}": unknown device action "${action}"`);
  return { kind: 'device', namespace, name, action: action as DeviceTopicAction };
}

/** True for topics the EventBus forwards to the cloud as uploads (§7.2 last rows). */
export function isUploadTopic(topic: string): boolean {
  if (topic.startsWith('$hw/events/upload/') || topic === 'SYS/dis/upload_records') return true;
  const parts = topic.split('/');
  return parts.length >= 2 && parts[1] === 'user' && !topic.startsWith('$');
}

/** Edge-form twin resources on the cloud link (§7.4; resource.ts parses them as kind `device`). */
export const TWIN_CLOUD_RESOURCES = {
  /** cloud → edge: desired values changed. */
  cloudUpdated: 'twin/cloud_updated',
  /** edge → cloud: reported (and observed desired) values. */
  edgeUpdated: 'twin/edge_updated',
  /** edge → cloud: device state. */
  stateUpdate: 'state/update',
} as const;

/** `device/<ns>/<name>/<path>` (edge form, no `node/<id>/` prefix). */
export function deviceResource(
  namespace: string,
  name: string,
  path: (typeof TWIN_CLOUD_RESOURCES)[keyof typeof TWIN_CLOUD_RESOURCES],
): string {
  return `device/${namespace}/${name}/${path}`;
}
