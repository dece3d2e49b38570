/**
 * The Modbus mapper's configData keys, parsed once when a Device is added (ARCHITECTURE.md §4:
 * untyped input is validated at the boundary).
 *
 * Device `spec.protocol.configData` (keys of KubeEdge's Modbus mapper: kubeedge/mappers-go
 * `mappers/modbus/device/device.go` initModbus, `mappers/kubeedge-v1.15.0/modbus/driver/devicetype.go`
 * ConfigData, and crds/examples/modbus-device.yaml):
 * - `communicateMode`: `TCP` or `RTU`. Optional: `serialPort` implies RTU, `ip` implies TCP.
 * - TCP: `ip`, `port` (default 502, the Modbus TCP port).
 * - RTU over a serial line: `serialPort` (device path), `baudRate` (default 19200), `dataBits`
 *   (default 8), `parity` (`none`/`even`/`odd`, also `N`/`E`/`O`; default `even`, the default
 *   the Modbus serial line spec V1.02 §2.5.1 requires), `stopBits` (default 1).
 * - RTU over TCP (edgeproof addition: RTU frames, with CRC, sent over a TCP socket, as serial
 *   device servers and many RS-485 gateways expect): `communicateMode: RTU`, `rtuOverTCP: true`,
 *   `ip`, `port`.
 * - `slaveID` (also `slaveId`; default 1), `timeout` (ms per request and for connecting; default
 *   5000, mappers-go's 5 s).
 *
 * Property `visitors.configData`: `register`, `offset`, `limit`, `scale`, `isSwap`,
 * `isRegisterSwap`, `dataType` (modbus-codec.ts explains the value semantics).
 */
import { InvalidInputError } from '@edgeproof/core';
import type { PropertyType } from '@edgeproof/crds';
import {
  configSource,
  optionalBoolean,
  optionalChoice,
  optionalNumber,
  optionalString,
  unknownKeys,
  type ConfigSource,
} from '../config-values.ts';
import {
  MODBUS_DATA_TYPES,
  MODBUS_REGISTERS,
  isBitRegister,
  registerSpan,
  type ModbusDataType,
  type ModbusEncoding,
  type ModbusRegister,
} from './modbus-codec.ts';

export const MODBUS_DEFAULT_PORT = 502;
export const MODBUS_DEFAULT_TIMEOUT_MS = 5000;

export type ModbusParity = 'none' | 'even' | 'odd' | 'mark' | 'space';

type Common = { slaveId: number; timeoutMs: number };

/** How to reach one Modbus device. */
export type ModbusConnection =
  | (Common & { transport: 'tcp'; host: string; port: number })
  | (Common & { transport: 'rtu-over-tcp'; host: string; port: number })
  | (Common & {
      transport: 'rtu';
      serialPort: string;
      baudRate: number;
      dataBits: 5 | 6 | 7 | 8;
      parity: ModbusParity;
      stopBits: 1 | 2;
    });

/** How to read and write one property. */
export type ModbusVisitor = ModbusEncoding & { register: ModbusRegister; offset: number; limit: number };

const PROTOCOL_KEYS = [
  'communicateMode',
  'ip',
  'port',
  'slaveID',
  'slaveId',
  'serialPort',
  'baudRate',
  'dataBits',
  'parity',
  'stopBits',
  'timeout',
  'rtuOverTCP',
  // mappers-go's RS-485 switch (device.go isRS485Enabled); the serial driver here needs no flag.
  'serialType',
];

const VISITOR_KEYS = ['register', 'offset', 'limit', 'scale', 'isSwap', 'isRegisterSwap', 'dataType'];

const PARITY: Record<string, ModbusParity> = {
  none: 'none',
  n: 'none',
  even: 'even',
  e: 'even',
  odd: 'odd',
  o: 'odd',
  mark: 'mark',
  space: 'space',
};

function warnUnknown(src: ConfigSource, known: string[], warn: ((m: string) => void) | undefined): void {
  const extra = unknownKeys(src, known);
  if (extra.length > 0 && warn) warn(`${src.where}: ignoring unknown key(s) ${extra.join(', ')}`);
}

/**
 * Parses `spec.protocol.configData` of a Modbus Device.
 * @param where names the field in messages, e.g. `Device default/pump-1 spec.protocol.configData`.
 * @throws InvalidInputError naming the key that is wrong and what it should be.
 */
export function parseModbusProtocol(
  configData: unknown,
  where: string,
  warn?: (message: string) => void,
): ModbusConnection {
  const src = configSource(configData, where);
  warnUnknown(src, PROTOCOL_KEYS, warn);
  const explicitMode = optionalChoice(src, ['communicateMode'], ['TCP', 'RTU'] as const);
  const rtuOverTcp = optionalBoolean(src, ['rtuOverTCP']) ?? false;
  const host = optionalString(src, ['ip']);
  const serialPort = optionalString(src, ['serialPort']);
  const slaveId = optionalNumber(src, ['slaveID', 'slaveId'], { integer: true, min: 0, max: 255 }) ?? 1;
  const timeoutMs = optionalNumber(src, ['timeout'], { integer: true, min: 1 }) ?? MODBUS_DEFAULT_TIMEOUT_MS;
  const mode =
    explicitMode ??
    (serialPort !== undefined ? 'RTU' : host !== undefined ? (rtuOverTcp ? 'RTU' : 'TCP') : undefined);
  if (mode === undefined) {
    throw new InvalidInputError(`${where}: set ip (and port) for Modbus TCP, or serialPort for Modbus RTU`);
  }
  const port = (): number =>
    optionalNumber(src, ['port'], { integer: true, min: 1, max: 65535 }) ?? MODBUS_DEFAULT_PORT;
  if (mode === 'TCP') {
    if (rtuOverTcp) {
      throw new InvalidInputError(
        `${where}: rtuOverTCP sends RTU frames, so it needs communicateMode: RTU (or leave communicateMode out)`,
      );
    }
    if (host === undefined) throw new InvalidInputError(`${where}.ip is required for communicateMode: TCP`);
    return { transport: 'tcp', host, port: port(), slaveId, timeoutMs };
  }
  if (rtuOverTcp) {
    if (serialPort !== undefined) {
      throw new InvalidInputError(
        `${where}: both serialPort and rtuOverTCP are set; RTU goes over the serial port or over TCP, not both`,
      );
    }
    if (host === undefined) throw new InvalidInputError(`${where}.ip is required with rtuOverTCP: true`);
    return { transport: 'rtu-over-tcp', host, port: port(), slaveId, timeoutMs };
  }
  if (serialPort === undefined) {
    throw new InvalidInputError(
      host !== undefined
        ? `${where}: communicateMode RTU needs serialPort; to send RTU frames to ${host} over TCP set rtuOverTCP: true, or use communicateMode: TCP`
        : `${where}.serialPort is required for communicateMode: RTU (e.g. /dev/ttyUSB0)`,
    );
  }
  const parityText = optionalString(src, ['parity']);
  const parity = parityText === undefined ? 'even' : PARITY[parityText.toLowerCase()];
  if (parity === undefined) {
    throw new InvalidInputError(`${where}.parity is "${parityText}"; expected none, even or odd`);
  }
  return {
    transport: 'rtu',
    serialPort,
    baudRate: optionalNumber(src, ['baudRate'], { integer: true, min: 1 }) ?? 19200,
    dataBits: (optionalNumber(src, ['dataBits'], { integer: true, min: 5, max: 8 }) ?? 8) as 5 | 6 | 7 | 8,
    parity,
    stopBits: (optionalNumber(src, ['stopBits'], { integer: true, min: 1, max: 2 }) ?? 1) as 1 | 2,
    slaveId,
    timeoutMs,
  };
}

/** KubeEdge's own mapping from a model type to a value type, when a visitor names none. */
function dataTypeFromModel(type: PropertyType | undefined, where: string): ModbusDataType {
  switch (type) {
    case 'INT':
      return 'int';
    case 'FLOAT':
      return 'float';
    case 'DOUBLE':
      return 'double';
    case 'BOOLEAN':
      return 'boolean';
    case 'STRING':
      return 'string';
    case undefined:
    case 'BYTES':
    case 'STREAM':
      throw new InvalidInputError(
        `${where}.dataType is required: the DeviceModel property type is ${type ?? 'not set'}; use one of ${MODBUS_DATA_TYPES.join(', ')}`,
      );
  }
}

/** Modbus §6.1/§6.3: one read returns at most 2000 bits or 125 registers. */
const MAX_BITS = 2000;
const MAX_REGISTERS = 125;

/**
 * Parses a property's `visitors.configData`.
 * @param modelType the DeviceModel property type, used when the visitor names no dataType.
 * @throws InvalidInputError naming the key that is wrong and what it should be.
 */
export function parseModbusVisitor(
  configData: unknown,
  modelType: PropertyType | undefined,
  where: string,
  warn?: (message: string) => void,
): ModbusVisitor {
  const src = configSource(configData, where);
  warnUnknown(src, VISITOR_KEYS, warn);
  const register = optionalChoice(src, ['register'], MODBUS_REGISTERS);
  if (register === undefined) {
    throw new InvalidInputError(`${where}.register is required: one of ${MODBUS_REGISTERS.join(', ')}`);
  }
  const offset = optionalNumber(src, ['offset'], { integer: true, min: 0, max: 65535 });
  if (offset === undefined) {
    throw new InvalidInputError(
      `${where}.offset is required: the 0-based address of the first ${register === 'CoilRegister' || register === 'DiscreteInputRegister' ? 'bit' : 'register'}`,
    );
  }
  const scale = optionalNumber(src, ['scale']) ?? 1;
  if (scale === 0) throw new InvalidInputError(`${where}.scale must not be 0 (it multiplies every value)`);
  const isSwap = optionalBoolean(src, ['isSwap']) ?? false;
  const isRegisterSwap = optionalBoolean(src, ['isRegisterSwap']) ?? false;
  const named = optionalChoice(src, ['dataType'], MODBUS_DATA_TYPES);
  const bits = isBitRegister(register);
  let dataType: ModbusDataType;
  if (bits) {
    dataType = named ?? (modelType === 'INT' ? 'int' : 'boolean');
    if (dataType !== 'boolean' && dataType !== 'int') {
      throw new InvalidInputError(
        `${where}.dataType: ${register} holds bits, so dataType must be boolean or int, not ${dataType}`,
      );
    }
  } else {
    dataType = named ?? dataTypeFromModel(modelType, where);
  }
  const span = bits ? { min: 1, max: dataType === 'int' ? 32 : 1 } : registerSpan(dataType);
  const defaultLimit =
    dataType === 'string' ? undefined : dataType === 'float' ? 2 : span.min === span.max ? span.min : 1;
  const limit =
    optionalNumber(src, ['limit'], { integer: true, min: 1, max: bits ? MAX_BITS : MAX_REGISTERS }) ??
    defaultLimit;
  if (limit === undefined) {
    throw new InvalidInputError(
      `${where}.limit is required for dataType string: the number of registers (2 bytes each)`,
    );
  }
  const unit = bits ? 'bit' : 'register';
  if (limit < span.min || limit > span.max || (span.allowed && !span.allowed.includes(limit))) {
    const expected = span.allowed
      ? span.allowed.join(', ')
      : span.min === span.max
        ? String(span.min)
        : `${span.min} to ${span.max}`;
    throw new InvalidInputError(
      `${where}.limit is ${limit}, but dataType ${dataType} on ${register} spans ${expected} ${unit}s`,
    );
  }
  if (offset + limit > 65536) {
    throw new InvalidInputError(`${where}: offset ${offset} + limit ${limit} runs past address 65535`);
  }
  return { register, offset, limit, dataType, scale, isSwap, isRegisterSwap };
}
