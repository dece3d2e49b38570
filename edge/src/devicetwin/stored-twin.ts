/**
 * A twin as DeviceTwin keeps it: one `device_twin` row (kubeedge-protocol.md §5.1;
 * `edge/pkg/devicetwin/dtclient/devicetwin_db.go`), decoded. Conversions to the wire form `MsgTwin`
 * follow `dttype/types_helper.go` DeviceTwinToMsgTwin.
 */
import type { MsgTwin, TwinVersion, ValueMetadata } from '@edgeproof/core';

/** `attr_type` of a deleted twin (§7.3: `metadata.type:"deleted"`). */
export const DELETED_TYPE = 'deleted';
/** KubeEdge's default value type (`dtmanager/twin.go` stringType). */
export const DEFAULT_VALUE_TYPE = 'string';

export interface StoredTwin {
  name: string;
  description: string;
  /** Desired value; undefined when none (KubeEdge stores NULL or ""). */
  expected?: string;
  /** Reported value. */
  actual?: string;
  expectedMeta?: ValueMetadata;
  actualMeta?: ValueMetadata;
  expectedVersion?: TwinVersion;
  actualVersion?: TwinVersion;
  optional: boolean;
  /** `metadata.type`: the value type, or `deleted`. */
  attrType: string;
}

/** True when the twin is marked deleted (it stays in the table with its versions, as in KubeEdge). */
export function isDeleted(t: StoredTwin): boolean {
  return t.attrType === DELETED_TYPE;
}

/**
 * The wire form. `withVersions: false` is what mappers see (results, documents, deltas strip the
 * versions: `BuildDeviceTwinResult`, `CopyMsgTwin(…, true)`); the cloud gets them.
 */
export function toMsgTwin(t: StoredTwin, withVersions: boolean): MsgTwin {
  const out: MsgTwin = {};
  if (t.expected !== undefined)
    out.expected = { value: t.expected, ...(t.expectedMeta ? { metadata: { ...t.expectedMeta } } : {}) };
  // DeviceTwinToMsgTwin forgets the actual value's metadata; we keep it (the cloud's reported.metadata wants it).
  if (t.actual !== undefined)
    out.actual = { value: t.actual, ...(t.actualMeta ? { metadata: { ...t.actualMeta } } : {}) };
  out.optional = t.optional;
  out.metadata = { type: t.attrType };
  if (withVersions) {
    if (t.expectedVersion) out.expected_version = { ...t.expectedVersion };
    if (t.actualVersion) out.actual_version = { ...t.actualVersion };
  }
  return out;
}

export function cloneTwin(t: StoredTwin): StoredTwin {
  const c: StoredTwin = { ...t };
  if (t.expectedMeta) c.expectedMeta = { ...t.expectedMeta };
  if (t.actualMeta) c.actualMeta = { ...t.actualMeta };
  if (t.expectedVersion) c.expectedVersion = { ...t.expectedVersion };
  if (t.actualVersion) c.actualVersion = { ...t.actualVersion };
  return c;
}
