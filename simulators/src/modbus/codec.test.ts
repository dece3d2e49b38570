import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRegisters, encodeRegisters, representable } from './codec.ts';
import type { ModbusPoint } from './modbus-point.ts';

const reg = (p: Partial<ModbusPoint>): ModbusPoint => ({
  name: 'p',
  register: 'HoldingRegister',
  address: 0,
  ...p,
});
const hex = (regs: number[]): string[] => regs.map((r) => r.toString(16).padStart(4, '0'));

/**
 * KubeEdge's decoding, transcribed from kubeedge/mappers-go mappers/modbus/device/twindata.go
 * (SwitchRegister, SwitchByte, TransferData): registers as bytes on the wire, register order
 * reversed when isRegisterSwap, bytes swapped in each register when isSwap, then big endian × scale.
 */
function kubeEdgeTransfer(regs: number[], isRegisterSwap: boolean, isSwap: boolean): Buffer {
  const value = Buffer.alloc(regs.length * 2);
  regs.forEach((r, i) => value.writeUInt16BE(r, i * 2));
  if (isRegisterSwap) {
    for (let i = 0; i < value.length / 2; i += 2) {
      const j = value.length - i - 2;
      [value[i], value[j]] = [value[j] ?? 0, value[i] ?? 0];
      [value[i + 1], value[j + 1]] = [value[j + 1] ?? 0, value[i + 1] ?? 0];
    }
  }
  if (isSwap && value.length >= 2) {
    for (let i = 0; i < value.length; i += 2) [value[i], value[i + 1]] = [value[i + 1] ?? 0, value[i] ?? 0];
  }
  return value;
}

test('16-bit types: signed, unsigned, scale and value offset', () => {
  assert.deepEqual(encodeRegisters(reg({ dataType: 'int16' }), -2), [0xfffe]);
  assert.deepEqual(encodeRegisters(reg({ dataType: 'uint16' }), 65535), [0xffff]);
  assert.deepEqual(encodeRegisters(reg({}), 1234), [1234], 'uint16 is the register default');
  // value = raw × scale + valueOffset, so raw = (21.5 − 0) / 0.1 = 215.
  assert.deepEqual(encodeRegisters(reg({ dataType: 'int16', scale: 0.1 }), 21.5), [215]);
  assert.deepEqual(encodeRegisters(reg({ dataType: 'int16', scale: 0.1 }), -12.34), [0x10000 - 123]);
  assert.deepEqual(
    encodeRegisters(reg({ dataType: 'uint16', scale: 0.01, valueOffset: -273.15 }), 20),
    [29315],
  );
  assert.equal(
    decodeRegisters(reg({ dataType: 'uint16', scale: 0.01, valueOffset: -273.15 }), [29315]),
    29315 * 0.01 - 273.15,
  );
  assert.equal(decodeRegisters(reg({ dataType: 'int16', scale: 0.1 }), [0xff85]), -12.3 + 0);
  assert.deepEqual(encodeRegisters(reg({ dataType: 'boolean' }), true), [1]);
  assert.deepEqual(encodeRegisters(reg({ dataType: 'boolean' }), 0), [0]);
});

test('integers round and saturate at their range; non-numbers encode as 0', () => {
  assert.deepEqual(encodeRegisters(reg({ dataType: 'int16' }), 40000), [0x7fff]);
  assert.deepEqual(encodeRegisters(reg({ dataType: 'int16' }), -40000), [0x8000]);
  assert.deepEqual(encodeRegisters(reg({ dataType: 'uint16' }), -5), [0]);
  assert.deepEqual(encodeRegisters(reg({ dataType: 'uint16' }), 2.5), [3]);
  assert.deepEqual(encodeRegisters(reg({ dataType: 'uint32' }), 2 ** 40), [0xffff, 0xffff]);
  assert.deepEqual(encodeRegisters(reg({ dataType: 'uint16' }), 'not a number'), [0]);
  assert.equal(representable(reg({ dataType: 'int16', scale: 0.1 }), 21.57), 21.6);
});

test('32- and 64-bit values: big-endian words by default, isRegisterSwap and isSwap as KubeEdge reads them', () => {
  // 21.5 as float32 is 0x41AC0000.
  const f = (isSwap: boolean, isRegisterSwap: boolean): ModbusPoint =>
    reg({ dataType: 'float32', isSwap, isRegisterSwap });
  assert.deepEqual(hex(encodeRegisters(f(false, false), 21.5)), ['41ac', '0000']); // ABCD
  assert.deepEqual(hex(encodeRegisters(f(false, true), 21.5)), ['0000', '41ac']); // CDAB
  assert.deepEqual(hex(encodeRegisters(f(true, false), 21.5)), ['ac41', '0000']); // BADC
  assert.deepEqual(hex(encodeRegisters(f(true, true), 21.5)), ['0000', 'ac41']); // DCBA
  assert.deepEqual(hex(encodeRegisters(reg({ dataType: 'int32' }), -2)), ['ffff', 'fffe']);
  assert.deepEqual(hex(encodeRegisters(reg({ dataType: 'uint32', isRegisterSwap: true }), 0x12345678)), [
    '5678',
    '1234',
  ]);
  // 1.5 as float64 is 0x3FF8000000000000; register swap reverses all four registers.
  assert.deepEqual(hex(encodeRegisters(reg({ dataType: 'float64' }), 1.5)), ['3ff8', '0000', '0000', '0000']);
  assert.deepEqual(hex(encodeRegisters(reg({ dataType: 'float64', isRegisterSwap: true }), 1.5)), [
    '0000',
    '0000',
    '0000',
    '3ff8',
  ]);
  assert.deepEqual(
    hex(encodeRegisters(reg({ dataType: 'float64', isSwap: true, isRegisterSwap: true }), 1.5)),
    ['0000', '0000', '0000', 'f83f'],
  );
});

test("every layout decodes to the value through KubeEdge's TransferData", () => {
  const cases: [ModbusPoint['dataType'], number][] = [
    ['float32', 21.5],
    ['float64', -1234.5678],
    ['uint32', 305419896],
    ['uint16', 4660],
  ];
  for (const [dataType, value] of cases) {
    for (const isSwap of [false, true]) {
      for (const isRegisterSwap of [false, true]) {
        const p = reg({ dataType, isSwap, isRegisterSwap, scale: 0.5 });
        const bytes = kubeEdgeTransfer(encodeRegisters(p, value), isRegisterSwap, isSwap);
        const raw =
          dataType === 'float32'
            ? bytes.readFloatBE(0)
            : dataType === 'float64'
              ? bytes.readDoubleBE(0)
              : dataType === 'uint32'
                ? bytes.readUInt32BE(0)
                : bytes.readUInt16BE(0);
        assert.equal(raw * 0.5, value, `${dataType} isSwap=${isSwap} isRegisterSwap=${isRegisterSwap}`);
        assert.equal(decodeRegisters(p, encodeRegisters(p, value)), value);
      }
    }
  }
});

test('scale 0 means 1, as KubeEdge leaves an omitted scale at 0', () => {
  assert.deepEqual(encodeRegisters(reg({ scale: 0 }), 7), [7]);
});
