/**
 * Validation of twin payloads at the wire boundary (MQTT and the cloud link), once, so the rest of
 * the code works with typed values (ARCHITECTURE.md §4). Rules: kubeedge-protocol.md §7.3
 * "Limits" (`edge/pkg/devicetwin/dtcommon/util.go` ValidateTwinKey / ValidateTwinValue).
 */
import { InvalidInputError } from '../errors.ts';
import type {
  BaseMessage,
  DeviceStateRequest,
  DeviceTwinUpdate,
  MembershipDevice,
  MembershipUpdate,
  MsgAttr,
  MsgTwin,
  TwinValue,
  TwinVersion,
} from './twin-types.ts';

/** §7.3: keys at most 128 bytes, values at most 512, from this alphabet. */
const TWIN_KEY = /^[A-Za-z0-9\-_.,:/@#]{1,128}$/;
const TWIN_VALUE = /^[A-Za-z0-9\-_.,:/@#]{1,512}$/;

/** Why a twin name breaks §7.3's rules, or undefined when it is valid. */
export function twinKeyProblem(key: string): string | undefined {
  return TWIN_KEY.test(key)
    ? undefined
    : `twin name "${key}" must be 1–128 characters from [A-Za-z0-9-_.,:/@#] (kubeedge-protocol.md §7.3)`;
}

/** Why a twin value breaks §7.3's rules, or undefined when it is valid. */
export function twinValueProblem(value: string): string | undefined {
  return TWIN_VALUE.test(value)
    ? undefined
    : `twin value "${value.length > 40 ? `${value.slice(0, 40)}…` : value}" must be 1–512 characters from [A-Za-z0-9-_.,:/@#] (kubeedge-protocol.md §7.3)`;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseJson(payload: string | Uint8Array, where: string): unknown {
  const text = typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new InvalidInputError(`${where}: payload is not JSON: ${(err as Error).message}`);
  }
}

function base(v: Json, where: string): BaseMessage {
  const eventId = v['event_id'];
  const timestamp = v['timestamp'];
  if (eventId !== undefined && typeof eventId !== 'string')
    throw new InvalidInputError(`${where}: event_id must be a string`);
  if (timestamp !== undefined && typeof timestamp !== 'number')
    throw new InvalidInputError(`${where}: timestamp must be a number (ms)`);
  return { event_id: eventId ?? '', timestamp: timestamp ?? 0 };
}

function twinValue(v: unknown, where: string): TwinValue | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw new InvalidInputError(`${where} must be an object {value, metadata}`);
  const out: TwinValue = {};
  const value = v['value'];
  if (value !== undefined && value !== null) {
    if (typeof value !== 'string') throw new InvalidInputError(`${where}.value must be a string`);
    const problem = twinValueProblem(value);
    if (problem) throw new InvalidInputError(`${where}.value: ${problem}`);
    out.value = value;
  }
  const metadata = v['metadata'];
  if (isObject(metadata) && typeof metadata['timestamp'] === 'number')
    out.metadata = { timestamp: metadata['timestamp'] };
  return out;
}

function twinVersion(v: unknown, where: string): TwinVersion | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v) || typeof v['cloud'] !== 'number' || typeof v['edge'] !== 'number')
    throw new InvalidInputError(`${where} must be {cloud: number, edge: number}`);
  return { cloud: v['cloud'], edge: v['edge'] };
}

function msgTwin(v: unknown, where: string): MsgTwin {
  if (!isObject(v)) throw new InvalidInputError(`${where} must be an object`);
  const out: MsgTwin = {};
  const expected = twinValue(v['expected'], `${where}.expected`);
  if (expected) out.expected = expected;
  const actual = twinValue(v['actual'], `${where}.actual`);
  if (actual) out.actual = actual;
  if (typeof v['optional'] === 'boolean') out.optional = v['optional'];
  const metadata = v['metadata'];
  if (isObject(metadata) && typeof metadata['type'] === 'string') out.metadata = { type: metadata['type'] };
  const ev = twinVersion(v['expected_version'], `${where}.expected_version`);
  if (ev) out.expected_version = ev;
  const av = twinVersion(v['actual_version'], `${where}.actual_version`);
  if (av) out.actual_version = av;
  return out;
}

function twinMap(v: unknown, where: string): Record<string, MsgTwin | null> {
  if (!isObject(v)) throw new InvalidInputError(`${where}: "twin" must be an object of name → twin`);
  const out: Record<string, MsgTwin | null> = {};
  for (const [key, twin] of Object.entries(v)) {
    const problem = twinKeyProblem(key);
    if (problem) throw new InvalidInputError(`${where}: ${problem}`);
    // A null twin asks for its deletion (dtmanager/twin.go dealTwinDelete).
    out[key] = twin === null ? null : msgTwin(twin, `${where}: twin.${key}`);
  }
  return out;
}

/**
 * Parses a twin update: MQTT `…/twin/update`, or the cloud link's `twin/cloud_updated` /
 * `twin/edge_updated` content.
 * @param where names the topic or resource in error messages.
 * @throws InvalidInputError naming the field that is wrong.
 */
export function parseTwinUpdate(payload: unknown, where: string): DeviceTwinUpdate {
  const v =
    typeof payload === 'string' || payload instanceof Uint8Array ? parseJson(payload, where) : payload;
  if (!isObject(v)) throw new InvalidInputError(`${where}: payload must be a JSON object`);
  return { ...base(v, where), twin: twinMap(v['twin'] ?? {}, where) };
}

/** Parses a mapper's `…/state/update` request. @throws InvalidInputError naming the field. */
export function parseStateRequest(payload: string | Uint8Array, where: string): DeviceStateRequest {
  const v = parseJson(payload, where);
  if (!isObject(v)) throw new InvalidInputError(`${where}: payload must be a JSON object`);
  const state = v['state'];
  if (typeof state !== 'string' || state === '')
    throw new InvalidInputError(`${where}: "state" must be a non-empty string`);
  const reason =
    typeof v['reason'] === 'string' && v['reason'] !== '' ? v['reason'].slice(0, 512) : undefined;
  return { ...base(v, where), state, ...(reason !== undefined ? { reason } : {}) };
}

/** `MsgAttr` (`dttype.MsgAttr`): `{value, optional, metadata: {type}}`; a membership Device carries them (§7.3). */
function msgAttr(v: unknown, where: string): MsgAttr {
  if (!isObject(v) || typeof v['value'] !== 'string')
    throw new InvalidInputError(`${where} must be an object with a string "value"`);
  const out: MsgAttr = { value: v['value'] };
  if (typeof v['optional'] === 'boolean') out.optional = v['optional'];
  const metadata = v['metadata'];
  if (isObject(metadata) && typeof metadata['type'] === 'string') out.metadata = { type: metadata['type'] };
  return out;
}

function membershipDevice(v: unknown, where: string): MembershipDevice {
  if (!isObject(v) || typeof v['id'] !== 'string' || typeof v['name'] !== 'string')
    throw new InvalidInputError(`${where} must have string "id" and "name"`);
  const out: MembershipDevice = { id: v['id'], name: v['name'] };
  if (typeof v['description'] === 'string') out.description = v['description'];
  if (typeof v['state'] === 'string') out.state = v['state'];
  if (typeof v['last_online'] === 'string') out.last_online = v['last_online'];
  const attributes = v['attributes'];
  if (attributes !== undefined && attributes !== null) {
    if (!isObject(attributes))
      throw new InvalidInputError(`${where}: "attributes" must be an object of name → attribute`);
    out.attributes = Object.fromEntries(
      Object.entries(attributes).map(([name, a]) => [name, msgAttr(a, `${where}.attributes.${name}`)]),
    );
  }
  if (v['twin'] !== undefined && v['twin'] !== null) {
    const twins = twinMap(v['twin'], `${where}`);
    out.twin = Object.fromEntries(Object.entries(twins).filter((e): e is [string, MsgTwin] => e[1] !== null));
  }
  return out;
}

/** Parses the cloud's `membership` content (§7.4). @throws InvalidInputError naming the field. */
export function parseMembershipUpdate(content: unknown, where: string): MembershipUpdate {
  const v = typeof content === 'string' ? parseJson(content, where) : content;
  if (!isObject(v)) throw new InvalidInputError(`${where}: content must be a JSON object`);
  const list = (key: string): MembershipDevice[] => {
    const arr = v[key] ?? [];
    if (!Array.isArray(arr)) throw new InvalidInputError(`${where}: "${key}" must be an array`);
    return arr.map((d, i) => membershipDevice(d, `${where}: ${key}[${i}]`));
  };
  return {
    ...base(v, where),
    added_devices: list('added_devices'),
    removed_devices: list('removed_devices'),
  };
}
