import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeBits,
  decodeRegisters,
  encodeBits,
  encodeRegisters,
  formatModbusValue,
  reorder,
  swapByteOrder,
  swapRegisterOrder,
  type ModbusDataType,
  type ModbusEncoding,
} from './modbus-codec.ts';

const enc = (dataType: ModbusDataType, more: Partial<ModbusEncoding> = {}): ModbusEncoding => ({
  dataType,
  scale: 1,
  isSwap: false,
  isRegisterSwap: false,
  ...more,
});
const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);
const words = (...w: number[]): Uint8Array => Uint8Array.from(w.flatMap((x) => [x >> 8, x & 0xff]));
const text = (raw: Uint8Array, e: ModbusEncoding): string => formatModbusValue(decodeRegisters(raw, e));

test('register swap reverses the word order and byte swap exchanges bytes in each word (mappers-go SwitchRegister/SwitchByte)', () => {
  assert.deepEqual(swapRegisterOrder(bytes(1, 2, 3, 4, 5, 6, 7, 8)), bytes(7, 8, 5, 6, 3, 4, 1, 2));
  assert.deepEqual(swapRegisterOrder(bytes(1, 2, 3, 4, 5, 6)), bytes(5, 6, 3, 4, 1, 2));
  assert.deepEqual(swapByteOrder(bytes(1, 2, 3, 4)), bytes(2, 1, 4, 3));
  assert.deepEqual(reorder(bytes(1, 2, 3, 4), { isSwap: true, isRegisterSwap: true }), bytes(4, 3, 2, 1));
  // Both steps undo themselves, so the same call converts back.
  const b = bytes(9, 8, 7, 6, 5, 4, 3, 2);
  const layout = { isSwap: true, isRegisterSwap: true };
  assert.deepEqual(reorder(reorder(b, layout), layout), b);
});

test('a float32 decodes in all four byte orders (ABCD, CDAB, BADC, DCBA)', () => {
  // 21.5f = 0x41AC0000
  assert.equal(text(bytes(0x41, 0xac, 0x00, 0x00), enc('float32')), '21.5');
  assert.equal(text(bytes(0x00, 0x00, 0x41, 0xac), enc('float32', { isRegisterSwap: true })), '21.5');
  assert.equal(text(bytes(0xac, 0x41, 0x00, 0x00), enc('float32', { isSwap: true })), '21.5');
  assert.equal(
    text(bytes(0x00, 0x00, 0xac, 0x41), enc('float32', { isSwap: true, isRegisterSwap: true })),
    '21.5',
  );
  // KubeEdge's `float` over two registers is the same IEEE single; 0.1f reads as 0.1.
  assert.equal(text(bytes(0x3d, 0xcc, 0xcc, 0xcd), enc('float')), '0.1');
});

test('integers decode signed or unsigned as named, with scale and without binary noise', () => {
  assert.equal(text(words(0xfe70), enc('int16')), '-400');
  assert.equal(text(words(0xfe70), enc('uint16')), '65136');
  assert.equal(text(words(0xfe70), enc('int16', { scale: 0.1 })), '-40');
  assert.equal(text(words(3), enc('uint16', { scale: 0.1 })), '0.3');
  assert.equal(text(words(0xffff, 0xfffe), enc('int32')), '-2');
  assert.equal(text(words(0x0001, 0x0000), enc('uint32')), '65536');
  assert.equal(text(words(0x0000, 0x0001), enc('uint32', { isRegisterSwap: true })), '65536');
  assert.equal(text(words(0xffff, 0xffff, 0xffff, 0xffff), enc('int64')), '-1');
  assert.equal(text(words(0xffff, 0xffff, 0xffff, 0xffff), enc('uint64')), '18446744073709551615');
  assert.equal(text(words(0x4035, 0x8000, 0, 0), enc('float64')), '21.5');
  assert.equal(text(words(0x4035, 0x8000, 0, 0), enc('double', { scale: 2 })), '43');
});

test("KubeEdge's int is unsigned over all bytes read, scaled then truncated (TransferData)", () => {
  assert.equal(text(words(0xfe70), enc('int')), '65136');
  assert.equal(text(words(215), enc('int', { scale: 0.1 })), '21');
  assert.equal(text(words(1, 0), enc('int')), '65536');
  assert.throws(() => decodeRegisters(bytes(1, 2, 3, 4, 5, 6), enc('int')), /1, 2, 4 or 8 bytes/);
});

test('float over one register is an int16 scaled (the crds example layout)', () => {
  assert.equal(text(words(215), enc('float', { scale: 0.1 })), '21.5');
  assert.equal(text(words(0xfe70), enc('float', { scale: 0.1 })), '-40');
});

test('booleans are any non-zero register; strings drop trailing NULs', () => {
  assert.equal(text(words(1), enc('boolean')), 'true');
  assert.equal(text(words(0x0100), enc('boolean')), 'true');
  assert.equal(text(words(0), enc('boolean')), 'false');
  assert.equal(text(bytes(0x4f, 0x4b, 0x2d, 0x31, 0, 0), enc('string')), 'OK-1');
  assert.equal(text(bytes(0x4b, 0x4f, 0x31, 0x2d, 0, 0), enc('string', { isSwap: true })), 'OK-1');
});

test('short answers are an error, not a garbage value', () => {
  assert.throws(
    () => decodeRegisters(words(1), enc('float32')),
    /needs 4 bytes \(2 registers\) but the device returned 2/,
  );
  assert.throws(() => decodeRegisters(words(1, 2), enc('float64')), /needs 8 bytes/);
});

test('bits: boolean is the first coil, int sets bit i from coil offset+i', () => {
  assert.equal(decodeBits(bytes(0b1), 1, enc('boolean')), true);
  assert.equal(decodeBits(bytes(0b10), 1, enc('boolean')), false);
  assert.equal(decodeBits(bytes(0b1010_0101, 0b1), 9, enc('int')), 0b1_1010_0101);
  assert.equal(decodeBits(bytes(0b101), 3, enc('int', { scale: 10 })), 50);
  assert.throws(() => decodeBits(bytes(0), 1, enc('float32')), /boolean or int/);
});

test('twin text has no + in exponents and refuses NaN', () => {
  assert.equal(formatModbusValue(1e21), '1e21');
  assert.equal(formatModbusValue(true), 'true');
  assert.equal(formatModbusValue(12n), '12');
  assert.throws(() => formatModbusValue(NaN), /cannot be reported/);
});

test('encoding is the inverse of decoding for every type and byte order', () => {
  const cases: [ModbusDataType, number, string, Partial<ModbusEncoding>][] = [
    ['int16', 1, '-400', {}],
    ['int16', 1, '-40', { scale: 0.1 }],
    ['uint16', 1, '65535', {}],
    ['int32', 2, '-123456', { isRegisterSwap: true }],
    ['uint32', 2, '4000000000', { isSwap: true }],
    ['int64', 4, '-9007199254740993', { isSwap: true, isRegisterSwap: true }],
    ['uint64', 4, '18446744073709551615', {}],
    ['float32', 2, '21.5', { isRegisterSwap: true }],
    ['float64', 4, '-0.001', { isSwap: true }],
    ['double', 4, '65.25', {}],
    ['float', 1, '21.5', { scale: 0.1 }],
    ['float', 2, '0.1', {}],
    ['int', 1, '65000', {}],
    ['int', 2, '70000', { isRegisterSwap: true }],
    ['boolean', 1, 'true', {}],
    ['string', 3, 'pump-7', { isSwap: true }],
  ];
  for (const [dataType, n, value, more] of cases) {
    const e = enc(dataType, more);
    const encoded = encodeRegisters(value, e, n);
    assert.equal(encoded.length, n, `${dataType} word count`);
    assert.equal(text(words(...encoded), e), value, `${dataType} ${JSON.stringify(more)}`);
  }
});

test('encoding rounds to register units and refuses what does not fit', () => {
  assert.deepEqual(encodeRegisters('21.55', enc('int16', { scale: 0.1 }), 1), [216]);
  assert.deepEqual(encodeRegisters('1', enc('uint16'), 1), [1]);
  assert.deepEqual(encodeRegisters('1', enc('uint16', { isSwap: true }), 1), [0x0100]);
  assert.throws(() => encodeRegisters('70000', enc('uint16'), 1), /outside uint16's range 0\.\.65535/);
  assert.throws(() => encodeRegisters('-1', enc('int'), 1), /outside int's range/);
  assert.throws(() => encodeRegisters('warm', enc('float32'), 2), /"warm" is not a number/);
  assert.throws(() => encodeRegisters('1e40', enc('float32'), 2), /does not fit a 32-bit float/);
  assert.throws(() => encodeRegisters('maybe', enc('boolean'), 1), /not a boolean/);
  assert.throws(() => encodeRegisters('toolong', enc('string'), 2), /7 bytes; 2 registers hold 4/);
  assert.throws(() => encodeRegisters('1', enc('int32'), 1), /needs 2 registers/);
});

test('coil encoding: one boolean, or the bits of an int', () => {
  assert.deepEqual(encodeBits('true', enc('boolean'), 1), [true]);
  assert.deepEqual(encodeBits('0', enc('boolean'), 1), [false]);
  assert.deepEqual(encodeBits('5', enc('int'), 3), [true, false, true]);
  assert.throws(() => encodeBits('8', enc('int'), 3), /does not fit 3 coils \(0\.\.7\)/);
  assert.throws(() => encodeBits('true', enc('boolean'), 2), /sets one coil/);
});
