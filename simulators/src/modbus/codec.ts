/**
 * Engineering values ⇄ Modbus registers, as KubeEdge's Modbus mapper reads them
 * (kubeedge/mappers-go mappers/modbus/device/twindata.go `TransferData`, `SwitchRegister`,
 * `SwitchByte`): the mapper takes the registers as received, reverses their order when
 * `isRegisterSwap`, swaps the bytes inside each register when `isSwap`, then reads the bytes big
 * endian and multiplies by `scale`. Both transforms are their own inverse and commute, so encoding
 * applies the same two to the big-endian bytes.
 *
 * Encoding rule: raw = (value − valueOffset) / scale; integer types round to the nearest integer
 * and saturate at their range (a sensor pinned at its limit, not a wrapped value); booleans are
 * true when > 0; a value that is not a finite number encodes as 0.
 */
import type { SignalValue } from '../signals/signal-model.ts';
import { dataTypeOf, registerCount, type ModbusDataType, type ModbusPoint } from './modbus-point.ts';

const RANGES: Partial<Record<ModbusDataType, [number, number]>> = {
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
};

/** A signal value as a boolean (points in the bit tables, OPC UA Boolean). */
export function toBoolean(value: SignalValue): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value > 0;
  return value === 'true' || Number(value) > 0;
}

export function toNumber(value: SignalValue): number {
  if (typeof value === 'boolean') return value ? 1 : 0;
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? n : 0;
}

/** The registers (each 0–65535) that carry `value` for `point`, in wire order. */
export function encodeRegisters(point: ModbusPoint, value: SignalValue): number[] {
  const type = dataTypeOf(point);
  const bytes = Buffer.alloc(registerCount(type) * 2);
  if (type === 'boolean') {
    bytes.writeUInt16BE(toBoolean(value) ? 1 : 0);
  } else {
    const raw = (toNumber(value) - (point.valueOffset ?? 0)) / scaleOf(point);
    writeRaw(bytes, type, Number.isFinite(raw) ? raw : 0);
  }
  swap(bytes, point);
  const regs: number[] = [];
  for (let i = 0; i < bytes.length; i += 2) regs.push(bytes.readUInt16BE(i));
  return regs;
}

/** The engineering value `registers` (wire order, as many as the type needs) carry for `point`. */
export function decodeRegisters(point: ModbusPoint, registers: readonly number[]): number | boolean {
  const type = dataTypeOf(point);
  const bytes = Buffer.alloc(registerCount(type) * 2);
  registers.forEach((r, i) => bytes.writeUInt16BE(r & 0xffff, i * 2));
  swap(bytes, point);
  if (type === 'boolean') return bytes.readUInt16BE(0) !== 0;
  return readRaw(bytes, type) * scaleOf(point) + (point.valueOffset ?? 0);
}

/** The value a client sees after encoding and decoding: quantised by scale and type. */
export function representable(point: ModbusPoint, value: SignalValue): number | boolean {
  return decodeRegisters(point, encodeRegisters(point, value));
}

/** KubeEdge's `scale` is `omitempty`: absent or 0 means 1 (a 0 would turn every value into 0). */
function scaleOf(point: ModbusPoint): number {
  return point.scale === undefined || point.scale === 0 ? 1 : point.scale;
}

function writeRaw(bytes: Buffer, type: Exclude<ModbusDataType, 'boolean'>, raw: number): void {
  switch (type) {
    case 'float32':
      bytes.writeFloatBE(raw);
      return;
    case 'float64':
      bytes.writeDoubleBE(raw);
      return;
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'uint32': {
      const [min, max] = RANGES[type] ?? [0, 0];
      const n = Math.min(max, Math.max(min, Math.round(raw)));
      if (type === 'int16') bytes.writeInt16BE(n);
      else if (type === 'uint16') bytes.writeUInt16BE(n);
      else if (type === 'int32') bytes.writeInt32BE(n);
      else bytes.writeUInt32BE(n);
      return;
    }
  }
}

function readRaw(bytes: Buffer, type: Exclude<ModbusDataType, 'boolean'>): number {
  switch (type) {
    case 'float32':
      return bytes.readFloatBE(0);
    case 'float64':
      return bytes.readDoubleBE(0);
    case 'int16':
      return bytes.readInt16BE(0);
    case 'uint16':
      return bytes.readUInt16BE(0);
    case 'int32':
      return bytes.readInt32BE(0);
    case 'uint32':
      return bytes.readUInt32BE(0);
  }
}

/** Applies isRegisterSwap and isSwap in place (each is its own inverse). */
function swap(bytes: Buffer, point: ModbusPoint): void {
  if (point.isRegisterSwap) {
    const regs = bytes.length / 2;
    for (let i = 0; i < Math.floor(regs / 2); i++) {
      const j = regs - 1 - i;
      const a = bytes.readUInt16BE(i * 2);
      bytes.writeUInt16BE(bytes.readUInt16BE(j * 2), i * 2);
      bytes.writeUInt16BE(a, j * 2);
    }
  }
  if (point.isSwap) bytes.swap16();
}
