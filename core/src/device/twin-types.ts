/**
 * The DeviceTwin payloads that cross MQTT (mapper ↔ edgecore) and the cloud link (edgecore ↔
 * devicecontroller): kubeedge-protocol.md §7.3–7.4. JSON keys are KubeEdge's
 * (`edge/pkg/devicetwin/dttype/types.go`, `cloud/pkg/devicecontroller/types/device.go`), so a
 * KubeEdge mapper or cloudcore reads what we write.
 */

/** Every twin event carries these (§7.3 "Common fields"). */
export type BaseMessage = {
  event_id: string;
  /** Milliseconds since the Unix epoch. */
  timestamp: number;
};

/** `ValueMetadata`: when a value was set, in ms. */
export type ValueMetadata = { timestamp?: number };

/** `TwinValue`: one desired (`expected`) or reported (`actual`) value. Values are strings on the wire. */
export type TwinValue = { value?: string; metadata?: ValueMetadata };

/** `TwinVersion`: counters the conflict rules compare (§7.3 "Versions"). */
export type TwinVersion = { cloud: number; edge: number };

/** `TypeMetadata`: the value's type; `deleted` marks a twin deletion (§7.3). */
export type TypeMetadata = { type?: string };

/** `MsgTwin`: one twin property as it travels. */
export type MsgTwin = {
  expected?: TwinValue;
  actual?: TwinValue;
  optional?: boolean;
  metadata?: TypeMetadata;
  expected_version?: TwinVersion;
  actual_version?: TwinVersion;
};

/** `MsgAttr`: a device attribute. */
export type MsgAttr = { value: string; optional?: boolean; metadata?: TypeMetadata };

/** `$hw/events/device/{id}/twin/update` and the cloud's `twin/cloud_updated` / edge's `twin/edge_updated`. */
export type DeviceTwinUpdate = BaseMessage & { twin: Record<string, MsgTwin | null> };

/** `…/twin/update/delta`: twins whose expected differs from actual, and the expected values. */
export type DeviceTwinDelta = BaseMessage & {
  twin: Record<string, MsgTwin>;
  delta: Record<string, string>;
};

/** `TwinDoc`: a twin before and after an update. */
export type TwinDoc = { last: MsgTwin | null; current: MsgTwin | null };

/** `…/twin/update/document`. */
export type DeviceTwinDocument = BaseMessage & { twin: Record<string, TwinDoc> };

/** `…/twin/update/result`, `…/state/update/result` on failure: `code` and `reason` say why. */
export type TwinResult = BaseMessage & { code?: number; reason?: string };

/** A device as membership messages carry it (`types.Device`; `id` is `<namespace>/<name>` since v1.17, §7.2). */
export type MembershipDevice = {
  id: string;
  name: string;
  description?: string;
  state?: string;
  last_online?: string;
  attributes?: Record<string, MsgAttr>;
  twin?: Record<string, MsgTwin>;
};

/** Cloud → edge `membership` (group twin, operation update, NoAck; §7.4). */
export type MembershipUpdate = BaseMessage & {
  added_devices: MembershipDevice[];
  removed_devices: MembershipDevice[];
};

/** The full device list of a node: the cloud's answer to `membership/detail` and MQTT `membership/get/result`. */
export type MembershipDetail = BaseMessage & { devices: MembershipDevice[] };

/** The device states a mapper may report (`dtmanager/device.go` accepts these three). */
export const DEVICE_STATES = ['online', 'offline', 'unknown'] as const;
/** edgeproof's mappers also report `unhealthy` (connected, but reads fail); it is passed through as-is. */
export type DeviceState = (typeof DEVICE_STATES)[number] | 'unhealthy';

/** Mapper → edge `…/state/update`; `reason` (edgeproof's) says why a device is offline or unhealthy. */
export type DeviceStateRequest = BaseMessage & { state: string; reason?: string };

/** Edge → mapper `…/state/update/result` and edge → cloud `device/{ns}/{name}/state/update` (`dttype.BuildDeviceState`). */
export type DeviceStateUpdate = BaseMessage & {
  device: { name: string; state: string; last_online?: string; reason?: string };
};
