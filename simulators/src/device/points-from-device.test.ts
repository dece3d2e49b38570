import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { Device, DeviceModel } from '@edgeproof/crds';
import { pointsFromDevice } from './points-from-device.ts';

const CRDS = resolve(fileURLToPath(new URL('../../../crds/examples', import.meta.url)));
const load = <T>(name: string): T => parse(readFileSync(join(CRDS, name), 'utf8')) as T;

test('the Modbus example Device: visitors become points, protocol config the connection', () => {
  const config = pointsFromDevice(
    load<DeviceModel>('modbus-device-model.yaml'),
    load<Device>('modbus-device.yaml'),
  );
  assert.deepEqual(config, {
    protocol: 'modbus',
    name: 'modbus-thermometer-01',
    unitId: 1,
    transport: 'tcp',
    host: '127.0.0.1',
    port: 5020,
    points: [
      {
        name: 'temperature',
        register: 'HoldingRegister',
        address: 0,
        // float with limit 1: a signed register × scale (see the table in points-from-device.ts)
        dataType: 'int16',
        scale: 0.1,
        writable: false,
        // ReadOnly with minimum -40 and maximum 125: a sine around the middle of the range, read
        // as a 0.1 °C sensor would
        signal: { kind: 'sine', offset: 42.5, amplitude: 41.25, period: 60_000, resolution: 0.1 },
        description: 'Temperature in degrees Celsius',
      },
      {
        name: 'temperature-enable',
        register: 'CoilRegister',
        address: 0,
        writable: true,
        signal: { kind: 'constant', value: 1 }, // desired.value '1'
        description: '1 collects temperature, 0 stops collection',
      },
    ],
  });
});

test('the OPC UA example Device: nodeIDs, model types, writability from accessMode', () => {
  const config = pointsFromDevice(
    load<DeviceModel>('opcua-device-model.yaml'),
    load<Device>('opcua-device.yaml'),
  );
  assert.equal(config.protocol, 'opcua');
  assert.equal(config.host, '127.0.0.1');
  assert.equal(config.port, 4840);
  assert.deepEqual(config.protocol === 'opcua' ? [config.securityPolicies, config.securityModes] : [], [
    ['None'],
    ['None'],
  ]);
  assert.deepEqual(
    config.points.map((p) => ('nodeId' in p ? [p.name, p.nodeId, p.dataType, p.writable, p.signal] : [])),
    [
      [
        'temperature',
        'ns=1;s=Boiler.Temperature',
        'Double',
        false,
        { kind: 'sine', offset: 0, amplitude: 10, period: 60_000, resolution: 0.1 },
      ],
      ['setpoint', 'ns=1;s=Boiler.Setpoint', 'Double', true, { kind: 'constant', value: 65 }],
      ['running', 'ns=1;s=Boiler.Running', 'Boolean', true, { kind: 'constant', value: true }],
    ],
  );
});

test('signals given by property name replace the defaults', () => {
  const config = pointsFromDevice(
    load<DeviceModel>('modbus-device-model.yaml'),
    load<Device>('modbus-device.yaml'),
    {
      signals: { temperature: { kind: 'ramp', from: 0, to: 10, period: 1000 } },
    },
  );
  assert.deepEqual(config.points[0]?.signal, { kind: 'ramp', from: 0, to: 10, period: 1000 });
});

test('visitor dataType and limit choose the register layout as KubeEdge reads it', () => {
  const model = load<DeviceModel>('modbus-device-model.yaml');
  const device = load<Device>('modbus-device.yaml');
  const layout = (configData: Record<string, unknown>): unknown => {
    const d = structuredClone(device);
    const p = d.spec.properties?.[0];
    if (p?.visitors) p.visitors.configData = { register: 'InputRegister', offset: 4, ...configData };
    const point = pointsFromDevice(model, d).points[0];
    return point && 'register' in point
      ? [point.dataType, point.isSwap ?? false, point.isRegisterSwap ?? false]
      : undefined;
  };
  assert.deepEqual(layout({ dataType: 'int', limit: 1 }), ['uint16', false, false]);
  assert.deepEqual(layout({ dataType: 'int', limit: 2 }), ['uint32', false, false]);
  assert.deepEqual(layout({ dataType: 'float', limit: 2, isRegisterSwap: true }), ['float32', false, true]);
  assert.deepEqual(layout({ dataType: 'double' }), ['float64', false, false]);
  assert.deepEqual(layout({ dataType: 'int32', isSwap: true }), ['int32', true, false]);
  assert.throws(
    () => layout({ dataType: 'int', limit: 3 }),
    /dataType: int with limit 3 has no register layout; use limit 1 or 2/,
  );
  assert.throws(
    () => layout({ dataType: 'float32', limit: 1 }),
    /float32 takes 2 register\(s\), but limit is 1/,
  );
  assert.throws(() => layout({ dataType: 'string' }), /"string" cannot be simulated over Modbus/);
});

test('problems name the Device and the field', () => {
  const model = load<DeviceModel>('modbus-device-model.yaml');
  const device = load<Device>('modbus-device.yaml');
  const unknown = structuredClone(device);
  const first = unknown.spec.properties?.[0];
  if (first) first.name = 'humidity';
  assert.throws(
    () => pointsFromDevice(model, unknown),
    /^ConfigError: Device default\/modbus-thermometer-01: spec\.properties\[0\]\.name: property humidity is not defined by DeviceModel default\/modbus-thermometer/,
  );
  const mqtt = structuredClone(device);
  if (mqtt.spec.protocol) mqtt.spec.protocol.protocolName = 'mqtt';
  assert.throws(
    () => pointsFromDevice(model, mqtt),
    /spec\.protocol\.protocolName: must be modbus or opcua .*not "mqtt"/,
  );
  const port = structuredClone(device);
  if (port.spec.protocol?.configData) port.spec.protocol.configData.port = 'http';
  assert.throws(
    () => pointsFromDevice(model, port),
    /spec\.protocol\.configData\.port: must be a port number, not "http"/,
  );
});
