// DeviceStore's group commit (`writeTwinsMany`) and its in-memory mirror: what it returns is what a
// reopen reads back from the tables, and a failed write leaves the mirror as the tables are.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DeviceStore } from './device-store.ts';
import type { StoredTwin } from './stored-twin.ts';
import { tempDir } from './test-kit.ts';

const twin = (name: string, actual: string, edge: number): StoredTwin => ({
  name,
  description: '',
  actual,
  actualMeta: { timestamp: edge },
  actualVersion: { cloud: 0, edge },
  optional: true,
  attrType: 'string',
});

test('writeTwinsMany stores the twins of many devices in one transaction; the mirror equals a reopen', (t) => {
  const path = join(tempDir(t, 'device-store-batch-'), 'edgecore.db');
  const store = DeviceStore.open(path);
  for (const n of ['a', 'b', 'c'])
    store.putDevice({ id: `default/${n}`, name: n, description: '', state: '' });
  const before = store.device('default/a');
  store.writeTwinsMany([
    ['default/a', [twin('x', '1', 1), twin('y', '2', 1)]],
    ['default/b', [twin('x', '3', 1)]],
    ['default/c', []],
  ]);
  store.writeTwinsMany([['default/a', [twin('x', '4', 2), { ...twin('z', '', 1), expected: '' }]]]);
  assert.deepEqual(before?.twins, {}, 'a record already handed out is a snapshot: it does not change');
  const mirrored = store.devices();
  store.close();
  const again = DeviceStore.open(path);
  t.after(() => again.close());
  assert.deepEqual(mirrored, again.devices());
  assert.equal(again.device('default/a')?.twins['x']?.actual, '4');
  assert.equal(again.device('default/a')?.twins['z']?.actual, undefined, 'an empty value reads back as none');
  assert.deepEqual(Object.keys(again.device('default/a')?.twins ?? {}), ['x', 'y', 'z']);
});

test('states, attributes and removals show in the mirror as a reopen shows them', (t) => {
  const path = join(tempDir(t, 'device-store-batch-'), 'edgecore.db');
  const store = DeviceStore.open(path);
  store.writeTwins('default/late', [twin('x', '1', 1)]); // rows before their device
  store.putDevice({ id: 'default/late', name: 'late', description: 'd', state: '' });
  store.putDevice({ id: 'default/gone', name: 'gone', description: '', state: '' });
  store.setState('default/late', 'online', '2026-01-01 00:00:00');
  store.writeAttrs(
    'default/late',
    [{ name: 'vendor', description: '', value: 'acme', optional: true, attrType: 'string' }],
    [],
  );
  store.removeDevice('default/gone');
  const mirrored = store.devices();
  assert.equal(mirrored.length, 1);
  assert.equal(mirrored[0]?.twins['x']?.actual, '1', 'twins written before the device are read with it');
  store.close();
  const again = DeviceStore.open(path);
  t.after(() => again.close());
  assert.deepEqual(mirrored, again.devices());
});
