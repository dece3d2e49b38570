import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { FakeClock, silentLogger } from '@edgeproof/core';
import { loadDeviceManifests } from './device-manifests.ts';
import { resolveDeviceTarget } from './device-properties.ts';
import { DEFAULT_MAPPER_PROTOCOLS } from './mapper-manager.ts';

const examples = fileURLToPath(new URL('../../../crds/examples/', import.meta.url));

test('the crds examples load and pair by deviceModelRef', async () => {
  const names = [
    'modbus-device-model.yaml',
    'modbus-device.yaml',
    'opcua-device-model.yaml',
    'opcua-device.yaml',
    'nodegroup.yaml',
  ];
  const sources = await Promise.all(
    names.map(async (n) => ({ text: await readFile(examples + n, 'utf8'), source: n })),
  );
  const { devices, problems } = loadDeviceManifests(sources);
  assert.deepEqual(
    devices.map(({ device, model }) => [device.metadata.name, model?.metadata.name]),
    [
      ['modbus-thermometer-01', 'modbus-thermometer'],
      ['opcua-boiler-01', 'opcua-boiler'],
    ],
  );
  assert.equal(problems.length, 1);
  assert.match(problems[0] ?? '', /nodegroup\.yaml document 1: skipping kind NodeGroup/);
  // Both example Devices pass their protocol's configData checks as they are.
  const warnings: string[] = [];
  const logger = { ...silentLogger(), warn: (m: string) => warnings.push(m) };
  for (const { device, model } of devices) {
    assert.ok(model);
    const target = resolveDeviceTarget(device, model);
    const protocol = DEFAULT_MAPPER_PROTOCOLS.find((p) => p.name === target.protocol);
    assert.ok(protocol, target.protocol);
    protocol.createDriver(target, { clock: new FakeClock(), logger, dataDir: '/nonexistent' });
  }
  assert.deepEqual(warnings, []);
});

test('multi-document files, a missing model, and malformed documents', () => {
  const text = [
    'apiVersion: devices.kubeedge.io/v1beta1\nkind: Device\nmetadata: {name: a}\nspec: {deviceModelRef: {name: m}}',
    'apiVersion: devices.kubeedge.io/v1beta1\nkind: DeviceModel\nmetadata: {name: m, namespace: other}\nspec: {}',
    '',
  ].join('\n---\n');
  const { devices, problems } = loadDeviceManifests([{ text, source: 'f.yaml' }]);
  assert.equal(devices[0]?.device.metadata.namespace, 'default');
  assert.equal(devices[0]?.model, undefined);
  assert.match(problems[0] ?? '', /Device default\/a: DeviceModel default\/m is not in the given files/);
  assert.throws(
    () => loadDeviceManifests([{ text: 'kind: Device\n  bad: [', source: 'g.yaml' }]),
    /g\.yaml document 1: not valid YAML/,
  );
  assert.throws(
    () =>
      loadDeviceManifests([
        {
          text: 'apiVersion: devices.kubeedge.io/v1alpha2\nkind: Device\nmetadata: {name: a}',
          source: 'h.yaml',
        },
      ]),
    /apiVersion devices\.kubeedge\.io\/v1alpha2; expected devices\.kubeedge\.io\/v1beta1/,
  );
  assert.throws(
    () =>
      loadDeviceManifests([
        { text: 'apiVersion: devices.kubeedge.io/v1beta1\nkind: DeviceModel\nmetadata: {}', source: 'i' },
      ]),
    /needs metadata\.name/,
  );
});
