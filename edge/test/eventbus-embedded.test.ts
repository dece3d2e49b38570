/**
 * EventBus with the embedded aedes broker on an ephemeral port, DeviceTwin behind it, and a real
 * mqtt.js client playing the mapper on the documented `$hw/events/...` topics
 * (kubeedge-protocol.md §7.2). The cloud side is an in-memory CloudLink: the messages it gets are
 * the ones edgecore would hand to EdgeHub.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import {
  MESSAGE_OK,
  SystemClock,
  deviceTopic,
  membershipTopic,
  messageBuilder,
  silentLogger,
  type DeviceTwinUpdate,
  type Message,
} from '@edgeproof/core';
import { createDeviceServices, type DeviceServices } from '../src/devicetwin/device-services.ts';
import { MemoryCloudLink, tempDir } from '../src/devicetwin/test-kit.ts';
import { TestMqttClient, until } from './devicetwin-fixtures.ts';

const NODE = 'edge-1';
const clock = new SystemClock();
const cloudMsgs = messageBuilder({ clock });
const T = (action: Parameters<typeof deviceTopic>[2]) => deviceTopic('default', 'thermo', action);

function fromCloud(resource: string, content: unknown, operation = 'update', parentId?: string): Message {
  return cloudMsgs.newMessage({
    source: 'devicecontroller',
    group: 'twin',
    operation: operation as 'update',
    resource,
    content,
    ...(parentId ? { parentId } : {}),
  });
}

const thermo = {
  id: 'default/thermo',
  name: 'thermo',
  twin: {
    setpoint: {
      expected: { value: '21' },
      expected_version: { cloud: 7, edge: 0 },
      metadata: { type: 'float' },
    },
  },
};

async function startServices(dir: string, cloud: MemoryCloudLink): Promise<DeviceServices> {
  const services = createDeviceServices({
    nodeName: NODE,
    paths: {
      devices: join(dir, 'edgecore.db'),
      reports: join(dir, 'reports.db'),
      uploads: join(dir, 'uploads.db'),
    },
    broker: { mode: 'internal', host: '127.0.0.1', port: 0 },
    cloud,
    clock,
    logger: silentLogger(),
  });
  await services.start();
  await services.eventBus.whenConnected();
  return services;
}

test('the documented twin topics over the embedded broker: update, document, delta, get, membership, state', async (t) => {
  const cloud = new MemoryCloudLink(true);
  const services = await startServices(tempDir(t, 'eventbus-embedded-'), cloud);
  t.after(() => services.stop());
  const port = services.eventBus.port();
  assert.ok(port !== undefined && port > 0 && port !== 1884, 'port 0 picked a free port');
  assert.equal(
    services.handleCloudMessage(fromCloud('membership', { added_devices: [thermo], removed_devices: [] })),
    true,
  );

  const mapper = await TestMqttClient.connect(services.eventBus.brokerUrl() ?? '', 'mapper-thermo');
  t.after(() => mapper.end());
  await mapper.subscribe('$hw/events/device/default/thermo/#');
  await mapper.subscribe(`$hw/events/node/${NODE}/#`);

  // twin/update → result + document (+ delta, the desired value is not reached yet).
  const result = mapper.next('/twin/update/result');
  const doc = mapper.next('/twin/update/document');
  const delta = mapper.next('/twin/update/delta');
  await mapper.publish(T('twin/update'), {
    event_id: 'e1',
    timestamp: 1,
    twin: { setpoint: { actual: { value: '19' } } },
  });
  assert.equal((await result)['event_id'], 'e1');
  assert.equal(
    ((await doc)['twin'] as Record<string, { current: { actual: { value: string } } }>)['setpoint']?.current
      .actual.value,
    '19',
  );
  assert.deepEqual((await delta)['delta'], { setpoint: '21' });
  // … and the report reached the cloud link.
  await until(
    () => cloud.withResource('device/default/thermo/twin/edge_updated').length === 1,
    5000,
    'edge_updated',
  );

  // cloud_updated → a delta the mapper receives.
  const delta2 = mapper.next('/twin/update/delta');
  services.handleCloudMessage(
    fromCloud('device/default/thermo/twin/cloud_updated', {
      event_id: 'cu',
      timestamp: 2,
      twin: { setpoint: { expected: { value: '23' }, expected_version: { cloud: 9, edge: 0 } } },
    }),
  );
  assert.deepEqual((await delta2)['delta'], { setpoint: '23' });

  // twin/get → get/result.
  const got = mapper.next('/twin/get/result');
  await mapper.publish(T('twin/get'), { event_id: 'g1' });
  const gotTwin = (await got) as unknown as DeviceTwinUpdate;
  assert.equal(gotTwin.event_id, 'g1');
  assert.equal(gotTwin.twin['setpoint']?.expected?.value, '23');
  assert.equal(gotTwin.twin['setpoint']?.actual?.value, '19');

  // membership/get → result.
  const members = mapper.next('/membership/get/result');
  await mapper.publish(membershipTopic(NODE, 'get'), { event_id: 'mg' });
  assert.deepEqual(
    ((await members)['devices'] as Array<{ id: string }>).map((d) => d.id),
    ['default/thermo'],
  );

  // state/update → result.
  const state = mapper.next('/state/update/result');
  await mapper.publish(T('state/update'), { event_id: 's', state: 'online' });
  assert.equal(((await state)['device'] as { state: string }).state, 'online');

  // Malformed JSON → 400, and the twin keeps working.
  const bad = mapper.next('/twin/update/result');
  await mapper.publish(T('twin/update'), '{"twin": {');
  assert.equal((await bad)['code'], 400);
  const good = mapper.next('/twin/update/result');
  await mapper.publish(T('twin/update'), { event_id: 'e2', twin: { setpoint: { actual: { value: '23' } } } });
  assert.equal((await good)['event_id'], 'e2');
  assert.equal(services.device('default', 'thermo')?.twins['setpoint']?.actual?.value, '23');

  // An upload topic goes to the cloud as source bus, group user, operation upload, resource = topic.
  await mapper.publish('$hw/events/upload/line-1', '{"reading":42}');
  await until(() => cloud.withResource('$hw/events/upload/line-1').length === 1, 5000, 'upload');
  const up = cloud.withResource('$hw/events/upload/line-1')[0];
  assert.deepEqual(up?.route, {
    source: 'bus',
    group: 'user',
    operation: 'upload',
    resource: '$hw/events/upload/line-1',
  });
  assert.equal(up?.content, '{"reading":42}');
});

test('garbage on the MQTT port closes only that connection; the broker and the twin keep serving', async (t) => {
  const cloud = new MemoryCloudLink(true);
  const services = await startServices(tempDir(t, 'eventbus-garbage-'), cloud);
  t.after(() => services.stop());
  services.handleCloudMessage(fromCloud('membership', { added_devices: [thermo] }));
  const port = services.eventBus.port() ?? 0;

  // A CONNECT with a nonsense protocol, then random bytes.
  await new Promise<void>((resolve) => {
    const s = tcpConnect(port, '127.0.0.1', () => {
      s.write(Buffer.from([0x10, 0x0a, 0x00, 0x04, 0x4e, 0x4f, 0x50, 0x45, 0xff, 0xff, 0xff, 0xff]));
      s.write(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    });
    s.on('error', () => resolve());
    s.on('close', () => resolve());
  });

  const mapper = await TestMqttClient.connect(services.eventBus.brokerUrl() ?? '', 'mapper-after-garbage');
  t.after(() => mapper.end());
  await mapper.subscribe('$hw/events/device/default/thermo/#');
  const got = mapper.next('/twin/get/result');
  await mapper.publish(T('twin/get'), { event_id: 'after' });
  assert.equal((await got)['event_id'], 'after');
  assert.ok(services.eventBus.connected(), 'the hub clients stayed connected');
});

test('uploads and twin reports made while the cloud is away survive a restart and are delivered after it comes back', async (t) => {
  const dir = tempDir(t, 'eventbus-offline-');
  const cloud = new MemoryCloudLink(false);
  const first = await startServices(dir, cloud);
  first.handleCloudMessage(fromCloud('membership', { added_devices: [thermo] }));
  const mapper = await TestMqttClient.connect(first.eventBus.brokerUrl() ?? '', 'mapper-offline');
  await mapper.publish('$hw/events/upload/line-1', 'first');
  await mapper.publish('factory/user/line-2', 'second');
  await mapper.publish(T('twin/update'), { twin: { setpoint: { actual: { value: '20' } } } });
  await until(() => first.pendingUploads() === 2 && first.pendingReports() === 1, 5000, 'queued offline');
  assert.equal(cloud.sent.length, 0);
  await mapper.end();
  await first.stop();

  const second = await startServices(dir, cloud);
  t.after(() => second.stop());
  assert.equal(second.pendingUploads(), 2);
  assert.equal(second.pendingReports(), 1);
  cloud.up = true;
  second.cloudConnectionChanged(true);
  assert.deepEqual(
    cloud.sent.filter((m) => m.route.operation === 'upload').map((m) => [m.route.resource, m.content]),
    [
      ['$hw/events/upload/line-1', 'first'],
      ['factory/user/line-2', 'second'],
    ],
  );
  assert.equal(second.pendingUploads(), 0);
  const report = cloud.withResource('/twin/edge_updated');
  assert.equal(report.length, 1);
  assert.equal((report[0]?.content as DeviceTwinUpdate).twin['setpoint']?.actual?.value, '20');
  assert.equal(
    cloud.withResource('membership/detail').length,
    1,
    'the device list is asked for after connecting',
  );
  // Reports stay until the cloud ACKs them.
  assert.equal(second.pendingReports(), 1);
  second.handleCloudMessage(fromCloud('twin', MESSAGE_OK, 'response', report[0]?.header.msg_id));
  assert.equal(second.pendingReports(), 0);
});
