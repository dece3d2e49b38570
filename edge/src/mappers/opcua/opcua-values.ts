/**
 * OPC UA values ↔ twin text, as pure functions over node-opcua's JavaScript representations
 * (node-opcua-variant: scalars as JS values, Int64/UInt64 as `[high, low]` uint32 pairs, ByteString
 * as Buffer, LocalizedText as `{text}`). mappers-go's OPC UA driver formats floats with `'E'`
 * (`driver/client.go` valueToString: "2.15E+01"); here a number is its shortest decimal, since the
 * twin value alphabet has no `+` (kubeedge-protocol.md §7.3).
 */
import { InvalidInputError } from '@edgeproof/core';
import { formatNumber, parseBooleanText, parseNumberText, shortestFloat32 } from '../value-text.ts';
import type { OpcUaWriteType } from './opcua-config.ts';

function int64Of(pair: unknown[], signed: boolean): bigint {
  const [high, low] = pair as [number, number];
  const v = (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0);
  return signed ? BigInt.asIntN(64, v) : v;
}

/**
 * A read value as twin text.
 * @param dataTypeName node-opcua's `DataType` name of the Variant (e.g. `Double`, `Int64`).
 * @throws InvalidInputError for values a twin cannot hold (null, arrays, NaN).
 */
export function opcUaValueToText(dataTypeName: string, value: unknown): string {
  if (value === null || value === undefined) {
    throw new InvalidInputError(
      `the node's value is empty (${dataTypeName === 'Null' ? 'Null' : dataTypeName})`,
    );
  }
  if ((dataTypeName === 'Int64' || dataTypeName === 'UInt64') && Array.isArray(value) && value.length === 2) {
    return int64Of(value, dataTypeName === 'Int64').toString();
  }
  if (Buffer.isBuffer(value)) return value.toString('hex');
  if (Array.isArray(value) || ArrayBuffer.isView(value)) {
    throw new InvalidInputError(
      `the node holds an array of ${dataTypeName}; only scalar values can be twin values`,
    );
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number')
    return formatNumber(dataTypeName === 'Float' ? shortestFloat32(value) : value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'string') return value;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') {
    const o = value as { text?: unknown; name?: unknown };
    if (typeof o.text === 'string') return o.text; // LocalizedText
    if (typeof o.name === 'string') return o.name; // QualifiedName
    // NodeId, Guid and the like print their OPC UA string form.
    const text = (value as { toString(): string }).toString();
    if (text !== '[object Object]') return text;
  }
  throw new InvalidInputError(`a ${dataTypeName} value has no twin text form`);
}

const INT_RANGES: Partial<Record<OpcUaWriteType, [number, number]>> = {
  SByte: [-128, 127],
  Byte: [0, 255],
  Int16: [-32768, 32767],
  UInt16: [0, 65535],
  Int32: [-2147483648, 2147483647],
  UInt32: [0, 4294967295],
};

/**
 * A desired value's text as the JS value node-opcua writes for `writeType`.
 * @throws InvalidInputError when the text is not a value of that type or is out of its range.
 */
export function textToOpcUaValue(
  text: string,
  writeType: OpcUaWriteType,
): boolean | number | string | [number, number] {
  switch (writeType) {
    case 'Boolean':
      return parseBooleanText(text, 'Boolean value');
    case 'String':
      return text;
    case 'Float':
    case 'Double': {
      const n = parseNumberText(text, `${writeType} value`);
      if (writeType === 'Float' && !Number.isFinite(Math.fround(n))) {
        throw new InvalidInputError(`${text} does not fit an OPC UA Float (32-bit)`);
      }
      return n;
    }
    case 'Int64':
    case 'UInt64': {
      if (!/^\s*-?\d+\s*$/.test(text))
        throw new InvalidInputError(`${writeType} value: "${text}" is not an integer`);
      const v = BigInt(text.trim());
      const [min, max] = writeType === 'Int64' ? [-(2n ** 63n), 2n ** 63n - 1n] : [0n, 2n ** 64n - 1n];
      if (v < min || v > max)
        throw new InvalidInputError(`${text} is outside ${writeType}'s range ${min}..${max}`);
      const u = BigInt.asUintN(64, v);
      return [Number(u >> 32n), Number(u & 0xffffffffn)];
    }
    case 'SByte':
    case 'Byte':
    case 'Int16':
    case 'UInt16':
    case 'Int32':
    case 'UInt32': {
      const n = parseNumberText(text, `${writeType} value`);
      const [min, max] = INT_RANGES[writeType] ?? [0, 0];
      if (!Number.isInteger(n))
        throw new InvalidInputError(`${writeType} value: "${text}" is not an integer`);
      if (n < min || n > max)
        throw new InvalidInputError(`${text} is outside ${writeType}'s range ${min}..${max}`);
      return n;
    }
  }
}
