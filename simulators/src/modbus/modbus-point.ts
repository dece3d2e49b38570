/**
 * A Modbus point: a named value at an address of one of the four Modbus tables, encoded as
 * KubeEdge's Modbus mapper decodes it (kubeedge/mappers-go mappers/modbus/device/twindata.go
 * `TransferData`: `isRegisterSwap` reverses the order of the registers, `isSwap` swaps the two
 * bytes inside each register, and value = raw × scale).
 */
import type { SignalModel } from '../signals/signal-model.ts';

/** The four tables, with the names KubeEdge visitors use for them (`register:`). */
export const MODBUS_TABLES = [
  'CoilRegister',
  'DiscreteInputRegister',
  'InputRegister',
  'HoldingRegister',
] as const;
export type ModbusTable = (typeof MODBUS_TABLES)[number];

/**
 * How a value is laid out in registers. `boolean` is one bit in the bit tables (coils, discrete
 * inputs) and 0/1 in one register in the register tables.
 */
export const MODBUS_DATA_TYPES = [
  'boolean',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'float32',
  'float64',
] as const;
export type ModbusDataType = (typeof MODBUS_DATA_TYPES)[number];

export const MODBUS_TRANSPORTS = ['tcp', 'rtu-over-tcp'] as const;
/** `tcp`: MBAP framing (Modbus TCP). `rtu-over-tcp`: RTU frames with CRC over a TCP stream. */
export type ModbusTransport = (typeof MODBUS_TRANSPORTS)[number];

export type ModbusPoint = {
  name: string;
  register: ModbusTable;
  /** The 0-based protocol (PDU) address, what KubeEdge visitors call `offset`; mbpoll's `-r` is this + 1. */
  address: number;
  /** Default `boolean` in the bit tables, `uint16` in the register tables. */
  dataType?: ModbusDataType;
  /** value = raw × scale + valueOffset; raw = (value − valueOffset) / scale. Default 1. */
  scale?: number;
  /** Default 0 (KubeEdge has no offset; this is for devices that report e.g. Kelvin − 273.15). */
  valueOffset?: number;
  /** Swap the two bytes of every register (KubeEdge `isSwap`). */
  isSwap?: boolean;
  /** Reverse the order of the registers of a multi-register value (KubeEdge `isRegisterSwap`). */
  isRegisterSwap?: boolean;
  /** Whether clients may write it; default true for coils and holding registers (the writable tables). */
  writable?: boolean;
  /** Default: constant 0. */
  signal?: SignalModel;
  description?: string;
};

export function isBitTable(table: ModbusTable): boolean {
  return table === 'CoilRegister' || table === 'DiscreteInputRegister';
}

export function dataTypeOf(point: ModbusPoint): ModbusDataType {
  return point.dataType ?? (isBitTable(point.register) ? 'boolean' : 'uint16');
}

/** How many 16-bit registers (or bits, in a bit table) a point occupies. */
export function widthOf(point: ModbusPoint): number {
  if (isBitTable(point.register)) return 1;
  return registerCount(dataTypeOf(point));
}

export function registerCount(type: ModbusDataType): 1 | 2 | 4 {
  switch (type) {
    case 'boolean':
    case 'int16':
    case 'uint16':
      return 1;
    case 'int32':
    case 'uint32':
    case 'float32':
      return 2;
    case 'float64':
      return 4;
  }
}

export function isWritable(point: ModbusPoint): boolean {
  const writableTable = point.register === 'CoilRegister' || point.register === 'HoldingRegister';
  return writableTable && (point.writable ?? true);
}
