/**
 * Strict checking of Modbus simulator settings, from a YAML file or from code: one pass, every
 * problem reported with its field (and line, for files).
 */
import type { FieldPath, IssueList } from '../config/config-error.ts';
import {
  mapping,
  number,
  oneOf,
  optionalBoolean,
  optionalNumber,
  optionalOneOf,
  optionalString,
  string,
  claimUnique,
  nonEmptyList,
} from '../config/fields.ts';
import { parseSignal, type ParseSignalOptions } from '../signals/parse-signal.ts';
import {
  MODBUS_DATA_TYPES,
  MODBUS_TABLES,
  MODBUS_TRANSPORTS,
  isBitTable,
  registerCount,
  type ModbusPoint,
  type ModbusTransport,
} from './modbus-point.ts';

/** Settings of a Modbus simulator (the YAML file without `protocol`). */
export type ModbusSettings = {
  name?: string;
  /** The unit (slave) id it answers to, KubeEdge `slaveID`; default 1. */
  unitId?: number;
  transport?: ModbusTransport;
  host?: string;
  port?: number;
  points: ModbusPoint[];
};

const POINT_FIELDS = [
  'name',
  'register',
  'address',
  'dataType',
  'scale',
  'valueOffset',
  'isSwap',
  'isRegisterSwap',
  'writable',
  'signal',
  'description',
] as const;

export const MODBUS_SETTINGS_FIELDS = [
  'protocol',
  'name',
  'unitId',
  'transport',
  'host',
  'port',
  'points',
] as const;

/** Checks the settings in `o` (already known to be a mapping). */
export function parseModbusSettings(
  o: Record<string, unknown>,
  path: FieldPath,
  issues: IssueList,
  options: ParseSignalOptions = {},
): ModbusSettings | undefined {
  const before = issues.count;
  mapping(o, path, issues, MODBUS_SETTINGS_FIELDS);
  const name = optionalString(o, 'name', path, issues);
  const unitId = optionalNumber(o, 'unitId', path, issues, { integer: true, min: 0, max: 255 });
  const transport = optionalOneOf(o, 'transport', path, issues, MODBUS_TRANSPORTS);
  const host = optionalString(o, 'host', path, issues);
  const port = optionalNumber(o, 'port', path, issues, { integer: true, min: 0, max: 65535 });
  const points = parseModbusPoints(o.points, [...path, 'points'], issues, options);
  if (issues.count > before || !points) return undefined;
  return {
    points,
    ...(name !== undefined ? { name } : {}),
    ...(unitId !== undefined ? { unitId } : {}),
    ...(transport !== undefined ? { transport } : {}),
    ...(host !== undefined ? { host } : {}),
    ...(port !== undefined ? { port } : {}),
  };
}

export function parseModbusPoints(
  value: unknown,
  path: FieldPath,
  issues: IssueList,
  options: ParseSignalOptions = {},
): ModbusPoint[] | undefined {
  const raw = nonEmptyList(value, path, issues, 'point');
  if (!raw) return undefined;
  const before = issues.count;
  const points: ModbusPoint[] = [];
  const names = new Map<string, number>();
  // Per table: which point (by index) holds each address, to report overlaps.
  const used = new Map<string, Map<number, string>>();
  raw.forEach((item, i) => {
    const at = [...path, i];
    const o = mapping(item, at, issues, POINT_FIELDS);
    if (!o) return;
    const start = issues.count;
    const name = string(o, 'name', at, issues);
    const register = oneOf(o, 'register', at, issues, MODBUS_TABLES);
    const address = number(o, 'address', at, issues, { integer: true, min: 0, max: 65535 });
    const dataType = optionalOneOf(o, 'dataType', at, issues, MODBUS_DATA_TYPES);
    const scale = optionalNumber(o, 'scale', at, issues, { nonZero: true });
    const valueOffset = optionalNumber(o, 'valueOffset', at, issues);
    const isSwap = optionalBoolean(o, 'isSwap', at, issues);
    const isRegisterSwap = optionalBoolean(o, 'isRegisterSwap', at, issues);
    const writable = optionalBoolean(o, 'writable', at, issues);
    const description = optionalString(o, 'description', at, issues);
    const signal =
      o.signal === undefined ? undefined : parseSignal(o.signal, [...at, 'signal'], issues, options);
    if (name !== undefined) claimUnique(names, name, i, path, 'name', 'the name', issues);
    if (register !== undefined && isBitTable(register)) {
      if (dataType !== undefined && dataType !== 'boolean') {
        issues.add([...at, 'dataType'], `${an(register)} holds one bit: use boolean or leave dataType out`);
      }
      for (const key of ['scale', 'valueOffset', 'isSwap', 'isRegisterSwap'] as const) {
        if (o[key] !== undefined) issues.add([...at, key], `does not apply to ${an(register)} (one bit)`);
      }
    }
    if (
      register !== undefined &&
      writable === true &&
      (register === 'InputRegister' || register === 'DiscreteInputRegister')
    ) {
      issues.add([...at, 'writable'], `${an(register)} cannot be written over Modbus`);
    }
    if (
      signal?.kind === 'constant' &&
      typeof signal.value === 'string' &&
      !Number.isFinite(Number(signal.value))
    ) {
      issues.add([...at, 'signal'], 'a Modbus point carries numbers or booleans, not text');
    } else if (signal?.kind === 'steps' && signal.steps.some((s) => typeof s.value === 'string')) {
      issues.add([...at, 'signal'], 'a Modbus point carries numbers or booleans, not text');
    }
    if (issues.count > start || name === undefined || register === undefined || address === undefined) return;
    const width = isBitTable(register) ? 1 : registerCount(dataType ?? 'uint16');
    if (address + width - 1 > 0xffff) {
      issues.add(
        [...at, 'address'],
        `${dataType ?? 'uint16'} at ${address} runs past the last address 65535`,
      );
      return;
    }
    const table = used.get(register) ?? new Map<number, string>();
    used.set(register, table);
    for (let a = address; a < address + width; a++) {
      const other = table.get(a);
      if (other !== undefined) {
        issues.add([...at, 'address'], `overlaps point ${other} at ${register} address ${a}`);
        return;
      }
    }
    for (let a = address; a < address + width; a++) table.set(a, name);
    points.push({
      name,
      register,
      address,
      ...(dataType !== undefined ? { dataType } : {}),
      ...(scale !== undefined ? { scale } : {}),
      ...(valueOffset !== undefined ? { valueOffset } : {}),
      ...(isSwap !== undefined ? { isSwap } : {}),
      ...(isRegisterSwap !== undefined ? { isRegisterSwap } : {}),
      ...(writable !== undefined ? { writable } : {}),
      ...(signal !== undefined ? { signal } : {}),
      ...(description !== undefined ? { description } : {}),
    });
  });
  return issues.count > before ? undefined : points;
}

/** `an InputRegister`, `a CoilRegister`. */
function an(word: string): string {
  return /^[AEIOU]/.test(word) ? `an ${word}` : `a ${word}`;
}
