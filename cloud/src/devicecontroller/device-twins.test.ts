import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DeviceObject } from '../edgecontroller/downstream-desired.ts';
import { applyTwinReport, changedTwins, desiredTwins, membershipDevice } from './device-twins.ts';

const device = (rv: string, desired: Record<string, string>): DeviceObject => ({
  apiVersion: 'devices.kubeedge.io/v1beta1',
  kind: 'Device',
  metadata: { name: 'd1', namespace: 'plant', resourceVersion: rv, labels: { description: 'boiler' } },
  spec: {
    properties: [
      { name: 'temperature' },
      ...Object.entries(desired).map(([name, value]) => ({ name, desired: { value } })),
    ],
  },
});

test('desired values become expected twins with the Device resourceVersion as cloud version (§7.4)', () => {
  assert.deepEqual(desiredTwins(device('42', { setpoint: '65' }), 7), {
    setpoint: {
      expected: { value: '65', metadata: { timestamp: 7 } },
      optional: false,
      metadata: { type: 'string' },
      expected_version: { cloud: 42, edge: 0 },
    },
  });
  const m = membershipDevice(device('42', {}), 7);
  assert.deepEqual(m, { id: 'plant/d1', name: 'd1', description: 'boiler', twin: {} });
});

test('changedTwins: undefined without a desired change, deleted twins marked', () => {
  assert.equal(changedTwins(device('1', { a: '1' }), device('2', { a: '1' }), 0), undefined);
  const t = changedTwins(device('1', { a: '1', b: '2' }), device('2', { a: '3' }), 0);
  assert.equal(t?.['a']?.expected?.value, '3');
  assert.equal(t?.['b']?.metadata?.type, 'deleted');
});

test('applyTwinReport replaces or appends defined properties only', () => {
  const twins = applyTwinReport(
    [{ propertyName: 'temperature', reported: { value: '1' } }],
    {
      event_id: '',
      timestamp: 0,
      twin: {
        temperature: { actual: { value: '2', metadata: { timestamp: 5 } }, metadata: { type: 'float' } },
        setpoint: { expected: { value: '65' } },
        unknown: { actual: { value: '9' } },
      },
    },
    new Set(['temperature', 'setpoint']),
  );
  assert.deepEqual(twins, [
    { propertyName: 'temperature', reported: { value: '2', metadata: { timestamp: '5', type: 'float' } } },
    { propertyName: 'setpoint', observedDesired: { value: '65', metadata: {} } },
  ]);
});
