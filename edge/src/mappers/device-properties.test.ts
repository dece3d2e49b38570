import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Device, DeviceModel } from '@edgeproof/crds';
import { resolveDeviceTarget } from './device-properties.ts';

const model: DeviceModel = {
  apiVersion: 'devices.kubeedge.io/v1beta1',
  kind: 'DeviceModel',
  metadata: { name: 'thermo', namespace: 'plant' },
  spec: {
    protocol: 'modbus',
    properties: [
      { name: 'temperature', type: 'FLOAT', accessMode: 'ReadOnly', minimum: '-40', maximum: '125' },
      { name: 'enable', type: 'INT', accessMode: 'ReadWrite' },
      { name: 'label' },
    ],
  },
};

function dev(spec: Partial<Device['spec']>): Device {
  return {
    apiVersion: 'devices.kubeedge.io/v1beta1',
    kind: 'Device',
    metadata: { name: 't1', namespace: 'plant' },
    spec: {
      deviceModelRef: { name: 'thermo' },
      protocol: { protocolName: 'modbus', configData: { ip: 'x' } },
      ...spec,
    },
  };
}

test('joins Device and DeviceModel properties with KubeEdge defaults', () => {
  const t = resolveDeviceTarget(
    dev({
      properties: [
        {
          name: 'temperature',
          collectCycle: 250,
          reportCycle: 500,
          visitors: { configData: { register: 'InputRegister' } },
        },
        {
          name: 'enable',
          desired: { value: '1' },
          reportToCloud: false,
          pushMethod: { mqtt: { topic: 'a/b', qos: 1, retained: true } },
        },
        { name: 'label', collectCycle: 0 },
      ],
      stateReport: { reportCycle: 10000 },
    }),
    model,
  );
  assert.equal(t.namespace, 'plant');
  assert.equal(t.protocol, 'modbus');
  assert.deepEqual(t.protocolConfig, { ip: 'x' });
  assert.equal(t.stateReportCycleMs, 10000);
  assert.deepEqual(t.properties[0], {
    name: 'temperature',
    type: 'FLOAT',
    accessMode: 'ReadOnly',
    minimum: -40,
    maximum: 125,
    collectCycleMs: 250,
    reportCycleMs: 500,
    reportToCloud: true,
    visitorConfig: { register: 'InputRegister' },
  });
  assert.deepEqual(t.properties[1], {
    name: 'enable',
    type: 'INT',
    accessMode: 'ReadWrite',
    collectCycleMs: 1000,
    reportCycleMs: 1000,
    reportToCloud: false,
    desired: '1',
    pushMqtt: { topic: 'a/b', qos: 1, retained: true },
    visitorConfig: undefined,
  });
  // A model property without type or accessMode: STRING and ReadOnly; a zero cycle means the default.
  assert.deepEqual(
    [t.properties[2]?.type, t.properties[2]?.accessMode, t.properties[2]?.collectCycleMs],
    ['STRING', 'ReadOnly', 1000],
  );
});

test('the protocol falls back to the DeviceModel; errors name the field', () => {
  assert.equal(resolveDeviceTarget(dev({ protocol: { configData: {} } }), model).protocol, 'modbus');
  assert.throws(
    () => resolveDeviceTarget(dev({ properties: [{ name: 'humidity' }] }), model),
    /Device plant\/t1 spec\.properties\[0\]: property "humidity" is not defined in DeviceModel thermo \(it has temperature, enable, label\)/,
  );
  assert.throws(
    () => resolveDeviceTarget(dev({ properties: [{ name: 'enable' }, { name: 'enable' }] }), model),
    /listed twice/,
  );
  assert.throws(
    () => resolveDeviceTarget(dev({ properties: [{ name: 'enable', collectCycle: -5 }] }), model),
    /collectCycle must be a positive number of milliseconds/,
  );
  assert.throws(
    () =>
      resolveDeviceTarget(
        dev({ properties: [{ name: 'enable', pushMethod: { mqtt: { topic: 'a/#' } } }] }),
        model,
      ),
    /has a wildcard/,
  );
  assert.throws(
    () =>
      resolveDeviceTarget(
        dev({
          properties: [{ name: 'enable', pushMethod: { mqtt: { topic: 'a', address: '127.0.0.1:1883' } } }],
        }),
        model,
      ),
    /must be a broker URL such as tcp:\/\/127\.0\.0\.1:1883/,
  );
  assert.throws(
    () => resolveDeviceTarget(dev({ deviceModelRef: { name: 'other' } }), model),
    /deviceModelRef\.name is "other"/,
  );
});
