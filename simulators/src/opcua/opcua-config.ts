/** Strict checking of OPC UA simulator settings, from a YAML file or from code. */
import type { FieldPath, IssueList } from '../config/config-error.ts';
import {
  list,
  mapping,
  oneOf,
  optionalBoolean,
  optionalNumber,
  optionalString,
  string,
  claimUnique,
  nonEmptyList,
} from '../config/fields.ts';
import { parseSignal, type ParseSignalOptions } from '../signals/parse-signal.ts';
import {
  OPCUA_DATA_TYPES,
  OPCUA_SECURITY_MODES,
  OPCUA_SECURITY_POLICIES,
  POINT_NODE_ID,
  type OpcUaPoint,
  type OpcUaSecurityMode,
  type OpcUaSecurityPolicy,
  type OpcUaUser,
} from './opcua-point.ts';

/** Settings of an OPC UA simulator (the YAML file without `protocol`). */
export type OpcUaSettings = {
  name?: string;
  host?: string;
  port?: number;
  /** Default [None, Basic256Sha256]. */
  securityPolicies?: OpcUaSecurityPolicy[];
  /** Default: None with the None policy, SignAndEncrypt with the others. */
  securityModes?: OpcUaSecurityMode[];
  /** Default true. */
  allowAnonymous?: boolean;
  users?: OpcUaUser[];
  points: OpcUaPoint[];
};

export const OPCUA_SETTINGS_FIELDS = [
  'protocol',
  'name',
  'host',
  'port',
  'securityPolicies',
  'securityModes',
  'allowAnonymous',
  'users',
  'points',
] as const;

const POINT_FIELDS = [
  'name',
  'nodeId',
  'dataType',
  'writable',
  'browseName',
  'description',
  'signal',
] as const;

export function parseOpcUaSettings(
  o: Record<string, unknown>,
  path: FieldPath,
  issues: IssueList,
  options: ParseSignalOptions = {},
): OpcUaSettings | undefined {
  const before = issues.count;
  mapping(o, path, issues, OPCUA_SETTINGS_FIELDS);
  const name = optionalString(o, 'name', path, issues);
  const host = optionalString(o, 'host', path, issues);
  const port = optionalNumber(o, 'port', path, issues, { integer: true, min: 0, max: 65535 });
  const policies = enumList(o, 'securityPolicies', path, issues, OPCUA_SECURITY_POLICIES);
  const modes = enumList(o, 'securityModes', path, issues, OPCUA_SECURITY_MODES);
  const allowAnonymous = optionalBoolean(o, 'allowAnonymous', path, issues);
  const users = parseUsers(o.users, [...path, 'users'], issues);
  const points = parseOpcUaPoints(o.points, [...path, 'points'], issues, options);
  const effectivePolicies = policies ?? ['None', 'Basic256Sha256'];
  if (modes) {
    const none = effectivePolicies.includes('None');
    const secure = effectivePolicies.some((p) => p !== 'None');
    if (modes.includes('None') && !none)
      issues.add([...path, 'securityModes'], 'mode None needs the None security policy');
    if (modes.some((m) => m !== 'None') && !secure) {
      issues.add(
        [...path, 'securityModes'],
        'modes Sign and SignAndEncrypt need a security policy other than None',
      );
    }
  }
  if (allowAnonymous === false && (users ?? []).length === 0) {
    issues.add([...path, 'allowAnonymous'], 'false needs at least one entry in users, or nobody can connect');
  }
  if (issues.count > before || !points) return undefined;
  return {
    points,
    ...(name !== undefined ? { name } : {}),
    ...(host !== undefined ? { host } : {}),
    ...(port !== undefined ? { port } : {}),
    ...(policies !== undefined ? { securityPolicies: policies } : {}),
    ...(modes !== undefined ? { securityModes: modes } : {}),
    ...(allowAnonymous !== undefined ? { allowAnonymous } : {}),
    ...(users !== undefined ? { users } : {}),
  };
}

function enumList<T extends string>(
  o: Record<string, unknown>,
  key: string,
  path: FieldPath,
  issues: IssueList,
  choices: readonly T[],
): T[] | undefined {
  if (o[key] === undefined) return undefined;
  const raw = list(o[key], [...path, key], issues);
  if (!raw) return undefined;
  if (raw.length === 0) {
    issues.add([...path, key], `needs at least one of ${choices.join(', ')}`);
    return undefined;
  }
  const out: T[] = [];
  raw.forEach((_, i) => {
    const v = oneOf(raw as unknown as Record<string, unknown>, String(i), [...path, key], issues, choices);
    if (v !== undefined) out.push(v);
  });
  return out.length === raw.length ? [...new Set(out)] : undefined;
}

function parseUsers(value: unknown, path: FieldPath, issues: IssueList): OpcUaUser[] | undefined {
  if (value === undefined) return undefined;
  const raw = list(value, path, issues);
  if (!raw) return undefined;
  const users: OpcUaUser[] = [];
  raw.forEach((u, i) => {
    const o = mapping(u, [...path, i], issues, ['username', 'password']);
    if (!o) return;
    const username = string(o, 'username', [...path, i], issues);
    const password = string(o, 'password', [...path, i], issues);
    if (username !== undefined && users.some((x) => x.username === username)) {
      issues.add([...path, i, 'username'], `user ${username} is listed twice`);
      return;
    }
    if (username !== undefined && password !== undefined) users.push({ username, password });
  });
  return users.length === raw.length ? users : undefined;
}

export function parseOpcUaPoints(
  value: unknown,
  path: FieldPath,
  issues: IssueList,
  options: ParseSignalOptions = {},
): OpcUaPoint[] | undefined {
  const raw = nonEmptyList(value, path, issues, 'point');
  if (!raw) return undefined;
  const before = issues.count;
  const points: OpcUaPoint[] = [];
  const names = new Map<string, number>();
  const nodeIds = new Map<string, number>();
  raw.forEach((item, i) => {
    const at = [...path, i];
    const o = mapping(item, at, issues, POINT_FIELDS);
    if (!o) return;
    const start = issues.count;
    const name = string(o, 'name', at, issues);
    const nodeId = string(o, 'nodeId', at, issues);
    const dataType = oneOf(o, 'dataType', at, issues, OPCUA_DATA_TYPES);
    const writable = optionalBoolean(o, 'writable', at, issues);
    const browseName = optionalString(o, 'browseName', at, issues);
    const description = optionalString(o, 'description', at, issues);
    const signal =
      o.signal === undefined ? undefined : parseSignal(o.signal, [...at, 'signal'], issues, options);
    if (name !== undefined) claimUnique(names, name, i, path, 'name', 'the name', issues);
    if (nodeId !== undefined) {
      if (!POINT_NODE_ID.test(nodeId)) {
        issues.add(
          [...at, 'nodeId'],
          `${JSON.stringify(nodeId)} is not a NodeId of the simulator's namespace: write ns=1;s=Name or ns=1;i=123`,
        );
      } else {
        claimUnique(nodeIds, nodeId, i, path, 'nodeId', 'the NodeId', issues);
      }
    }
    if (dataType !== undefined && dataType !== 'String' && signal !== undefined) {
      const text =
        (signal.kind === 'constant' &&
          typeof signal.value === 'string' &&
          !Number.isFinite(Number(signal.value))) ||
        (signal.kind === 'steps' &&
          signal.steps.some((s) => typeof s.value === 'string' && !Number.isFinite(Number(s.value))));
      if (text) issues.add([...at, 'signal'], `a ${dataType} point carries numbers or booleans, not text`);
    }
    if (issues.count > start || name === undefined || nodeId === undefined || dataType === undefined) return;
    points.push({
      name,
      nodeId,
      dataType,
      ...(writable !== undefined ? { writable } : {}),
      ...(browseName !== undefined ? { browseName } : {}),
      ...(description !== undefined ? { description } : {}),
      ...(signal !== undefined ? { signal } : {}),
    });
  });
  return issues.count > before ? undefined : points;
}
