// The Modbus simulator over real sockets with pymodbus (Debian's python3-pymodbus 3.0) as the
// independent client: RTU framing over TCP (the mapper's RTU code path without a serial port),
// exception codes as the client decodes them, and connections dropped after N requests.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '@edgeproof/core';
import { ModbusSimulator, type ModbusPoint } from '../src/index.ts';
import { pymodbus } from './support/modbus-clients.ts';

const points: ModbusPoint[] = [
  {
    name: 'temperature',
    register: 'HoldingRegister',
    address: 0,
    dataType: 'int16',
    scale: 0.1,
    signal: { kind: 'constant', value: 21.5 },
  },
  {
    name: 'energy',
    register: 'HoldingRegister',
    address: 1,
    dataType: 'uint32',
    isSwap: true,
    signal: { kind: 'constant', value: 0x01020304 },
  },
  { name: 'relay-1', register: 'CoilRegister', address: 0 },
  { name: 'relay-2', register: 'CoilRegister', address: 1 },
  { name: 'relay-3', register: 'CoilRegister', address: 2 },
];

const tcp = new ModbusSimulator({ port: 0, unitId: 3, points, logger: silentLogger() });
const rtu = new ModbusSimulator({
  port: 0,
  unitId: 5,
  transport: 'rtu-over-tcp',
  points,
  logger: silentLogger(),
});

before(() => Promise.all([tcp.start(), rtu.start()]));
after(() => Promise.all([tcp.stop(), rtu.stop()]));

test('RTU over TCP: reads and multiple writes with CRC-checked RTU frames', async () => {
  const port = rtu.port() ?? 0;
  const { results } = await pymodbus(
    port,
    [
      { fn: 'read_holding_registers', args: [0, 3] },
      { fn: 'write_registers', args: [0, [250, 0x0a0b, 0x0c0d]] },
      { fn: 'write_coils', args: [0, [true, false, true]] },
      { fn: 'read_coils', args: [0, 3] },
      { fn: 'read_holding_registers', args: [7, 1] },
    ],
    { rtu: true, unit: 5 },
  );
  // isSwap swaps the bytes in each register: 0x0102 0x0304 → 0x0201 0x0403.
  assert.deepEqual(results[0]?.registers, [215, 0x0201, 0x0403]);
  assert.equal(results[1]?.ok, true);
  assert.equal(rtu.value('temperature'), 25);
  assert.equal(rtu.value('energy'), 0x0b0a0d0c);
  assert.equal(results[2]?.ok, true);
  assert.deepEqual(results[3]?.bits?.slice(0, 3), [true, false, true]);
  assert.equal(results[4]?.exception, 2, 'an unmapped address is exception 0x02 in RTU framing too');
});

test('RTU over TCP: a frame for another unit is ignored, as on a serial bus', async () => {
  const { results } = await pymodbus(rtu.port() ?? 0, [{ fn: 'read_holding_registers', args: [0, 1] }], {
    rtu: true,
    unit: 9,
    timeoutS: 0.3,
  });
  assert.ok(results[0]?.error, 'no answer');
  assert.ok((results[0]?.ms ?? 0) >= 290, `gave up after ${results[0]?.ms} ms`);
});

test('exception codes reach the client, RTU and TCP alike', async () => {
  rtu.setFault({ mode: 'exception', code: 'server-device-busy' });
  tcp.setFault({ mode: 'exception', code: 'gateway-path-unavailable' });
  try {
    const viaRtu = await pymodbus(rtu.port() ?? 0, [{ fn: 'read_coils', args: [0, 1] }], {
      rtu: true,
      unit: 5,
    });
    assert.equal(viaRtu.results[0]?.exception, 6);
    const viaTcp = await pymodbus(tcp.port() ?? 0, [{ fn: 'read_coils', args: [0, 1] }], { unit: 3 });
    assert.equal(viaTcp.results[0]?.exception, 0x0a);
  } finally {
    rtu.clearFault();
    tcp.clearFault();
  }
});

test('fault drop after N requests: N answers on a connection, then it is closed', async () => {
  tcp.setFault({ mode: 'drop', afterRequests: 2 });
  try {
    const read = { fn: 'read_holding_registers', args: [0, 1] };
    const { connected, results } = await pymodbus(tcp.port() ?? 0, [read, read, read, read], {
      unit: 3,
      timeoutS: 0.5,
    });
    assert.equal(connected, true);
    assert.deepEqual(
      results.slice(0, 2).map((r) => r.registers),
      [[215], [215]],
    );
    assert.ok(results[2]?.error, `the third request fails: ${JSON.stringify(results[2])}`);
    assert.equal(tcp.state().fault.mode, 'drop');
  } finally {
    tcp.clearFault();
  }
  const { results } = await pymodbus(tcp.port() ?? 0, [{ fn: 'read_holding_registers', args: [0, 1] }], {
    unit: 3,
  });
  assert.deepEqual(results[0]?.registers, [215]);
});

test('fault delay with points: only requests touching those points are late', async () => {
  tcp.setFault({ mode: 'delay', ms: 300, points: ['relay-2'] });
  try {
    const { results } = await pymodbus(
      tcp.port() ?? 0,
      [
        { fn: 'read_holding_registers', args: [0, 1] },
        { fn: 'read_coils', args: [0, 3] },
      ],
      { unit: 3, timeoutS: 2 },
    );
    assert.ok((results[0]?.ms ?? 1000) < 250, `untouched point answered in ${results[0]?.ms} ms`);
    // libuv's timers run on a millisecond loop clock, so allow 10 ms against Python's monotonic clock.
    assert.ok((results[1]?.ms ?? 0) >= 290, `relay range answered in ${results[1]?.ms} ms`);
  } finally {
    tcp.clearFault();
  }
});
