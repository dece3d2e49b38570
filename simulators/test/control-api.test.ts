// The control HTTP API as another process uses it: JSON over a real port switches faults and
// signals of a running Modbus simulator, which an independent client (mbpoll) then observes.
// Malformed requests get 4xx with a clear message and never stop the simulator.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '@edgeproof/core';
import { ModbusSimulator, SimulatorControlClient, SimulatorControlServer } from '../src/index.ts';
import { mbpoll } from './support/modbus-clients.ts';

const sim = new ModbusSimulator({
  port: 0,
  logger: silentLogger(),
  points: [
    {
      name: 'temperature',
      register: 'HoldingRegister',
      address: 0,
      dataType: 'int16',
      scale: 0.1,
      signal: { kind: 'constant', value: 20 },
    },
    { name: 'pump', register: 'CoilRegister', address: 0 },
  ],
});
const control = new SimulatorControlServer({ simulator: sim, port: 0, logger: silentLogger() });
let base = '';
let client: SimulatorControlClient;

before(async () => {
  await sim.start();
  await control.start();
  base = control.url() ?? '';
  client = new SimulatorControlClient(base);
});
after(async () => {
  await control.stop();
  await sim.stop();
});

async function http(method: string, path: string, body?: string): Promise<{ status: number; json: unknown }> {
  const res = await fetch(base + path, { method, ...(body !== undefined ? { body } : {}) });
  return { status: res.status, json: await res.json() };
}

test('GET /state and /points show the endpoint, the fault and the current values', async () => {
  const state = await client.state();
  assert.equal(state.protocol, 'modbus');
  assert.equal(state.endpoint, `127.0.0.1:${sim.port()}`);
  assert.deepEqual(state.fault, { mode: 'none' });
  const points = await client.points();
  assert.deepEqual(
    points.map((p) => [p.name, p.value, p.address, p.registers, p.source]),
    [
      ['temperature', 20, 'HoldingRegister 0 int16', [200], 'config'],
      ['pump', false, 'CoilRegister 0 boolean', [0], 'config'],
    ],
  );
  assert.equal((await client.point('pump')).writable, true);
});

test('PUT /faults switches the running simulator; DELETE /faults restores it', async () => {
  const set = await http('PUT', '/faults', JSON.stringify({ mode: 'exception', code: 'server-device-busy' }));
  assert.equal(set.status, 200);
  assert.deepEqual(set.json, { mode: 'exception', code: 6 });
  const busy = await mbpoll(sim.port() ?? 0, ['-a', '1', '-r', '1', '-c', '1', '-t', '4']);
  assert.match(busy.stderr, /Slave device or server is busy/);
  assert.deepEqual(await client.clearFault(), { mode: 'none' });
  const ok = await mbpoll(sim.port() ?? 0, ['-a', '1', '-r', '1', '-c', '1', '-t', '4']);
  assert.equal(ok.values.get(1), '200');
  await client.setFault({ mode: 'delay', ms: 250 });
  const slow = await mbpoll(sim.port() ?? 0, ['-a', '1', '-r', '1', '-c', '1', '-t', '4', '-o', '2']);
  assert.ok(slow.ms >= 250, `answered after ${Math.round(slow.ms)} ms`);
  assert.deepEqual((await http('GET', '/faults')).json, { mode: 'delay', ms: 250 });
  await client.clearFault();
});

test('PUT /points/{name}/signal replaces the signal; durations may be written 10s', async () => {
  const snapshot = await client.setSignal('temperature', { kind: 'ramp', from: 30, to: 40, period: '1h' });
  assert.equal(snapshot.source, 'api');
  assert.deepEqual(snapshot.signal, { kind: 'ramp', from: 30, to: 40, period: 3_600_000 });
  const read = await mbpoll(sim.port() ?? 0, ['-a', '1', '-r', '1', '-c', '1', '-t', '4']);
  assert.equal(read.values.get(1), '300', 'the ramp starts at 30.0 (raw 300) now');
  const constant = await http('PUT', '/points/temperature/signal', '21.5');
  assert.equal(constant.status, 200);
  assert.equal((constant.json as { value: number }).value, 21.5);
});

test('bad requests get 4xx with a clear message, and the simulator keeps serving', async () => {
  const badJson = await http('PUT', '/faults', '{"mode": ');
  assert.equal(badJson.status, 400);
  assert.match(JSON.stringify(badJson.json), /request body is not valid JSON/);
  const unknownMode = await http('PUT', '/faults', JSON.stringify({ mode: 'bad-status' }));
  assert.equal(unknownMode.status, 400);
  assert.match(
    JSON.stringify(unknownMode.json),
    /mode \\"bad-status\\" is not a modbus fault; use one of none, no-response, exception, delay, drop/,
  );
  const empty = await http('PUT', '/faults', '');
  assert.equal(empty.status, 400);
  const badSignal = await http(
    'PUT',
    '/points/temperature/signal',
    JSON.stringify({ kind: 'sine', amplitude: 'big' }),
  );
  assert.equal(badSignal.status, 400);
  assert.match(JSON.stringify(badSignal.json), /amplitude: must be a number, not \\"big\\"/);
  assert.match(JSON.stringify(badSignal.json), /period: must be a duration/);
  const unknownPoint = await http('PUT', '/points/pressure/signal', '1');
  assert.equal(unknownPoint.status, 404);
  assert.match(JSON.stringify(unknownPoint.json), /no point \\"pressure\\"; points are temperature, pump/);
  assert.equal((await http('POST', '/state')).status, 405);
  assert.equal((await http('GET', '/nothing')).status, 404);
  const huge: Response | Error = await fetch(`${base}/faults`, {
    method: 'PUT',
    body: 'x'.repeat(2 << 20),
  }).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
  assert.ok(huge instanceof Error || huge.status === 413, 'an oversized body is refused');
  await assert.rejects(
    client.setFault({ mode: 'drop', afterRequests: -1 }),
    /afterRequests must be a whole number/,
  );
  assert.equal((await client.state()).fault.mode, 'none');
  const still = await mbpoll(sim.port() ?? 0, ['-a', '1', '-r', '1', '-c', '1', '-t', '0']);
  assert.equal(still.code, 0, 'the simulator still answers');
});
