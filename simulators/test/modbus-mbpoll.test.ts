// The Modbus TCP simulator on a real port, read and written by mbpoll (Debian's independent Modbus
// master), in every fault mode. One simulator for the file; each test resets the fault.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '@edgeproof/core';
import { ModbusSimulator } from '../src/index.ts';
import { mbpoll } from './support/modbus-clients.ts';

const sim = new ModbusSimulator({
  port: 0,
  unitId: 1,
  logger: silentLogger(),
  points: [
    {
      name: 'temperature',
      register: 'HoldingRegister',
      address: 0,
      dataType: 'float32',
      signal: { kind: 'constant', value: 21.5 },
    },
    {
      name: 'swapped',
      register: 'HoldingRegister',
      address: 2,
      dataType: 'float32',
      isRegisterSwap: true,
      signal: { kind: 'constant', value: -3.25 },
    },
    {
      name: 'level',
      register: 'HoldingRegister',
      address: 4,
      dataType: 'int16',
      scale: 0.1,
      writable: false,
      signal: { kind: 'constant', value: -12.3 },
    },
    {
      name: 'counter',
      register: 'HoldingRegister',
      address: 5,
      dataType: 'int32',
      signal: { kind: 'constant', value: -100000 },
    },
    { name: 'setpoint', register: 'HoldingRegister', address: 10, signal: { kind: 'constant', value: 1 } },
    { name: 'pump', register: 'CoilRegister', address: 0, signal: { kind: 'constant', value: true } },
    { name: 'valve', register: 'CoilRegister', address: 1 },
    { name: 'door', register: 'DiscreteInputRegister', address: 0, signal: { kind: 'constant', value: 1 } },
    {
      name: 'flow',
      register: 'InputRegister',
      address: 0,
      dataType: 'uint16',
      signal: { kind: 'constant', value: 4321 },
    },
  ],
});
let port = 0;

before(async () => {
  await sim.start();
  port = sim.port() ?? 0;
  assert.ok(port > 0, 'port 0 gives a real ephemeral port');
});
after(() => sim.stop());
afterEach(() => {
  sim.clearFault();
  sim.setSignal('setpoint', { kind: 'constant', value: 1 });
});

test('reads all four tables and multi-register values in both word orders', async () => {
  // mbpoll's -B is big-endian word order (ABCD), the simulator's default; without it mbpoll reads CDAB.
  const floats = await mbpoll(port, ['-a', '1', '-r', '1', '-c', '1', '-t', '4:float', '-B']);
  assert.equal(floats.code, 0, floats.stderr);
  assert.equal(floats.values.get(1), '21.5');
  const swapped = await mbpoll(port, ['-a', '1', '-r', '3', '-c', '1', '-t', '4:float']);
  assert.equal(swapped.values.get(3), '-3.25');
  const raw = await mbpoll(port, ['-a', '1', '-r', '1', '-c', '5', '-t', '4:hex']);
  assert.deepEqual([...raw.values.values()], ['0x41AC', '0x0000', '0x0000', '0xC050', '0xFF85']);
  const int32 = await mbpoll(port, ['-a', '1', '-r', '6', '-c', '1', '-t', '4:int', '-B']);
  assert.equal(int32.values.get(6), '-100000');
  const coils = await mbpoll(port, ['-a', '1', '-r', '1', '-c', '2', '-t', '0']);
  assert.deepEqual([...coils.values.values()], ['1', '0']);
  const inputs = await mbpoll(port, ['-a', '1', '-r', '1', '-c', '1', '-t', '1']);
  assert.equal(inputs.values.get(1), '1');
  const input = await mbpoll(port, ['-a', '1', '-r', '1', '-c', '1', '-t', '3']);
  assert.equal(input.values.get(1), '4321');
});

test('writes (FC5, FC6, FC15, FC16) change the point, which then holds the written value', async () => {
  const one = await mbpoll(port, ['-a', '1', '-r', '11', '-t', '4'], ['77']);
  assert.equal(one.code, 0, one.stderr);
  assert.equal(sim.value('setpoint'), 77);
  const float = await mbpoll(port, ['-a', '1', '-r', '1', '-t', '4:float', '-B'], ['99.25']);
  assert.equal(float.code, 0, float.stderr);
  assert.equal(sim.value('temperature'), 99.25);
  const back = await mbpoll(port, ['-a', '1', '-r', '1', '-c', '1', '-t', '4:float', '-B']);
  assert.equal(back.values.get(1), '99.25');
  const coil = await mbpoll(port, ['-a', '1', '-r', '2', '-t', '0'], ['1']);
  assert.equal(coil.code, 0, coil.stderr);
  assert.equal(sim.value('valve'), true);
  const coils = await mbpoll(port, ['-a', '1', '-r', '1', '-t', '0'], ['0', '0']);
  assert.equal(coils.code, 0, coils.stderr);
  assert.deepEqual([sim.value('pump'), sim.value('valve')], [false, false]);
  assert.equal(sim.points().find((p) => p.name === 'pump')?.source, 'write');
  sim.setSignal('temperature', { kind: 'constant', value: 21.5 });
  sim.setSignal('pump', { kind: 'constant', value: true });
});

test('addresses no point holds and read-only points give exception 0x02', async () => {
  const gap = await mbpoll(port, ['-a', '1', '-r', '8', '-c', '1', '-t', '4']);
  assert.equal(gap.code, 1);
  assert.match(gap.stderr, /Illegal data address/);
  const readOnly = await mbpoll(port, ['-a', '1', '-r', '5', '-t', '4'], ['1']);
  assert.equal(readOnly.code, 1);
  assert.match(readOnly.stderr, /Illegal data address/);
  assert.equal(sim.value('level'), -12.3);
});

test('fault exception: the client sees the configured exception code, for all or for one point', async () => {
  sim.setFault({ mode: 'exception', code: 'server-device-busy' });
  const busy = await mbpoll(port, ['-a', '1', '-r', '1', '-c', '1', '-t', '4']);
  assert.equal(busy.code, 1);
  assert.match(busy.stderr, /Slave device or server is busy/);
  sim.setFault({ mode: 'exception', code: 0x04, points: ['flow'] });
  const failed = await mbpoll(port, ['-a', '1', '-r', '1', '-c', '1', '-t', '3']);
  assert.match(failed.stderr, /Slave device or server failure/);
  const other = await mbpoll(port, ['-a', '1', '-r', '1', '-c', '1', '-t', '4:float', '-B']);
  assert.equal(other.code, 0, 'points outside the fault answer normally');
  assert.equal(other.values.get(1), '21.5');
  // While the fault holds, a write to a faulty point is not applied.
  sim.setFault({ mode: 'exception', code: 2, points: ['setpoint'] });
  const write = await mbpoll(port, ['-a', '1', '-r', '11', '-t', '4'], ['55']);
  assert.match(write.stderr, /Illegal data address/);
  assert.equal(sim.value('setpoint'), 1);
});

test('fault no-response: the request is swallowed and the client times out', async () => {
  sim.setFault({ mode: 'no-response' });
  const r = await mbpoll(port, ['-a', '1', '-r', '1', '-c', '1', '-t', '4', '-o', '0.3']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Connection timed out/);
  assert.ok(r.ms >= 300, `gave up after ${Math.round(r.ms)} ms`);
});

test('fault delay: the response comes, later than the delay', async () => {
  const fast = await mbpoll(port, ['-a', '1', '-r', '1', '-c', '1', '-t', '4']);
  sim.setFault({ mode: 'delay', ms: 400 });
  const slow = await mbpoll(port, ['-a', '1', '-r', '1', '-c', '1', '-t', '4:float', '-B', '-o', '2']);
  assert.equal(slow.code, 0, slow.stderr);
  assert.equal(slow.values.get(1), '21.5');
  assert.ok(slow.ms >= 400, `answered after ${Math.round(slow.ms)} ms`);
  assert.ok(slow.ms - fast.ms >= 350, `delay ${Math.round(slow.ms - fast.ms)} ms over a normal read`);
});

test('fault drop: the connection is closed as it arrives', async () => {
  sim.setFault({ mode: 'drop' });
  const r = await mbpoll(port, ['-a', '1', '-r', '1', '-c', '1', '-t', '4']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Connection reset by peer|Connection refused|Broken pipe/);
  sim.clearFault();
  const ok = await mbpoll(port, ['-a', '1', '-r', '1', '-c', '1', '-t', '4']);
  assert.equal(ok.code, 0, 'clearing the fault restores service');
});

test('another unit id gets exception 0x0B over TCP, as from a gateway', async () => {
  const r = await mbpoll(port, ['-a', '7', '-r', '1', '-c', '1', '-t', '4']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Target device failed to respond/);
});
