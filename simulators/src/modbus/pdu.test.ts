import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '@edgeproof/core';
import { PointStore } from '../points/point-store.ts';
import type { ModbusPoint } from './modbus-point.ts';
import { decodeRequest, executeRequest } from './pdu.ts';
import { RegisterMap } from './register-map.ts';

const POINTS: ModbusPoint[] = [
  {
    name: 'temp',
    register: 'HoldingRegister',
    address: 0,
    dataType: 'float32',
    signal: { kind: 'constant', value: 21.5 },
  },
  { name: 'mode', register: 'HoldingRegister', address: 2, signal: { kind: 'constant', value: 3 } },
  {
    name: 'limit',
    register: 'HoldingRegister',
    address: 3,
    writable: false,
    signal: { kind: 'constant', value: 9 },
  },
  { name: 'run', register: 'CoilRegister', address: 0, signal: { kind: 'constant', value: true } },
  { name: 'alarm', register: 'CoilRegister', address: 1 },
  { name: 'door', register: 'DiscreteInputRegister', address: 5, signal: { kind: 'constant', value: 1 } },
  {
    name: 'flow',
    register: 'InputRegister',
    address: 100,
    dataType: 'int16',
    scale: 0.1,
    signal: { kind: 'constant', value: -1.5 },
  },
];

function setup(): { map: RegisterMap; store: PointStore; run: (hex: string) => string } {
  const store = new PointStore(POINTS, new FakeClock());
  store.start();
  const map = new RegisterMap(POINTS, store);
  const run = (hex: string): string => {
    const decoded = decodeRequest(Buffer.from(hex.replace(/\s/g, ''), 'hex'));
    const pdu =
      'request' in decoded
        ? executeRequest(decoded.request, map)
        : Buffer.from([decoded.fc | 0x80, decoded.exception]);
    return pdu.toString('hex');
  };
  return { map, store, run };
}

test('reads of the four tables (FC1-FC4)', () => {
  const { run } = setup();
  assert.equal(run('03 0000 0003'), '030641ac00000003');
  assert.equal(run('01 0000 0002'), '010101'); // run on, alarm off: LSB first (§6.1)
  assert.equal(run('02 0005 0001'), '020101');
  assert.equal(run('04 0064 0001'), '0402fff1');
});

test('writes change the points and echo as the spec says (FC5, FC6, FC15, FC16)', () => {
  const { run, store } = setup();
  assert.equal(run('05 0001 ff00'), '050001ff00');
  assert.equal(store.value('alarm'), true);
  assert.equal(run('06 0002 0007'), '0600020007');
  assert.equal(store.value('mode'), 7);
  assert.equal(run('0f 0000 0002 01 02'), '0f00000002');
  assert.deepEqual([store.value('run'), store.value('alarm')], [false, true]);
  // 99.25 = 0x42C68000
  assert.equal(run('10 0000 0002 04 42c6 8000'), '1000000002');
  assert.equal(store.value('temp'), 99.25);
  // A write to one register of a float changes only that half.
  assert.equal(run('06 0001 4000'), '0600014000');
  assert.equal(store.value('temp'), Buffer.from('42c64000', 'hex').readFloatBE(0));
  assert.equal(store.state('temp').source, 'write');
});

test('exceptions: illegal function, illegal data value (quantity, format), illegal data address', () => {
  const { run, store } = setup();
  assert.equal(run('2b 0e01 00'), 'ab01');
  assert.equal(run('03 0000 0000'), '8303');
  assert.equal(run('03 0000 007e'), '8303', 'more than 125 registers');
  assert.equal(run('01 0000 07d1'), '8103', 'more than 2000 bits');
  assert.equal(run('05 0000 1234'), '8503', 'a coil value other than FF00/0000');
  assert.equal(run('10 0000 0002 03 0000 00'), '9003', 'byte count not 2 × quantity');
  assert.equal(run('03 0004 0001'), '8302', 'nothing at address 4');
  assert.equal(run('03 0002 0003'), '8302', 'a range running past the last point');
  assert.equal(run('06 0003 0001'), '8602', 'a read-only holding register');
  assert.equal(store.value('limit'), 9);
  assert.equal(run('10 0002 0003 06 0001 0002 0003'), '9002', 'a multiple write is all or nothing');
  assert.equal(store.value('mode'), 3);
});

test('points that overlap or run past 65535 are rejected', () => {
  const store = new PointStore([], new FakeClock());
  assert.throws(
    () =>
      new RegisterMap(
        [
          { name: 'a', register: 'HoldingRegister', address: 0, dataType: 'float32' },
          { name: 'b', register: 'HoldingRegister', address: 1 },
        ],
        store,
      ),
    /points a and b overlap at HoldingRegister address 1/,
  );
  assert.throws(
    () =>
      new RegisterMap([{ name: 'a', register: 'InputRegister', address: 65535, dataType: 'uint32' }], store),
    /runs past the last address 65535/,
  );
});
