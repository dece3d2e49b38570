import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MESSAGE_OK,
  deviceTopic,
  membershipTopic,
  type DeviceTwinUpdate,
  type Message,
} from '@edgeproof/core';
import { twinHarness } from './test-kit.ts';

const NODE = 'edge-1';

function setup(t: { after: (fn: () => void) => void }, up = true) {
  const { clock, cloud, mqtt, cloudMsgs, open, mapper } = twinHarness(t, 'device-twin-', up);
  const fromCloud = (
    resource: string,
    content: unknown,
    operation: 'update' | 'response' = 'update',
    parentId?: string,
  ): Message =>
    cloudMsgs.newMessage({
      source: 'devicecontroller',
      group: 'twin',
      operation,
      resource,
      content,
      ...(parentId ? { parentId } : {}),
    });
  return { clock, cloud, mqtt, open, mapper, fromCloud, cloudMsgs };
}

const thermo = (rv: number, setpoint = '21') => ({
  id: 'default/thermo',
  name: 'thermo',
  twin: {
    setpoint: {
      expected: { value: setpoint },
      expected_version: { cloud: rv, edge: 0 },
      metadata: { type: 'float' },
    },
  },
});

const T = (action: Parameters<typeof deviceTopic>[2]) => deviceTopic('default', 'thermo', action);

test('a device added by the cloud is stored, announced, and its desired values sent as a delta', (t) => {
  const { mqtt, open, fromCloud } = setup(t);
  const { twin } = open();
  assert.equal(
    twin.handleCloudMessage(
      fromCloud('membership', {
        event_id: 'm',
        timestamp: 1,
        added_devices: [thermo(7)],
        removed_devices: [],
      }),
    ),
    true,
  );
  const d = twin.device('default', 'thermo');
  assert.deepEqual(d?.twins['setpoint']?.expected_version, { cloud: 7, edge: 0 });
  assert.equal(mqtt.on('/membership/updated').length, 1);
  assert.deepEqual(mqtt.last('/twin/update/delta')?.['delta'], { setpoint: '21' });
});

test('a mapper report gets a result and a document; the delta repeats while it has not converged; the cloud hears it', (t) => {
  const { cloud, mqtt, open, mapper, fromCloud } = setup(t);
  const { twin } = open();
  twin.handleCloudMessage(fromCloud('membership', { added_devices: [thermo(7)] }));
  mqtt.clear();
  cloud.sent.length = 0;

  mapper(twin, T('twin/update'), {
    event_id: 'e1',
    timestamp: 5,
    twin: { setpoint: { actual: { value: '19' } } },
  });
  const result = mqtt.last('/twin/update/result');
  assert.equal(result?.['event_id'], 'e1');
  assert.equal(result?.['code'], undefined);
  assert.equal((result?.['twin'] as DeviceTwinUpdate['twin'])['setpoint']?.actual?.value, '19');
  const doc = mqtt.last('/twin/update/document') as {
    twin: Record<string, { last: unknown; current: { actual?: { value: string } } }>;
  };
  assert.equal(doc.twin['setpoint']?.current.actual?.value, '19');
  assert.deepEqual(
    mqtt.last('/twin/update/delta')?.['delta'],
    { setpoint: '21' },
    'still differs: the mapper is told again',
  );
  const report = cloud.withResource('/twin/edge_updated')[0];
  const reported = (report?.content as DeviceTwinUpdate).twin['setpoint'];
  assert.equal(reported?.actual?.value, '19');
  assert.equal(reported?.expected?.value, '21', 'observedDesired travels with the report');
  assert.deepEqual(reported?.actual_version, { cloud: 0, edge: 1 });

  mqtt.clear();
  mapper(twin, T('twin/update'), { event_id: 'e2', twin: { setpoint: { actual: { value: '21' } } } });
  assert.equal(mqtt.on('/twin/update/delta').length, 0, 'converged: no delta');
  assert.deepEqual(twin.device('default', 'thermo')?.twins['setpoint']?.actual_version, {
    cloud: 0,
    edge: 2,
  });
});

test('bad requests get result codes, never an exception; an unknown device is 404', (t) => {
  const { mqtt, open, mapper, fromCloud } = setup(t);
  const { twin } = open();
  twin.handleCloudMessage(fromCloud('membership', { added_devices: [thermo(7)] }));
  const cases: Array<[unknown, number, RegExp]> = [
    ['{not json', 400, /not JSON/],
    ['[1,2]', 400, /JSON object/],
    [{ event_id: 'x' }, 400, /not have key:twin/],
    [{ event_id: 'x', twin: { 'bad name': { actual: { value: '1' } } } }, 400, /twin name "bad name"/],
    [{ event_id: 'x', twin: { setpoint: { actual: { value: 'has space' } } } }, 400, /1–512 characters/],
    [{ event_id: 'x', twin: { setpoint: { actual: { value: 'warm' } } } }, 400, /not float/],
    [{ event_id: 'x', twin: { setpoint: { actual: { value: 7 } } } }, 400, /must be a string/],
  ];
  for (const [payload, code, reason] of cases) {
    mqtt.clear();
    mapper(twin, T('twin/update'), payload);
    const r = mqtt.last('/twin/update/result');
    assert.equal(r?.['code'], code, JSON.stringify(payload));
    assert.match(String(r?.['reason']), reason);
    assert.equal(typeof r?.['timestamp'], 'number');
  }
  mqtt.clear();
  mapper(twin, deviceTopic('default', 'ghost', 'twin/update'), { event_id: 'g', twin: {} });
  assert.equal(mqtt.last('/twin/update/result')?.['code'], 404);
  assert.equal(mqtt.last('/twin/update/result')?.['event_id'], 'g');
  mapper(twin, deviceTopic('default', 'ghost', 'twin/get'), { event_id: 'g2' });
  assert.equal(mqtt.last('/twin/get/result')?.['code'], 404);
  mapper(twin, T('state/update'), { state: 'exploded' });
  assert.equal(mqtt.last('/state/update/result')?.['code'], 400);
  mapper(twin, T('state/update'), '{');
  assert.equal(mqtt.last('/state/update/result')?.['code'], 400);
  // Nothing of the rejected updates was applied.
  assert.equal(twin.device('default', 'thermo')?.twins['setpoint']?.actual, undefined);
});

test('twin/get answers without versions and re-sends the delta; membership/get lists the devices', (t) => {
  const { mqtt, open, mapper, fromCloud } = setup(t);
  const { twin } = open();
  twin.handleCloudMessage(fromCloud('membership', { added_devices: [thermo(7)] }));
  mqtt.clear();
  mapper(twin, T('twin/get'), { event_id: 'g1' });
  const r = mqtt.last('/twin/get/result') as unknown as DeviceTwinUpdate;
  assert.equal(r.event_id, 'g1');
  assert.equal(r.twin['setpoint']?.expected?.value, '21');
  assert.equal(r.twin['setpoint']?.expected_version, undefined);
  assert.deepEqual(mqtt.last('/twin/update/delta')?.['delta'], { setpoint: '21' });

  mapper(twin, membershipTopic(NODE, 'get'), { event_id: 'mg' });
  const list = mqtt.last('/membership/get/result') as { event_id: string; devices: Array<{ id: string }> };
  assert.equal(list.event_id, 'mg');
  assert.deepEqual(
    list.devices.map((d) => d.id),
    ['default/thermo'],
  );
  mapper(twin, membershipTopic(NODE, 'get'), 'nope');
  assert.equal(mqtt.last('/membership/get/result')?.['code'], 400);
});

test('state updates are stored, answered and reported to the cloud', (t) => {
  const { clock, cloud, mqtt, open, mapper, fromCloud } = setup(t);
  const { twin } = open();
  twin.handleCloudMessage(fromCloud('membership', { added_devices: [thermo(7)] }));
  mapper(twin, T('state/update'), { event_id: 's1', timestamp: 1, state: 'online' });
  const r = mqtt.last('/state/update/result') as {
    event_id: string;
    device: { name: string; state: string; last_online: string };
  };
  assert.equal(r.event_id, 's1');
  assert.deepEqual(r.device, { name: 'thermo', state: 'online', last_online: '2026-01-01 00:00:00' });
  assert.equal(twin.device('default', 'thermo')?.state, 'online');
  clock.advance(60_000);
  mapper(twin, T('state/update'), { state: 'offline' });
  assert.equal(twin.device('default', 'thermo')?.lastOnline, '2026-01-01 00:00:00', 'last seen online');
  const states = cloud.withResource('/state/update');
  assert.equal(states.at(-1)?.route.resource, 'device/default/thermo/state/update');
  assert.equal((states.at(-1)?.content as { device: { state: string } }).device.state, 'offline');
});

test('cloud_updated applies newer desired values and publishes the delta; a stale one is refused and reported', (t) => {
  const { cloud, mqtt, open, fromCloud } = setup(t);
  const { twin } = open();
  twin.handleCloudMessage(fromCloud('membership', { added_devices: [thermo(7)] }));
  mqtt.clear();
  const upd = (rv: number, value: string) =>
    fromCloud('device/default/thermo/twin/cloud_updated', {
      event_id: `cu-${rv}`,
      timestamp: 1,
      twin: { setpoint: { expected: { value }, expected_version: { cloud: rv, edge: 0 } } },
    });
  assert.equal(twin.handleCloudMessage(upd(9, '23')), true);
  assert.deepEqual(mqtt.last('/twin/update/delta')?.['delta'], { setpoint: '23' });
  assert.equal(twin.device('default', 'thermo')?.twins['setpoint']?.expected?.value, '23');
  cloud.sent.length = 0;
  twin.handleCloudMessage(upd(8, '99'));
  assert.equal(twin.device('default', 'thermo')?.twins['setpoint']?.expected?.value, '23');
  const back = cloud.withResource('/twin/edge_updated')[0]?.content as DeviceTwinUpdate;
  assert.equal(back.twin['setpoint']?.expected?.value, '23', 'the edge tells the cloud what it holds');
  // Garbage from the cloud is dropped, not thrown.
  assert.equal(twin.handleCloudMessage(fromCloud('device/default/thermo/twin/cloud_updated', '{oops')), true);
  assert.equal(twin.handleCloudMessage(fromCloud('membership', { added_devices: [{ id: 3 }] })), true);
  assert.equal(twin.handleCloudMessage(fromCloud('default/pod/x', {})), false);
});

test('after connecting it asks for membership/detail, repeats until answered, and reconciles with the answer', (t) => {
  const { clock, cloud, mqtt, open, fromCloud } = setup(t, false);
  const { twin } = open();
  twin.handleCloudMessage(
    fromCloud('membership', { added_devices: [thermo(7), { id: 'default/old', name: 'old' }] }),
  );
  assert.equal(cloud.sent.length, 0);
  cloud.up = true;
  twin.cloudConnectionChanged(true);
  const req = cloud.withResource('membership/detail');
  assert.equal(req.length, 1);
  assert.deepEqual(req[0]?.route, {
    source: 'twin',
    group: 'resource',
    operation: 'get',
    resource: 'membership/detail',
  });
  assert.match(String(req[0]?.content), /"group_id":"edge-1"/);
  clock.advance(60_000);
  assert.equal(cloud.withResource('membership/detail').length, 2, 'asked again');

  // A detail answer to someone else's request is ignored.
  twin.handleCloudMessage(fromCloud('membership/detail', { devices: [] }, 'response', 'not-ours'));
  assert.equal(twin.devices().length, 2);

  mqtt.clear();
  const answer = fromCloud(
    'membership/detail',
    { event_id: 'd', timestamp: 2, devices: [thermo(8, '24'), { id: 'default/new', name: 'new' }] },
    'response',
    req[0]?.header.msg_id,
  );
  assert.equal(twin.handleCloudMessage(answer), true);
  assert.deepEqual(
    twin.devices().map((d) => d.id),
    ['default/new', 'default/thermo'],
  );
  assert.equal(twin.device('default', 'thermo')?.twins['setpoint']?.expected?.value, '24');
  const updates = mqtt.on('/membership/updated') as Array<{
    added_devices: unknown[];
    removed_devices: Array<{ id: string }>;
  }>;
  assert.equal(updates.filter((u) => u.added_devices.length === 1).length, 1);
  assert.deepEqual(
    updates.flatMap((u) => u.removed_devices.map((d) => d.id)),
    ['default/old'],
  );
  clock.advance(60_000);
  assert.equal(cloud.withResource('membership/detail').length, 2, 'answered: no more requests');
});

test('reports made offline are synced after reconnect and dropped only when ACKed; desired values survive a restart', (t) => {
  const { clock, cloud, open, mapper, fromCloud } = setup(t, false);
  const first = open();
  first.twin.handleCloudMessage(fromCloud('membership', { added_devices: [thermo(7)] }));
  mapper(first.twin, T('twin/update'), { twin: { setpoint: { actual: { value: '18' } } } });
  mapper(first.twin, T('twin/update'), { twin: { setpoint: { actual: { value: '19' } } } });
  assert.equal(first.twin.pendingReports(), 1);
  first.twin.stop();
  first.store.close();
  first.queue.close();

  const second = open();
  assert.equal(second.twin.device('default', 'thermo')?.twins['setpoint']?.expected?.value, '21');
  cloud.up = true;
  second.twin.cloudConnectionChanged(true);
  const report = cloud.withResource('/twin/edge_updated');
  assert.equal(report.length, 1);
  assert.equal((report[0]?.content as DeviceTwinUpdate).twin['setpoint']?.actual?.value, '19');
  // The cloud's ACK (§7.4): parent_msg_id, resource twin, group twin, response, "OK".
  const ack = fromCloud('twin', MESSAGE_OK, 'response', report[0]?.header.msg_id);
  assert.equal(second.twin.handleCloudMessage(ack), true);
  assert.equal(second.twin.pendingReports(), 0);
  clock.advance(120_000);
  assert.equal(cloud.withResource('/twin/edge_updated').length, 1, 'nothing left to resend');
});

test("the cloud's error reply to a report (no group, operation error) ends its resends", (t) => {
  const { clock, cloud, open, mapper, fromCloud, cloudMsgs } = setup(t);
  const { twin } = open();
  twin.handleCloudMessage(fromCloud('membership', { added_devices: [thermo(7)] }));
  mapper(twin, T('twin/update'), { twin: { setpoint: { actual: { value: '18' } } } });
  const [report] = cloud.withResource('/twin/edge_updated');
  assert.ok(report);
  const refusal = cloudMsgs.newErrorResponse(report, 'DeviceStatus default/thermo not written: Too long');
  assert.equal(refusal.route.group, undefined, 'as the cloud sends it');
  assert.equal(twin.handleCloudMessage(refusal), true);
  assert.equal(twin.pendingReports(), 0);
  clock.advance(120_000);
  assert.equal(cloud.withResource('/twin/edge_updated').length, 1, 'not sent again');
  // An error reply to a request that is not DeviceTwin's is left to edgecore.
  const podQuery = fromCloud('default/pod/x', null);
  assert.equal(twin.handleCloudMessage(cloudMsgs.newErrorResponse(podQuery, 'not found')), false);
});

test('a removed device loses its twins and its queued reports', (t) => {
  const { cloud, open, mapper, fromCloud } = setup(t, false);
  const { twin } = open();
  twin.handleCloudMessage(fromCloud('membership', { added_devices: [thermo(7)] }));
  mapper(twin, T('twin/update'), { twin: { setpoint: { actual: { value: '18' } } } });
  twin.handleCloudMessage(
    fromCloud('membership', { removed_devices: [{ id: 'default/thermo', name: 'thermo' }] }),
  );
  assert.equal(twin.device('default', 'thermo'), undefined);
  assert.equal(twin.pendingReports(), 0);
  cloud.up = true;
  twin.cloudConnectionChanged(true);
  assert.equal(cloud.withResource('/twin/edge_updated').length, 0);
});

test("the cloud's device attributes and last_online are stored (device_attr), and a detail answer's list replaces them", (t) => {
  const { cloud, open, fromCloud } = setup(t, false);
  const { twin, store } = open();
  twin.handleCloudMessage(
    fromCloud('membership', {
      added_devices: [
        {
          ...thermo(1),
          last_online: '2026-12-02 10:00:00',
          attributes: {
            vendor: { value: 'acme', optional: false, metadata: { type: 'string' } },
            serial: { value: '42' },
          },
        },
      ],
    }),
  );
  const added = store.device('default/thermo');
  assert.equal(added?.lastOnline, '2026-12-02 10:00:00');
  assert.deepEqual(
    Object.entries(added?.attributes ?? {}).map(([name, a]) => [name, a.value, a.optional, a.attrType]),
    [
      ['vendor', 'acme', false, 'string'],
      ['serial', '42', true, 'string'],
    ],
  );
  // The detail answer is the whole list: serial is gone, vendor changed.
  cloud.up = true;
  twin.cloudConnectionChanged(true);
  const request = cloud.withResource('membership/detail')[0];
  twin.handleCloudMessage(
    fromCloud(
      'membership/detail',
      { devices: [{ ...thermo(1), attributes: { vendor: { value: 'acme-2' } } }] },
      'response',
      request?.header.msg_id,
    ),
  );
  assert.deepEqual(
    Object.entries(store.device('default/thermo')?.attributes ?? {}).map(([name, a]) => [name, a.value]),
    [['vendor', 'acme-2']],
  );
});
