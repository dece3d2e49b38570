/**
 * What DeviceController says about a Device on the twin channel, and how a twin report becomes
 * DeviceStatus twins. Pure functions: no I/O, time passed in.
 *
 * Sources (kubeedge-protocol.md §7.3–7.4, §8.1):
 * - membership devices and `twin/cloud_updated` carry each property's desired value as
 *   `expected`, with `metadata.type` from the desired metadata (default `string`), `optional`
 *   false and `expected_version {cloud: <Device resourceVersion>, edge: 0}`
 *   (devicecontroller `downstream.go` createDevice / addUpdatedTwins); v1beta1 keeps desired
 *   values in `spec.properties[].desired`;
 * - a removed property travels with `metadata.type: "deleted"` (addDeletedTwins);
 * - reports update the DeviceStatus twin of each property the Device defines: `reported` from
 *   `actual`, `observedDesired` from `expected`, each with metadata `{timestamp, type}`
 *   (devicecontroller `upstream.go` updateDeviceStatus, v1.23).
 */
import { deviceId, type DeviceTwinUpdate, type MembershipDevice, type MsgTwin } from '@edgeproof/core';
import type { Twin } from '@edgeproof/crds';
import type { DeviceObject } from '../edgecontroller/downstream-desired.ts';

/** The label KubeEdge copies into a membership device's description (createDevice). */
const DESCRIPTION_LABEL = 'description';

/** The Device's desired values by property name (properties without `desired.value` have none). */
export function desiredValues(device: DeviceObject): Map<string, { value: string; type: string }> {
  const out = new Map<string, { value: string; type: string }>();
  for (const p of device.spec?.properties ?? []) {
    const value = p.desired?.value;
    if (!p.name || value === undefined || value === null) continue;
    const type = p.desired?.metadata?.['type'];
    out.set(p.name, { value: String(value), type: typeof type === 'string' ? type : 'string' });
  }
  return out;
}

function cloudVersion(device: DeviceObject): number {
  const v = Number.parseInt(device.metadata?.resourceVersion ?? '', 10);
  return Number.isFinite(v) ? v : 0;
}

/** The twins that carry `device`'s desired values to the edge. */
export function desiredTwins(device: DeviceObject, nowMs: number): Record<string, MsgTwin> {
  const version = { cloud: cloudVersion(device), edge: 0 };
  const twins: Record<string, MsgTwin> = {};
  for (const [name, { value, type }] of desiredValues(device)) {
    twins[name] = {
      expected: { value, metadata: { timestamp: nowMs } },
      optional: false,
      metadata: { type },
      expected_version: version,
    };
  }
  return twins;
}

/**
 * The twins of a `twin/cloud_updated` for a Device that changed from `before` to `after`: every
 * current desired value, and a `deleted` twin for each one that went away; undefined when no
 * desired value changed (then the edge needs no twin message).
 */
export function changedTwins(
  before: DeviceObject,
  after: DeviceObject,
  nowMs: number,
): Record<string, MsgTwin> | undefined {
  const old = desiredValues(before);
  const now = desiredValues(after);
  const same =
    old.size === now.size &&
    [...now].every(([k, v]) => old.get(k)?.value === v.value && old.get(k)?.type === v.type);
  if (same) return undefined;
  const twins = desiredTwins(after, nowMs);
  const version = { cloud: cloudVersion(after), edge: 0 };
  for (const [name, { value }] of old) {
    if (now.has(name)) continue;
    twins[name] = {
      expected: { value, metadata: { timestamp: nowMs } },
      optional: false,
      metadata: { type: 'deleted' },
      expected_version: version,
    };
  }
  return twins;
}

/** `device` as membership messages carry it (`types.Device`, id `<ns>/<name>` per §7.2). */
export function membershipDevice(device: DeviceObject, nowMs: number): MembershipDevice {
  const namespace = device.metadata?.namespace ?? '';
  const name = device.metadata?.name ?? '';
  const description = device.metadata?.labels?.[DESCRIPTION_LABEL];
  return {
    id: deviceId(namespace, name),
    name,
    ...(description !== undefined ? { description } : {}),
    twin: desiredTwins(device, nowMs),
  };
}

/** The device's property names: only their twins are written to DeviceStatus (isPropertyDefined). */
export function propertyNames(device: DeviceObject): Set<string> {
  return new Set((device.spec?.properties ?? []).map((p) => p.name).filter((n): n is string => !!n));
}

function twinProperty(value: string, timestamp: number | undefined, type: string | undefined) {
  const metadata: Record<string, string> = {};
  if (timestamp !== undefined) metadata['timestamp'] = String(timestamp);
  if (type !== undefined) metadata['type'] = type;
  return { value, metadata };
}

/**
 * `twins` (DeviceStatus `status.twins`) with `report` applied: each reported twin of a defined
 * property replaces its entry (or is appended), as upstream.go does. Returns a new array.
 */
export function applyTwinReport(
  twins: readonly Twin[],
  report: DeviceTwinUpdate,
  properties: ReadonlySet<string>,
): Twin[] {
  const out = twins.map((t) => ({ ...t }));
  for (const [name, twin] of Object.entries(report.twin)) {
    if (twin === null || !properties.has(name)) continue;
    const next: Twin = { propertyName: name };
    const type = twin.metadata?.type;
    if (twin.actual?.value !== undefined)
      next.reported = twinProperty(twin.actual.value, twin.actual.metadata?.timestamp, type);
    if (twin.expected?.value !== undefined)
      next.observedDesired = twinProperty(twin.expected.value, twin.expected.metadata?.timestamp, type);
    const at = out.findIndex((t) => t.propertyName === name);
    if (at >= 0) out[at] = next;
    else out.push(next);
  }
  return out;
}
