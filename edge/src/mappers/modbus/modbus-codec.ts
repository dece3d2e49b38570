/**
 * Modbus values ↔ bytes, as pure functions. Semantics follow KubeEdge's Modbus mapper
 * (kubeedge/mappers-go `mappers/modbus/device/twindata.go` TransferData, SwitchRegister, SwitchByte;
 * `mappers/modbus/driver/client.go` Get/Set), with the differences called out where they are made:
 *
 * - Byte order: registers arrive big-endian (Modbus Application Protocol V1.1b3 §4.2). With
 *   `isRegisterSwap` the order of the 16-bit registers is reversed (word swap, for devices that put
 *   the low word first); with `isSwap` the two bytes inside every register are exchanged (byte
 *   swap). mappers-go applies the register swap first, then the byte swap; the two commute, and
 *   each undoes itself, so writing applies the same two steps.
 * - `scale` multiplies the decoded number (`value × scale`); writing divides by it. mappers-go
 *   defaults a missing scale to 0 (Go zero value) and so reports 0 for everything; here it is 1.
 * - KubeEdge's type names keep their mappers-go meaning: `int` is the unsigned big-endian integer
 *   of all the bytes read (1, 2, 4 or 8), scaled and truncated toward zero; `float` is an IEEE 754
 *   single over two registers; `double` an IEEE 754 double over four; `boolean` is true when the
 *   value is not zero (mappers-go tests only the first byte, which for a holding register is the
 *   high byte, so a register holding 1 read as false there); `string` is the bytes as UTF-8,
 *   trailing NULs dropped.
 * - edgeproof extension: `float` over a single register reads it as int16 and scales it. Devices
 *   commonly store 21.5 °C as 215 with `scale: 0.1` (crds/examples/modbus-device.yaml does); in
 *   mappers-go that layout fails with "BytesToFloat bytes length is invalid".
 * - Explicit widths `int16`, `uint16`, `int32`, `uint32`, `int64`, `uint64`, `float32`, `float64`
 *   are signed/unsigned as named and are not truncated after scaling.
 * - Coils and discrete inputs are bits: `boolean` is the first bit; `int` the unsigned number whose
 *   bit i is coil `offset + i` (mappers-go reads the packed bytes big-endian, which agrees for up
 *   to eight coils).
 */
import { InvalidInputError } from '@edgeproof/core';
import { formatNumber, parseBooleanText, parseNumberText, shortestFloat32, tidy } from '../value-text.ts';

/** Register tables (mappers-go `driver/client.go` Get). */
export const MODBUS_REGISTERS = [
  'CoilRegister',
  'DiscreteInputRegister',
  'InputRegister',
  'HoldingRegister',
] as const;
export type ModbusRegister = (typeof MODBUS_REGISTERS)[number];

/** Value types a visitor's `dataType` may name: explicit widths, then KubeEdge's names. */
export const MODBUS_DATA_TYPES = [
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'uint64',
  'float32',
  'float64',
  'int',
  'float',
  'double',
  'boolean',
  'string',
] as const;
export type ModbusDataType = (typeof MODBUS_DATA_TYPES)[number];

/** A decoded value before it becomes twin text. 64-bit integers stay exact as bigint. */
export type ModbusValue = number | bigint | boolean | string;

/** How the bytes of a register value are ordered on the device. */
export type ByteLayout = { isSwap: boolean; isRegisterSwap: boolean };

/** What the codec needs from a visitor. */
export type ModbusEncoding = ByteLayout & { dataType: ModbusDataType; scale: number };

/** Coils and discrete inputs carry bits; input and holding registers carry 16-bit words. */
export function isBitRegister(register: ModbusRegister): boolean {
  return register === 'CoilRegister' || register === 'DiscreteInputRegister';
}

/**
 * How many registers a type occupies: `[min, max]`. `int` spans 1, 2 or 4 registers (mappers-go
 * accepts 1, 2, 4 or 8 bytes); `string` and `boolean` any number.
 */
export function registerSpan(dataType: ModbusDataType): { min: number; max: number; allowed?: number[] } {
  switch (dataType) {
    case 'int16':
    case 'uint16':
      return { min: 1, max: 1 };
    case 'int32':
    case 'uint32':
    case 'float32':
      return { min: 2, max: 2 };
    case 'int64':
    case 'uint64':
    case 'float64':
    case 'double':
      return { min: 4, max: 4 };
    case 'float':
      return { min: 1, max: 2 };
    case 'int':
      return { min: 1, max: 4, allowed: [1, 2, 4] };
    case 'boolean':
    case 'string':
      return { min: 1, max: 125 };
  }
}

/** mappers-go SwitchRegister: reverses the order of the 16-bit registers. Returns a copy. */
export function swapRegisterOrder(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  const words = bytes.length >> 1;
  for (let i = 0; i < words; i++) {
    const from = (words - 1 - i) * 2;
    out[i * 2] = bytes[from] ?? 0;
    out[i * 2 + 1] = bytes[from + 1] ?? 0;
  }
  return out;
}

/** mappers-go SwitchByte: exchanges the two bytes of every register. Returns a copy. */
export function swapByteOrder(bytes: Uint8Array): Uint8Array {
  const out = Uint8Array.from(bytes);
  for (let i = 0; i + 1 < out.length; i += 2) {
    out[i] = bytes[i + 1] ?? 0;
    out[i + 1] = bytes[i] ?? 0;
  }
  return out;
}

/** Device byte order → big-endian (and back: both steps are involutions and commute). */
export function reorder(bytes: Uint8Array, layout: ByteLayout): Uint8Array {
  let out: Uint8Array = Uint8Array.from(bytes);
  if (layout.isRegisterSwap) out = swapRegisterOrder(out);
  if (layout.isSwap) out = swapByteOrder(out);
  return out;
}

function scaled(n: number, scale: number): number {
  return scale === 1 ? n : tidy(n * scale);
}

function needBytes(bytes: Uint8Array, n: number, dataType: ModbusDataType): void {
  if (bytes.length < n) {
    throw new InvalidInputError(
      `${dataType} needs ${n} bytes (${n / 2} registers) but the device returned ${bytes.length}`,
    );
  }
}

function unsignedOf(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

/** Decodes what an input or holding register read returned (`limit` registers, 2 bytes each). */
export function decodeRegisters(raw: Uint8Array, enc: ModbusEncoding): ModbusValue {
  const be = reorder(raw, enc);
  const view = new DataView(be.buffer, be.byteOffset, be.byteLength);
  const { dataType, scale } = enc;
  switch (dataType) {
    case 'int16':
      needBytes(be, 2, dataType);
      return scaled(view.getInt16(0), scale);
    case 'uint16':
      needBytes(be, 2, dataType);
      return scaled(view.getUint16(0), scale);
    case 'int32':
      needBytes(be, 4, dataType);
      return scaled(view.getInt32(0), scale);
    case 'uint32':
      needBytes(be, 4, dataType);
      return scaled(view.getUint32(0), scale);
    case 'int64': {
      needBytes(be, 8, dataType);
      const v = view.getBigInt64(0);
      return scale === 1 ? v : scaled(Number(v), scale);
    }
    case 'uint64': {
      needBytes(be, 8, dataType);
      const v = view.getBigUint64(0);
      return scale === 1 ? v : scaled(Number(v), scale);
    }
    case 'float32':
      needBytes(be, 4, dataType);
      return scaled(shortestFloat32(view.getFloat32(0)), scale);
    case 'float64':
    case 'double':
      needBytes(be, 8, dataType);
      return scaled(view.getFloat64(0), scale);
    case 'float':
      needBytes(be, 2, dataType);
      // One register: int16 scaled (edgeproof extension, see the file comment); two: IEEE single.
      return be.length < 4
        ? scaled(view.getInt16(0), scale)
        : scaled(shortestFloat32(view.getFloat32(0)), scale);
    case 'int': {
      if (![1, 2, 4, 8].includes(be.length)) {
        throw new InvalidInputError(`int needs 1, 2, 4 or 8 bytes but the device returned ${be.length}`);
      }
      const v = unsignedOf(be);
      // mappers-go: int64(float64(raw) * scale), i.e. truncated toward zero.
      return scale === 1 ? v : Math.trunc(Number(v) * scale);
    }
    case 'boolean':
      needBytes(be, 1, dataType);
      return be.some((b) => b !== 0);
    case 'string': {
      let end = be.length;
      while (end > 0 && be[end - 1] === 0) end--;
      return Buffer.from(be.subarray(0, end)).toString('utf8');
    }
  }
}

/** Decodes a coil or discrete input read of `count` bits (packed LSB first, Modbus §6.1). */
export function decodeBits(
  raw: Uint8Array,
  count: number,
  enc: Pick<ModbusEncoding, 'dataType' | 'scale'>,
): ModbusValue {
  const bit = (i: number): number => ((raw[i >> 3] ?? 0) >> (i & 7)) & 1;
  if (raw.length * 8 < count) {
    throw new InvalidInputError(`expected ${count} bits but the device returned ${raw.length * 8}`);
  }
  if (enc.dataType === 'boolean') return bit(0) === 1;
  if (enc.dataType === 'int') {
    let v = 0;
    for (let i = 0; i < count; i++) v += bit(i) * 2 ** i;
    return enc.scale === 1 ? v : Math.trunc(v * enc.scale);
  }
  throw new InvalidInputError(
    `coils and discrete inputs hold bits: dataType must be boolean or int, not ${enc.dataType}`,
  );
}

/** A decoded value as twin text (kubeedge-protocol.md §7.3: values travel as strings). */
export function formatModbusValue(value: ModbusValue): string {
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return formatNumber(value);
  return value;
}

const INT_RANGES = {
  int16: [-0x8000, 0x7fff],
  uint16: [0, 0xffff],
  int32: [-0x80000000, 0x7fffffff],
  uint32: [0, 0xffffffff],
} as const;

/** value / scale as an integer, rounded to the nearest, within [min, max]. */
function rawInteger(text: string, enc: ModbusEncoding, min: number, max: number): number {
  const raw = Math.round(tidy(parseNumberText(text, `${enc.dataType} value`) / enc.scale));
  if (!(raw >= min && raw <= max)) {
    throw new InvalidInputError(
      `value ${text} is ${raw} in register units (scale ${enc.scale}), outside ${enc.dataType}'s range ${min}..${max}`,
    );
  }
  return raw;
}

function rawBigInt(text: string, enc: ModbusEncoding, min: bigint, max: bigint): bigint {
  let raw: bigint;
  if (enc.scale === 1 && /^\s*-?\d+\s*$/.test(text)) raw = BigInt(text.trim());
  else raw = BigInt(Math.round(tidy(parseNumberText(text, `${enc.dataType} value`) / enc.scale)));
  if (raw < min || raw > max) {
    throw new InvalidInputError(
      `value ${text} is ${raw} in register units (scale ${enc.scale}), outside ${enc.dataType}'s range ${min}..${max}`,
    );
  }
  return raw;
}

function rawFloat(text: string, enc: ModbusEncoding, single: boolean): number {
  const raw = parseNumberText(text, `${enc.dataType} value`) / enc.scale;
  if (!Number.isFinite(single ? Math.fround(raw) : raw)) {
    throw new InvalidInputError(`value ${text} does not fit a ${single ? '32' : '64'}-bit float`);
  }
  return raw;
}

/**
 * Encodes a desired value for `words` holding registers, in the device's byte order, as the 16-bit
 * words a write (FC 6 or FC 16) sends.
 * @throws InvalidInputError when the text is not a value of the type or does not fit.
 */
export function encodeRegisters(text: string, enc: ModbusEncoding, words: number): number[] {
  const be = new Uint8Array(words * 2);
  const view = new DataView(be.buffer);
  const need = (n: number): void => {
    if (words * 2 < n)
      throw new InvalidInputError(`${enc.dataType} needs ${n / 2} registers, the visitor has limit ${words}`);
  };
  switch (enc.dataType) {
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'uint32': {
      const [min, max] = INT_RANGES[enc.dataType];
      const raw = rawInteger(text, enc, min, max);
      const wide = enc.dataType === 'int32' || enc.dataType === 'uint32';
      need(wide ? 4 : 2);
      if (enc.dataType === 'int16') view.setInt16(0, raw);
      else if (enc.dataType === 'uint16') view.setUint16(0, raw);
      else if (enc.dataType === 'int32') view.setInt32(0, raw);
      else view.setUint32(0, raw);
      break;
    }
    case 'int64':
      need(8);
      view.setBigInt64(0, rawBigInt(text, enc, -(2n ** 63n), 2n ** 63n - 1n));
      break;
    case 'uint64':
      need(8);
      view.setBigUint64(0, rawBigInt(text, enc, 0n, 2n ** 64n - 1n));
      break;
    case 'float32':
      need(4);
      view.setFloat32(0, rawFloat(text, enc, true));
      break;
    case 'float64':
    case 'double':
      need(8);
      view.setFloat64(0, rawFloat(text, enc, false));
      break;
    case 'float':
      if (words === 1) view.setInt16(0, rawInteger(text, enc, INT_RANGES.int16[0], INT_RANGES.int16[1]));
      else view.setFloat32(0, rawFloat(text, enc, true));
      break;
    case 'int': {
      const bytes = words * 2;
      let v = rawBigInt(text, enc, 0n, 2n ** BigInt(bytes * 8) - 1n);
      for (let i = bytes - 1; i >= 0; i--) {
        be[i] = Number(v & 0xffn);
        v >>= 8n;
      }
      break;
    }
    case 'boolean':
      // A big-endian 1 or 0 across the registers: the last byte carries it.
      be[be.length - 1] = parseBooleanText(text, 'boolean value') ? 1 : 0;
      break;
    case 'string': {
      const bytes = Buffer.from(text, 'utf8');
      if (bytes.length > be.length) {
        throw new InvalidInputError(
          `"${text}" is ${bytes.length} bytes; ${words} registers hold ${be.length}`,
        );
      }
      be.set(bytes);
      break;
    }
  }
  const device = reorder(be, enc);
  const out: number[] = [];
  for (let i = 0; i < device.length; i += 2) out.push(((device[i] ?? 0) << 8) | (device[i + 1] ?? 0));
  return out;
}

/**
 * Encodes a desired value for `count` coils: `boolean` sets one coil; `int` sets bit i of the
 * unscaled number into coil `offset + i`.
 * @throws InvalidInputError when the text is not a value of the type or does not fit.
 */
export function encodeBits(
  text: string,
  enc: Pick<ModbusEncoding, 'dataType' | 'scale'>,
  count: number,
): boolean[] {
  if (enc.dataType === 'boolean') {
    if (count !== 1) throw new InvalidInputError(`a boolean sets one coil; the visitor has limit ${count}`);
    return [parseBooleanText(text, 'coil value')];
  }
  if (enc.dataType === 'int') {
    const raw = Math.round(tidy(parseNumberText(text, 'coil value') / enc.scale));
    if (!(raw >= 0 && raw < 2 ** count)) {
      throw new InvalidInputError(
        `value ${text} does not fit ${count} coil${count === 1 ? '' : 's'} (0..${2 ** count - 1})`,
      );
    }
    return Array.from({ length: count }, (_, i) => Math.floor(raw / 2 ** i) % 2 === 1);
  }
  throw new InvalidInputError(`coils hold bits: dataType must be boolean or int, not ${enc.dataType}`);
}
