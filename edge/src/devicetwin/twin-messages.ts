/**
 * The payloads DeviceTwin publishes to mappers (kubeedge-protocol.md §7.2–7.3), built as KubeEdge's
 * `edge/pkg/devicetwin/dttype/types_helper.go` builds them, with core's wire types.
 */
import type {
  BaseMessage,
  DeviceTwinDelta,
  DeviceTwinDocument,
  DeviceTwinUpdate,
  MembershipDevice,
  MembershipUpdate,
  MsgAttr,
  MsgTwin,
  TwinDoc,
  TwinResult,
} from '@edgeproof/core';
import { isDeleted, toMsgTwin, type StoredTwin } from './stored-twin.ts';
import type { DeviceRecord } from './device-store.ts';
import type { TwinResultCode } from './result-codes.ts';

/**
 * `BuildDeviceTwinDelta`: every live twin with a desired value, and `delta` = name → desired for
 * those whose reported value is missing or different. Undefined when nothing differs (no delta is
 * published then).
 */
export function buildDelta(
  base: BaseMessage,
  twins: Readonly<Record<string, StoredTwin>>,
): DeviceTwinDelta | undefined {
  const twin: Record<string, MsgTwin> = {};
  const delta: Record<string, string> = {};
  for (const [name, t] of Object.entries(twins)) {
    if (isDeleted(t) || t.expected === undefined) continue;
    twin[name] = toMsgTwin(t, false);
    if (t.expected !== '' && t.actual !== t.expected) delta[name] = t.expected;
  }
  return Object.keys(delta).length > 0 ? { ...base, twin, delta } : undefined;
}

/** `…/twin/update/result` on success (`BuildDeviceTwinResult`, RestDealType). */
export function buildUpdateResult(
  base: BaseMessage,
  result: Readonly<Record<string, MsgTwin | null>>,
): DeviceTwinUpdate {
  return { ...base, twin: { ...result } };
}

/** `…/twin/get/result`: the live twins without versions (deleted ones left out). */
export function buildGetResult(
  base: BaseMessage,
  twins: Readonly<Record<string, StoredTwin>>,
): DeviceTwinUpdate {
  const twin: Record<string, MsgTwin> = {};
  for (const [name, t] of Object.entries(twins)) if (!isDeleted(t)) twin[name] = toMsgTwin(t, false);
  return { ...base, twin };
}

/** `BuildErrorResult`: `{event_id, timestamp, code, reason}`. */
export function buildErrorResult(base: BaseMessage, code: TwinResultCode, reason: string): TwinResult {
  return { ...base, code, reason };
}

/** `…/twin/update/document`. */
export function buildDocument(
  base: BaseMessage,
  document: Readonly<Record<string, TwinDoc>>,
): DeviceTwinDocument {
  return { ...base, twin: { ...document } };
}

/** A device as membership messages carry it (`dttype.Device`), attributes included, twins not. */
export function membershipDevice(d: DeviceRecord): MembershipDevice {
  const attributes: Record<string, MsgAttr> = {};
  for (const [name, a] of Object.entries(d.attributes))
    attributes[name] = { value: a.value, optional: a.optional, metadata: { type: a.attrType } };
  return {
    id: d.id,
    name: d.name,
    description: d.description,
    state: d.state,
    last_online: d.lastOnline,
    attributes,
  };
}

/** `…/membership/get/result` (`BuildMembershipGetResult`): `{event_id, timestamp, devices}`. */
export function buildMembershipGetResult(
  base: BaseMessage,
  devices: readonly DeviceRecord[],
): BaseMessage & { devices: MembershipDevice[] } {
  return { ...base, devices: devices.map(membershipDevice) };
}

/** `…/membership/updated`: one device added or removed (membership.go Added / Removed). */
export function buildMembershipUpdated(
  base: BaseMessage,
  change: { added?: MembershipDevice; removed?: MembershipDevice },
): MembershipUpdate {
  return {
    ...base,
    added_devices: change.added ? [change.added] : [],
    removed_devices: change.removed ? [change.removed] : [],
  };
}

/**
 * `last_online` as KubeEdge writes it (`time.Now().Format("2006-01-02 15:04:05")`, device.go), in
 * UTC so two nodes in different zones agree.
 */
export function formatLastOnline(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}
