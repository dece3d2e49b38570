import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { StorageError } from '@edgeproof/core';
import { MetaStore } from '../metamanager/store.ts';
import { DeviceStore } from './device-store.ts';
import { tempDir } from './test-kit.ts';

test('the device tables have KubeEdge’s columns (dtclient device_db, deviceattr_db, devicetwin_db)', (t) => {
  const path = join(tempDir(t, 'device-store-'), 'edgecore.db');
  DeviceStore.open(path).close();
  const db = new Database(path, { readonly: true });
  t.after(() => db.close());
  const cols = (table: string) =>
    db
      .prepare<[], { name: string; type: string; pk: number }>(`PRAGMA table_info(${table})`)
      .all()
      .map((c) => `${c.name}:${c.type}${c.pk ? ':pk' : ''}`);
  assert.deepEqual(cols('device'), [
    'id:varchar(64):pk',
    'name:TEXT',
    'description:TEXT',
    'state:TEXT',
    'last_online:TEXT',
  ]);
  assert.deepEqual(cols('device_attr'), [
    'id:INTEGER:pk',
    'deviceid:TEXT',
    'name:TEXT',
    'description:TEXT',
    'value:TEXT',
    'optional:INTEGER',
    'attr_type:TEXT',
    'metadata:TEXT',
  ]);
  assert.deepEqual(cols('device_twin'), [
    'id:INTEGER:pk',
    'deviceid:TEXT',
    'name:TEXT',
    'description:TEXT',
    'expected:TEXT',
    'actual:TEXT',
    'expected_meta:TEXT',
    'actual_meta:TEXT',
    'expected_version:TEXT',
    'actual_version:TEXT',
    'optional:INTEGER',
    'attr_type:TEXT',
    'metadata:TEXT',
  ]);
  // The device tables sit beside MetaStore's, and it still accepts the file.
  MetaStore.open(path).close();
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
});

test('desired values and versions survive a reopen, in KubeEdge’s JSON encodings', (t) => {
  const path = join(tempDir(t, 'device-store-'), 'edgecore.db');
  const store = DeviceStore.open(path);
  assert.equal(
    store.putDevice({ id: 'default/thermo', name: 'thermo', description: 'd', state: 'online' }),
    true,
  );
  assert.equal(
    store.putDevice({ id: 'default/thermo', name: 'thermo', description: 'd2', state: '' }),
    false,
  );
  store.writeTwins('default/thermo', [
    {
      name: 'setpoint',
      description: '',
      expected: '21.5',
      expectedMeta: { timestamp: 11 },
      expectedVersion: { cloud: 7, edge: 0 },
      optional: true,
      attrType: 'float',
    },
  ]);
  store.writeTwins('default/thermo', [
    {
      name: 'setpoint',
      description: '',
      expected: '21.5',
      actual: '20',
      expectedMeta: { timestamp: 11 },
      expectedVersion: { cloud: 7, edge: 0 },
      actualVersion: { cloud: 0, edge: 1 },
      optional: false,
      attrType: 'float',
    },
  ]);
  store.writeAttrs(
    'default/thermo',
    [{ name: 'vendor', description: '', value: 'acme', optional: true, attrType: 'string' }],
    [],
  );
  store.setState('default/thermo', 'online', '2026-01-01 00:00:00');
  store.close();

  const again = DeviceStore.open(path);
  t.after(() => again.close());
  const d = again.device('default/thermo');
  assert.equal(d?.description, 'd2');
  assert.equal(d?.state, 'online');
  assert.deepEqual(d?.twins['setpoint'], {
    name: 'setpoint',
    description: '',
    optional: false,
    attrType: 'float',
    expected: '21.5',
    actual: '20',
    expectedMeta: { timestamp: 11 },
    expectedVersion: { cloud: 7, edge: 0 },
    actualVersion: { cloud: 0, edge: 1 },
  });
  assert.equal(d?.attributes['vendor']?.value, 'acme');
  // One row per twin, the JSON as KubeEdge writes it.
  const db = new Database(path, { readonly: true });
  t.after(() => db.close());
  const rows = db.prepare('SELECT expected_version, expected_meta, metadata FROM device_twin').all();
  assert.deepEqual(rows, [
    { expected_version: '{"cloud":7,"edge":0}', expected_meta: '{"timestamp":11}', metadata: '{"type":""}' },
  ]);
  assert.equal(again.removeDevice('default/thermo'), true);
  assert.equal(again.device('default/thermo'), undefined);
  assert.deepEqual(db.prepare('SELECT COUNT(*) AS n FROM device_twin').get(), { n: 0 });
});

test('a file that is not an edgecore database is refused with a StorageError', (t) => {
  const dir = tempDir(t, 'device-store-');
  const junk = join(dir, 'junk.db');
  writeFileSync(junk, 'not sqlite at all, definitely not');
  assert.throws(() => DeviceStore.open(junk), StorageError);
  const foreign = join(dir, 'foreign.db');
  const db = new Database(foreign);
  db.exec(
    'CREATE TABLE meta (key text primary key, type text, value text); CREATE TABLE device (id text primary key, colour text)',
  );
  db.close();
  assert.throws(() => DeviceStore.open(foreign), /device tables that are not KubeEdge/);
});
