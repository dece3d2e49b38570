/**
 * The Modbus mapper against real sockets: an aedes broker on an ephemeral port (edgecore's side is
 * an MQTT recorder publishing deltas the way devicetwin does, kubeedge-protocol.md §7.2–7.3), a
 * modbus-serial ServerTCP as the device, and an RTU-over-TCP gateway in front of it. Cycles are
 * 100 ms so the file runs in a few seconds.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '@edgeproof/core';
import type { DeviceProperty } from '@edgeproof/crds';
import { MapperManager, runStandaloneMapper } from '../src/mappers/index.ts';
import {
  ModbusDevice,
  MqttRecorder,
  actualOf,
  device,
  deviceModel,
  eventually,
  freePort,
  startBroker,
  startRtuGateway,
  stateOf,
  type Recorded,
} from './mapper-fixtures.ts';

const CYCLE = 100;
const FAST_BACKOFF = { baseMs: 100, capMs: 400, floorMs: 50 };
const TOPIC = '$hw/events/device/default/thermo-1';

const MODEL = deviceModel('thermo', 'modbus', [
  { name: 'temperature', type: 'FLOAT', accessMode: 'ReadOnly' },
  { name: 'pressure', type: 'FLOAT', accessMode: 'ReadOnly' },
  { name: 'setpoint', type: 'DOUBLE', accessMode: 'ReadWrite', minimum: '20', maximum: '90' },
  { name: 'enable', type: 'INT', accessMode: 'ReadWrite' },
]);

const prop = (
  name: string,
  configData: Record<string, unknown>,
  extra: Partial<DeviceProperty> = {},
): DeviceProperty => ({
  name,
  visitors: { protocolName: 'modbus', configData },
  collectCycle: CYCLE,
  reportCycle: CYCLE,
  ...extra,
});

const PROPS: DeviceProperty[] = [
  prop('temperature', { register: 'HoldingRegister', offset: 0, limit: 1, dataType: 'float', scale: 0.1 }),
  prop('pressure', { register: 'InputRegister', offset: 10, dataType: 'float32', isRegisterSwap: true }),
  prop('setpoint', { register: 'HoldingRegister', offset: 20, dataType: 'float32' }),
  prop('enable', { register: 'CoilRegister', offset: 0, dataType: 'int' }),
];

function tcp(port: number): Record<string, unknown> {
  return { communicateMode: 'TCP', ip: '127.0.0.1', port: String(port), slaveID: 1, timeout: 500 };
}

async function harness(t: TestContext) {
  const broker = await startBroker();
  const rec = await MqttRecorder.connect(broker.url, ['$hw/events/device/#', 'factory/#']);
  const modbus = new ModbusDevice(await freePort());
  modbus.holding[0] = 215; // 21.5 °C with scale 0.1
  // 1.5f = 0x3FC00000, low word first (isRegisterSwap).
  modbus.input[10] = 0x0000;
  modbus.input[11] = 0x3fc0;
  await modbus.start();
  const dataDir = await mkdtemp(join(tmpdir(), 'mapper-modbus-'));
  const logs: string[] = [];
  const manager = new MapperManager({
    mqttUrl: broker.url,
    dataDir,
    nodeName: 'edge-1',
    backoff: FAST_BACKOFF,
    logger: createLogger('mappers', { level: 'debug', write: (line) => logs.push(line) }),
  });
  await manager.start();
  const h = { broker, rec, modbus, manager, logs, dataDir };
  t.after(async () => {
    await manager.stop();
    await h.modbus.stop();
    await rec.close();
    await broker.close();
    await rm(dataDir, { recursive: true, force: true });
  });
  return h;
}

const isState = (topic: string, state: string) => (m: Recorded) =>
  m.topic === `${topic}/state/update` && stateOf(m) === state;

test('actual values reach twin/update within two collect cycles, in the mappers-go payload shape', async (t) => {
  const { rec, modbus, manager } = await harness(t);
  // Longer cycles here, so timer jitter on a loaded machine is small against the two-cycle bound.
  const cycle = 250;
  const props = PROPS.map((p) => ({ ...p, collectCycle: cycle, reportCycle: cycle }));
  const status = await manager.upsertDevice(
    device('thermo-1', 'thermo', 'modbus', tcp(modbus.port), props),
    MODEL,
  );
  assert.equal(status.error, undefined);
  const online = await rec.waitFor(isState(TOPIC, 'online'));
  const first = await rec.waitFor((m) => actualOf(m, 'temperature') !== undefined);
  const latency = first.at - online.at;
  t.diagnostic(
    `first twin/update ${latency} ms after the device went online (collect/report cycle ${cycle} ms)`,
  );
  assert.ok(latency <= 2 * cycle, `first report after ${latency} ms`);
  assert.equal(first.topic, `${TOPIC}/twin/update`);
  const msg = first.json as {
    event_id: string;
    timestamp: number;
    twin: Record<
      string,
      { actual: { value: string; metadata: { timestamp: number } }; metadata: { type: string } }
    >;
  };
  assert.match(msg.event_id, /^[0-9a-f-]{36}$/);
  assert.equal(typeof msg.timestamp, 'number');
  assert.deepEqual(msg.twin['temperature'], {
    actual: { value: '21.5', metadata: { timestamp: msg.twin['temperature']?.actual.metadata.timestamp } },
    metadata: { type: 'float' },
  });
  // A report carries what was read since the last one, so the other properties may come in the next.
  await rec.waitFor((m) => actualOf(m, 'pressure') === '1.5');
  const enable = await rec.waitFor((m) => actualOf(m, 'enable') === '0');
  const enableTwin = (enable.json as { twin: Record<string, { metadata: { type: string } }> }).twin;
  assert.equal(enableTwin['enable']?.metadata.type, 'int');
  const online1 = (await rec.waitFor(isState(TOPIC, 'online'))).json as Record<string, unknown>;
  assert.deepEqual(Object.keys(online1).sort(), ['event_id', 'state', 'timestamp']);
  // Values keep coming every report cycle.
  modbus.holding[0] = 230;
  await rec.waitFor((m) => actualOf(m, 'temperature') === '23');
});

test('a twin delta is written to the holding register and the coil; ReadOnly and out-of-range values are refused', async (t) => {
  const { rec, modbus, manager, logs } = await harness(t);
  await manager.upsertDevice(device('thermo-1', 'thermo', 'modbus', tcp(modbus.port), PROPS), MODEL);
  await rec.waitFor(isState(TOPIC, 'online'));
  const from = rec.messages.length;
  const now = Date.now();
  // edgecore's DeviceTwinDelta (edge/pkg/devicetwin/dttype/types.go): {event_id, timestamp, twin, delta}.
  await rec.publish(`${TOPIC}/twin/update/delta`, {
    event_id: 'delta-1',
    timestamp: now,
    twin: {
      setpoint: { expected: { value: '65', metadata: { timestamp: now } }, metadata: { type: 'double' } },
      enable: { expected: { value: '1', metadata: { timestamp: now } }, metadata: { type: 'int' } },
      temperature: { expected: { value: '99', metadata: { timestamp: now } }, metadata: { type: 'float' } },
    },
    delta: { setpoint: '65', enable: '1', temperature: '99' },
  });
  await eventually(() => {
    assert.deepEqual([modbus.holding[20], modbus.holding[21]], [0x4282, 0x0000]); // 65.0f
    assert.equal(modbus.coils[0], true);
  });
  assert.equal(modbus.holding[0], 215, 'ReadOnly temperature untouched');
  await rec.waitFor((m) => actualOf(m, 'setpoint') === '65', 3000, from);
  await rec.waitFor((m) => actualOf(m, 'enable') === '1', 3000, from);
  await eventually(() =>
    assert.ok(
      logs.some((l) => /write refused: property "temperature" is ReadOnly in DeviceModel thermo/.test(l)),
    ),
  );
  await rec.publish(`${TOPIC}/twin/update/delta`, {
    event_id: 'delta-2',
    timestamp: Date.now(),
    twin: {},
    delta: { setpoint: '95' },
  });
  await eventually(() => assert.ok(logs.some((l) => /above the DeviceModel maximum 90/.test(l))));
  assert.deepEqual([modbus.holding[20], modbus.holding[21]], [0x4282, 0x0000]);
});

test('the device going away turns it offline; it is back online, with values, once the device returns', async (t) => {
  const h = await harness(t);
  const { rec, manager } = h;
  await manager.upsertDevice(device('thermo-1', 'thermo', 'modbus', tcp(h.modbus.port), PROPS), MODEL);
  await rec.waitFor(isState(TOPIC, 'online'));
  const goneAt = Date.now();
  await h.modbus.stop();
  const offline = await rec.waitFor(isState(TOPIC, 'offline'));
  t.diagnostic(`offline reported ${offline.at - goneAt} ms after the device went away`);
  assert.match(manager.deviceStatus('default', 'thermo-1')?.lastError ?? '', /127\.0\.0\.1/);
  await new Promise((r) => setTimeout(r, 300)); // a few failed reconnects
  const back = new ModbusDevice(h.modbus.port);
  back.holding[0] = 199;
  h.modbus = back;
  const returnedAt = Date.now();
  await back.start();
  const from = rec.messages.indexOf(offline);
  const online = await rec.waitFor(isState(TOPIC, 'online'), 3000, from);
  t.diagnostic(`online again ${online.at - returnedAt} ms after the device returned (back-off cap 400 ms)`);
  await rec.waitFor((m) => actualOf(m, 'temperature') === '19.9', 3000, from);
});

test('a bad visitor or protocol gets a clear error and state unhealthy; the other device keeps working', async (t) => {
  const { rec, modbus, manager } = await harness(t);
  const bad = await manager.upsertDevice(
    device('bad-1', 'thermo', 'modbus', tcp(modbus.port), [
      prop('temperature', { register: 'Holding', offset: 0 }),
    ]),
    MODEL,
  );
  assert.match(
    bad.error ?? '',
    /Device default\/bad-1 property temperature visitors\.configData\.register is "Holding"; expected one of CoilRegister/,
  );
  assert.equal(bad.state, 'unhealthy');
  const zigbee = await manager.upsertDevice(device('zb-1', 'thermo', 'zigbee', {}, []), MODEL);
  assert.match(zigbee.error ?? '', /no mapper for protocol "zigbee"; this edge runs modbus, opcua/);
  const noHost = await manager.upsertDevice(device('nohost-1', 'thermo', 'modbus', { port: 502 }, []), MODEL);
  assert.match(noHost.error ?? '', /set ip \(and port\) for Modbus TCP, or serialPort/);
  await manager.upsertDevice(device('thermo-1', 'thermo', 'modbus', tcp(modbus.port), PROPS), MODEL);
  await rec.waitFor(isState('$hw/events/device/default/bad-1', 'unhealthy'));
  await rec.waitFor(isState('$hw/events/device/default/zb-1', 'unhealthy'));
  const firstGood = await rec.waitFor((m) => m.topic === `${TOPIC}/twin/update`);
  await rec.waitFor((m) => m.topic === `${TOPIC}/twin/update`, 3000, rec.messages.indexOf(firstGood) + 1);
  assert.equal(manager.deviceStatus('default', 'thermo-1')?.state, 'online');
  // Fixing the bad device's spec starts it.
  const fixed = await manager.upsertDevice(
    device('bad-1', 'thermo', 'modbus', tcp(modbus.port), [
      prop('temperature', { register: 'HoldingRegister', offset: 0, limit: 1, scale: 0.1 }),
    ]),
    MODEL,
  );
  assert.equal(fixed.error, undefined);
  await rec.waitFor(isState('$hw/events/device/default/bad-1', 'online'));
});

test('a Modbus exception response makes the device unhealthy while connected; fixing the visitor brings it online', async (t) => {
  const { rec, modbus, manager } = await harness(t);
  const props = [
    PROPS[0] as DeviceProperty,
    prop('pressure', { register: 'InputRegister', offset: 150, dataType: 'float32' }),
  ];
  await manager.upsertDevice(device('thermo-1', 'thermo', 'modbus', tcp(modbus.port), props), MODEL);
  await rec.waitFor(isState(TOPIC, 'unhealthy'));
  const status = manager.deviceStatus('default', 'thermo-1');
  assert.equal(status?.connected, true);
  assert.match(status?.properties['pressure']?.error ?? '', /Modbus exception 2/);
  // The readable property is still reported.
  await rec.waitFor((m) => actualOf(m, 'temperature') === '21.5');
  props[1] = PROPS[1] as DeviceProperty;
  const from = rec.messages.length;
  await manager.upsertDevice(device('thermo-1', 'thermo', 'modbus', tcp(modbus.port), props), MODEL);
  await rec.waitFor(isState(TOPIC, 'online'), 3000, from);
  assert.equal(await manager.removeDevice('default', 'thermo-1'), true);
  assert.equal(manager.deviceStatus('default', 'thermo-1'), undefined);
});

test('pushMethod.mqtt publishes each reading as a DataModel JSON, to the edge broker and to another broker', async (t) => {
  const { rec, modbus, manager, broker } = await harness(t);
  const other = await startBroker();
  const otherRec = await MqttRecorder.connect(other.url, ['line/#']);
  t.after(async () => {
    await otherRec.close();
    await other.close();
  });
  const props = [
    prop(
      'temperature',
      { register: 'HoldingRegister', offset: 0, limit: 1, dataType: 'float', scale: 0.1 },
      {
        pushMethod: {
          mqtt: {
            address: `tcp://127.0.0.1:${broker.port}`,
            topic: 'factory/thermo-1/temperature',
            qos: 1,
            retained: true,
          },
        },
      },
    ),
    prop(
      'pressure',
      { register: 'InputRegister', offset: 10, dataType: 'float32', isRegisterSwap: true },
      {
        reportToCloud: false,
        pushMethod: {
          mqtt: { address: `tcp://127.0.0.1:${other.port}`, topic: 'line/pressure', qos: 0, retained: false },
        },
      },
    ),
  ];
  await manager.upsertDevice(device('thermo-1', 'thermo', 'modbus', tcp(modbus.port), props), MODEL);
  const pushed = await rec.waitFor((m) => m.topic === 'factory/thermo-1/temperature');
  const dm = pushed.json as Record<string, unknown>;
  assert.deepEqual(
    { ...dm, TimeStamp: typeof dm['TimeStamp'] },
    {
      DeviceName: 'thermo-1',
      PropertyName: 'temperature',
      Namespace: 'default',
      Value: '21.5',
      Type: 'float',
      TimeStamp: 'number',
    },
  );
  const remote = await otherRec.waitFor((m) => m.topic === 'line/pressure');
  assert.equal((remote.json as Record<string, unknown>)['Value'], '1.5');
  // reportToCloud: false keeps pressure out of twin/update.
  const twin = await rec.waitFor((m) => actualOf(m, 'temperature') !== undefined);
  assert.equal(actualOf(twin, 'pressure'), undefined);
  // retained: a subscriber that comes later still gets the last reading.
  const late = await MqttRecorder.connect(broker.url, ['factory/#']);
  t.after(() => late.close());
  await late.waitFor((m) => m.topic === 'factory/thermo-1/temperature');
});

test('RTU frames over TCP (rtuOverTCP) through a serial gateway: reads and writes', async (t) => {
  const { rec, modbus, manager } = await harness(t);
  const gateway = await startRtuGateway(modbus.port);
  t.after(() => gateway.close());
  const config = {
    communicateMode: 'RTU',
    rtuOverTCP: true,
    ip: '127.0.0.1',
    port: gateway.port,
    slaveID: 1,
    timeout: 500,
  };
  await manager.upsertDevice(device('thermo-1', 'thermo', 'modbus', config, PROPS), MODEL);
  await rec.waitFor((m) => actualOf(m, 'temperature') === '21.5' && actualOf(m, 'pressure') === '1.5');
  await rec.publish(`${TOPIC}/twin/update/delta`, {
    event_id: 'd',
    timestamp: Date.now(),
    twin: {},
    delta: { setpoint: '42.5' },
  });
  await eventually(() => assert.deepEqual([modbus.holding[20], modbus.holding[21]], [0x422a, 0x0000])); // 42.5f
  await rec.waitFor((m) => actualOf(m, 'setpoint') === '42.5');
});

test('a standalone mapper runs the crds example Device and DeviceModel unchanged but for addresses and cycles', async (t) => {
  const broker = await startBroker();
  const rec = await MqttRecorder.connect(broker.url, ['$hw/events/device/#', 'factory/#']);
  const modbus = new ModbusDevice(await freePort());
  modbus.holding[0] = 215;
  await modbus.start();
  const dir = await mkdtemp(join(tmpdir(), 'mapper-standalone-'));
  const examples = fileURLToPath(new URL('../../crds/examples/', import.meta.url));
  const deviceYaml = (await readFile(join(examples, 'modbus-device.yaml'), 'utf8'))
    .replace("port: '5020'", `port: '${modbus.port}'`)
    .replaceAll('Cycle: 10000', `Cycle: ${CYCLE}`)
    .replace('tcp://127.0.0.1:1883', `tcp://127.0.0.1:${broker.port}`);
  const both = join(dir, 'thermometer.yaml');
  await writeFile(
    both,
    `${await readFile(join(examples, 'modbus-device-model.yaml'), 'utf8')}\n---\n${deviceYaml}`,
  );
  const manager = await runStandaloneMapper({
    devices: [both],
    mqttUrl: broker.url,
    dataDir: join(dir, 'data'),
    nodeName: 'edge-node-1',
    backoff: FAST_BACKOFF,
    logger: createLogger('mapper', { write: () => {} }),
  });
  t.after(async () => {
    await manager.stop();
    await modbus.stop();
    await rec.close();
    await broker.close();
    await rm(dir, { recursive: true, force: true });
  });
  const id = '$hw/events/device/default/modbus-thermometer-01';
  await rec.waitFor(isState(id, 'online'));
  // The example's temperature-enable has desired value 1: written to coil 0 on connect.
  await eventually(() => assert.equal(modbus.coils[0], true));
  await rec.waitFor((m) => m.topic === `${id}/twin/update` && actualOf(m, 'temperature') === '21.5');
  await rec.waitFor((m) => actualOf(m, 'temperature-enable') === '1');
  await rec.waitFor((m) => m.topic === 'factory/modbus-thermometer-01/temperature');
});
