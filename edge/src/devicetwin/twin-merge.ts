/**
 * How an update changes a device's twins: the version and conflict rules of KubeEdge's
 * `edge/pkg/devicetwin/dtmanager/twin.go` (DealMsgTwin, dealTwinAdd, dealTwinCompare,
 * dealTwinDelete, dealVersion), as a pure function, so the rules are unit-tested without MQTT,
 * SQLite or a clock (kubeedge-protocol.md §7.3 "Versions").
 *
 * Two sources:
 * - `edge` (RestDealType): a mapper's `…/twin/update`. Every accepted value increments that value's
 *   `edge` version. A bad name, value or type rejects the whole update (KubeEdge re-reads the
 *   device from SQLite; here nothing was written yet) with 400.
 * - `cloud` (SyncDealType): `twin/cloud_updated`, `membership` adds and `membership/detail`. A value
 *   is applied only if the stored `cloud` and `edge` versions are not greater than the incoming
 *   ones, and the incoming version is then stored. A refused value is not an error: the edge's own
 *   value is reported back to the cloud (`syncResult` → `twin/edge_updated`), so the cloud learns
 *   the edge won.
 *
 * Deliberate differences from KubeEdge, each for a reason:
 * - An edge update whose `expected` equals the stored desired value changes nothing. KubeEdge's
 *   isTwinValueDiff does not compare, so a mapper that echoes the desired value (DMI's
 *   observedDesired) bumps the expected `edge` version and every later cloud change is refused.
 * - A reported value keeps the mapper's `metadata.timestamp` (when it was read) when it gives one;
 *   KubeEdge overwrites it with the time edgecore received it.
 * - Deleting a twin that is not optional, or one that does not exist, is a 400; KubeEdge ignores
 *   the first silently and answers the second with a generic "The request body is wrong".
 * - A `null` twin from the cloud is a deletion (KubeEdge would dereference its nil metadata).
 * - Documents are sent only when a value, type or optional flag changed, not for a re-report of
 *   the same value.
 */
import type { MsgTwin, TwinDoc, TwinValue, TwinVersion, ValueMetadata } from '@edgeproof/core';
import {
  DEFAULT_VALUE_TYPE,
  DELETED_TYPE,
  cloneTwin,
  isDeleted,
  toMsgTwin,
  type StoredTwin,
} from './stored-twin.ts';

export type TwinSource = 'edge' | 'cloud';

/** What one update does; see `mergeTwins`. */
export interface MergeOutcome {
  ok: true;
  /** Rows to insert or update, by twin name. */
  writes: Record<string, StoredTwin>;
  /** `…/twin/update/document` entries (last and current, without versions). */
  document: Record<string, TwinDoc>;
  /** The `twin` of `…/twin/update/result` for an edge update; `null` for a deleted twin. */
  result: Record<string, MsgTwin | null>;
  /** What to tell the cloud (`twin/edge_updated`), with versions. */
  report: Record<string, MsgTwin>;
  /** Cloud values that were not applied, and why (for logs). */
  refused: Record<string, string>;
}

/** An edge update that cannot be applied; nothing of it is applied. */
export interface MergeRejection {
  ok: false;
  code: 400;
  reason: string;
}

type VersionResult = { ok: true; version: TwinVersion } | { ok: false; reason: string };

/**
 * `dealVersion`: an edge change increments `edge`; a cloud sync is refused when the stored cloud
 * or edge version is greater than the incoming one (or the incoming one is missing, except for a
 * deletion), and otherwise takes the incoming version.
 */
export function dealVersion(
  current: TwinVersion,
  incoming: TwinVersion | undefined,
  kind: 'edge' | 'cloud' | 'cloudDelete',
): VersionResult {
  if (kind === 'edge') return { ok: true, version: { cloud: current.cloud, edge: current.edge + 1 } };
  if (incoming === undefined) {
    if (kind === 'cloudDelete') return { ok: true, version: { ...current } };
    return { ok: false, reason: 'Version not allowed be nil while syncing' };
  }
  if (current.cloud > incoming.cloud) return { ok: false, reason: 'Version not allowed' };
  if (current.edge > incoming.edge)
    return { ok: false, reason: 'Not allowed to sync due to version conflict' };
  return { ok: true, version: { cloud: incoming.cloud, edge: incoming.edge } };
}

/**
 * Why `value` is not of `type`, or undefined (`dtcommon/util.go` ValidateValue). KubeEdge knows
 * string, int, float, boolean and deleted; we also take the DeviceModel property types
 * (kubeedge-protocol.md §8.1: INT, FLOAT, DOUBLE, STRING, BOOLEAN, BYTES, STREAM) in any case.
 */
export function valueTypeProblem(type: string, value: string): string | undefined {
  switch (type.toLowerCase()) {
    case '':
    case 'string':
    case 'bytes':
    case 'stream':
    case DELETED_TYPE:
      return undefined;
    case 'int':
    case 'integer':
      return /^[-+]?\d+$/.test(value) && Number.isSafeInteger(Number(value))
        ? undefined
        : `the value "${value}" is not int`;
    case 'float':
    case 'double':
      return value.trim() !== '' && Number.isFinite(Number(value))
        ? undefined
        : `the value "${value}" is not float`;
    case 'boolean':
    case 'bool':
      return value === 'true' || value === 'false' ? undefined : 'the bool value must be true or false';
    default:
      return `the value type "${type}" is not allowed`;
  }
}

const ZERO: TwinVersion = { cloud: 0, edge: 0 };

function sameVersion(a: TwinVersion, b: TwinVersion | undefined): boolean {
  return b !== undefined && a.cloud === b.cloud && a.edge === b.edge;
}

/**
 * Applies `update` (twin name → twin, `null` = delete) from `source` to `current` at time `now`.
 * Pure: `current` is not modified. See the module comment for the rules.
 */
export function mergeTwins(
  current: Readonly<Record<string, StoredTwin>>,
  update: Readonly<Record<string, MsgTwin | null>>,
  source: TwinSource,
  now: number,
): MergeOutcome | MergeRejection {
  const out: MergeOutcome = { ok: true, writes: {}, document: {}, result: {}, report: {}, refused: {} };
  for (const [key, msg] of Object.entries(update)) {
    const stored = current[key];
    const problem =
      stored === undefined
        ? addTwin(out, key, msg, source, now)
        : isDeletion(stored, msg, source)
          ? deleteTwin(out, key, stored, msg, source)
          : compareTwin(out, key, stored, msg, source, now);
    if (problem !== undefined) return { ok: false, code: 400, reason: `twin "${key}": ${problem}` };
  }
  return out;
}

function isDeletion(stored: StoredTwin, msg: MsgTwin | null, source: TwinSource): boolean {
  if (msg === null) return true;
  return source === 'cloud' && msg.metadata?.type === DELETED_TYPE;
}

function valueMeta(value: TwinValue, source: TwinSource, now: number): ValueMetadata {
  const ts = value.metadata?.timestamp;
  return { timestamp: source === 'edge' && typeof ts === 'number' && ts > 0 ? ts : now };
}

/** dealTwinAdd: a twin the device does not have yet. Returns a problem for an edge update. */
function addTwin(
  out: MergeOutcome,
  key: string,
  msg: MsgTwin | null,
  source: TwinSource,
  now: number,
): string | undefined {
  if (msg === null) return source === 'edge' ? 'the twin does not exist, so it cannot be deleted' : undefined;
  const t: StoredTwin = {
    name: key,
    description: '',
    optional: msg.optional ?? true,
    attrType: msg.metadata?.type ?? DEFAULT_VALUE_TYPE,
  };
  if (source === 'cloud' && isDeleted(t)) {
    // A deleted twin synced from the cloud keeps its versions, so a stale re-add is refused later.
    if (msg.expected_version) t.expectedVersion = { ...msg.expected_version };
    if (msg.actual_version) t.actualVersion = { ...msg.actual_version };
    out.writes[key] = t;
    return undefined;
  }
  const valueType = isDeleted(t) ? DEFAULT_VALUE_TYPE : t.attrType;
  for (const side of ['expected', 'actual'] as const) {
    const value = msg[side];
    if (value?.value === undefined) continue;
    const incoming = side === 'expected' ? msg.expected_version : msg.actual_version;
    const v = dealVersion(ZERO, incoming, source);
    if (!v.ok) {
      // Only a cloud sync can be refused here: KubeEdge drops the twin ("reject add twin").
      out.refused[key] = v.reason;
      return undefined;
    }
    const problem = valueTypeProblem(valueType, value.value);
    if (problem !== undefined) {
      if (source === 'edge') return problem;
      out.refused[key] = problem;
      return undefined;
    }
    if (side === 'expected') {
      t.expected = value.value;
      t.expectedMeta = valueMeta(value, source, now);
      t.expectedVersion = v.version;
    } else {
      t.actual = value.value;
      t.actualMeta = valueMeta(value, source, now);
      t.actualVersion = v.version;
    }
  }
  out.writes[key] = t;
  out.document[key] = { last: null, current: isDeleted(t) ? null : toMsgTwin(t, false) };
  if (source === 'edge') {
    out.result[key] = toMsgTwin(t, false);
    out.report[key] = toMsgTwin(t, true);
  }
  return undefined;
}

/** dealTwinDelete: mark the twin deleted, keeping (and for the edge, incrementing) its versions. */
function deleteTwin(
  out: MergeOutcome,
  key: string,
  stored: StoredTwin,
  msg: MsgTwin | null,
  source: TwinSource,
): string | undefined {
  if (isDeleted(stored)) return undefined;
  if (source === 'edge' && !stored.optional) return 'the twin is not optional, so it cannot be deleted';
  const t = cloneTwin(stored);
  for (const side of ['expected', 'actual'] as const) {
    const have = side === 'expected' ? t.expectedVersion : t.actualVersion;
    if (have === undefined) continue;
    const incoming = side === 'expected' ? msg?.expected_version : msg?.actual_version;
    const v = dealVersion(have, incoming, source === 'edge' ? 'edge' : 'cloudDelete');
    if (!v.ok) {
      out.refused[key] = v.reason;
      out.report[key] = toMsgTwin(stored, true);
      return undefined;
    }
    if (side === 'expected') t.expectedVersion = v.version;
    else t.actualVersion = v.version;
  }
  delete t.expected;
  delete t.expectedMeta;
  delete t.actual;
  delete t.actualMeta;
  t.attrType = DELETED_TYPE;
  out.writes[key] = t;
  out.document[key] = { last: toMsgTwin(stored, false), current: null };
  if (source === 'edge') {
    out.result[key] = null;
    out.report[key] = {
      optional: t.optional,
      metadata: { type: DELETED_TYPE },
      ...(t.expectedVersion ? { expected_version: { ...t.expectedVersion } } : {}),
      ...(t.actualVersion ? { actual_version: { ...t.actualVersion } } : {}),
    };
  }
  return undefined;
}

/** dealTwinCompare: an existing twin gets new values, type or optional flag. */
function compareTwin(
  out: MergeOutcome,
  key: string,
  stored: StoredTwin,
  msg: MsgTwin | null,
  source: TwinSource,
  now: number,
): string | undefined {
  if (msg === null) return undefined; // isDeletion handled null
  const t = cloneTwin(stored);
  const wasDeleted = isDeleted(stored);
  const valueType = wasDeleted ? (msg.metadata?.type ?? DEFAULT_VALUE_TYPE) : stored.attrType;
  let write = false;
  let visible = false; // a change a mapper should see in a document
  let refused = false;
  const report: MsgTwin = {};

  for (const side of ['expected', 'actual'] as const) {
    const value = msg[side];
    if (value?.value === undefined || refused) continue;
    const problem = valueTypeProblem(valueType, value.value);
    if (problem !== undefined) {
      if (source === 'edge') return problem;
      out.refused[key] = problem;
      continue;
    }
    const before = side === 'expected' ? t.expected : t.actual;
    if (source === 'edge' && side === 'expected' && before === value.value) continue;
    const have = (side === 'expected' ? t.expectedVersion : t.actualVersion) ?? ZERO;
    const incoming = side === 'expected' ? msg.expected_version : msg.actual_version;
    // The same value at the same version again (a membership/detail resent): nothing to do.
    if (source === 'cloud' && before === value.value && sameVersion(have, incoming)) continue;
    const v = dealVersion(have, incoming, source);
    if (!v.ok) {
      // Cloud sync refused: tell the cloud what the edge holds (syncResult), and stop here, as
      // dealTwinCompare does (isSyncAllow = false).
      refused = true;
      out.refused[key] = v.reason;
      const mine = toMsgTwin(stored, true);
      if (side === 'expected') {
        if (mine.expected) report.expected = mine.expected;
        report.expected_version = { ...have };
      } else {
        if (mine.actual) report.actual = mine.actual;
        report.actual_version = { ...have };
      }
      continue;
    }
    const meta = valueMeta(value, source, now);
    if (side === 'expected') {
      t.expected = value.value;
      t.expectedMeta = meta;
      t.expectedVersion = v.version;
    } else {
      t.actual = value.value;
      t.actualMeta = meta;
      t.actualVersion = v.version;
    }
    write = true;
    if (before !== value.value) visible = true;
    if (source === 'edge') {
      report[side] = { value: value.value, metadata: { ...meta } };
      if (side === 'expected') report.expected_version = { ...v.version };
      else report.actual_version = { ...v.version };
    }
  }

  if (!refused) {
    // KubeEdge lets optional change only from true to false.
    if (msg.optional !== undefined && msg.optional !== t.optional && t.optional) {
      t.optional = msg.optional;
      write = visible = true;
    }
    // The type changes only when a deleted twin comes back (dealTwinCompare: attr_type is set
    // only for a deleted twin); a revived twin without a type is a string.
    if (wasDeleted && write) {
      t.attrType = msg.metadata?.type ?? DEFAULT_VALUE_TYPE;
      visible = true;
    }
  }

  if (write) {
    out.writes[key] = t;
    if (visible)
      out.document[key] = {
        last: wasDeleted ? null : toMsgTwin(stored, false),
        current: toMsgTwin(t, false),
      };
  }
  if (source === 'edge' && write) {
    // What the cloud records: the reported value and, as observedDesired, the desired value the
    // edge holds (kubeedge-protocol.md §7.4 "Where the cloud writes values").
    if (report.expected === undefined && t.expected !== undefined) {
      report.expected = { value: t.expected, ...(t.expectedMeta ? { metadata: { ...t.expectedMeta } } : {}) };
      if (t.expectedVersion) report.expected_version = { ...t.expectedVersion };
    }
    report.optional = t.optional;
    report.metadata = { type: t.attrType };
    out.report[key] = report;
    out.result[key] = toMsgTwin(t, false);
  } else if (source === 'cloud' && refused) {
    report.optional = stored.optional;
    report.metadata = { type: stored.attrType };
    out.report[key] = report;
  }
  return undefined;
}
