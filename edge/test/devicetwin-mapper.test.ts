/**
 * A mapper's life against DeviceTwin over a real broker: it starts after the desired value was
 * set (so it missed the delta), asks with twin/get, gets the delta, writes the value, and reports
 * it; the report goes to the cloud and is resent until ACKed (shortened resend interval).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  MESSAGE_OK,
  SystemClock,
  deviceTopic,
  messageBuilder,
  silentLogger,
  type DeviceTwinUpdate,
} from '@edgeproof/core';
import { createDeviceServices } from '../src/devicetwin/device-services.ts';
import { MemoryCloudLink, tempDir } from '../src/devicetwin/test-kit.ts';
import { TestMqttClient, until } from './devicetwin-fixtures.ts';

const clock = new SystemClock();
const T = (action: Parameters<typeof deviceTopic>[2]) => deviceTopic('plant', 'valve-7', action);

test('a restarted mapper converges: twin/get brings the delta, a matching report ends it, the cloud ACK ends the resends', async (t) => {
  const dir = tempDir(t, 'devicetwin-mapper-');
  const cloud = new MemoryCloudLink(true);
  const services = createDeviceServices({
    nodeName: 'edge-9',
    paths: {
      devices: join(dir, 'edgecore.db'),
      reports: join(dir, 'reports.db'),
      uploads: join(dir, 'uploads.db'),
    },
    broker: { mode: 'internal', port: 0 },
    cloud,
    clock,
    logger: silentLogger(),
    resendIntervalMs: 150,
  });
  await services.start();
  t.after(() => services.stop());
  await services.eventBus.whenConnected();
  const cloudMsgs = messageBuilder({ clock });
  services.handleCloudMessage(
    cloudMsgs.newMessage({
      source: 'devicecontroller',
      group: 'twin',
      operation: 'update',
      resource: 'membership',
      content: {
        added_devices: [
          {
            id: 'plant/valve-7',
            name: 'valve-7',
            twin: {
              open: {
                expected: { value: 'true' },
                expected_version: { cloud: 3, edge: 0 },
                metadata: { type: 'boolean' },
              },
            },
          },
        ],
      },
    }),
  );

  const mapper = await TestMqttClient.connect(services.eventBus.brokerUrl() ?? '', 'valve-mapper');
  t.after(() => mapper.end());
  await mapper.subscribe('$hw/events/device/plant/valve-7/#');
  const delta = mapper.next('/twin/update/delta');
  await mapper.publish(T('twin/get'), { event_id: 'boot' });
  assert.deepEqual((await delta)['delta'], { open: 'true' });

  // The mapper writes the value and reports it: no delta follows.
  const result = mapper.next('/twin/update/result');
  await mapper.publish(T('twin/update'), { event_id: 'r1', twin: { open: { actual: { value: 'true' } } } });
  assert.equal((await result)['event_id'], 'r1');
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(mapper.messages.filter((m) => m.topic.endsWith('/twin/update/delta')).length, 1, 'converged');

  // The cloud gets the report (reported and observedDesired), resent until it ACKs.
  await until(() => cloud.withResource('/twin/edge_updated').length >= 2, 3000, 'a resend');
  const report = cloud.withResource('/twin/edge_updated')[0];
  const twin = (report?.content as DeviceTwinUpdate).twin['open'];
  assert.equal(twin?.actual?.value, 'true');
  assert.equal(twin?.expected?.value, 'true');
  const last = cloud.withResource('/twin/edge_updated').at(-1);
  services.handleCloudMessage(
    cloudMsgs.newMessage({
      source: 'devicecontroller',
      group: 'twin',
      operation: 'response',
      resource: 'twin',
      content: MESSAGE_OK,
      parentId: last?.header.msg_id ?? '',
    }),
  );
  assert.equal(services.pendingReports(), 0);
  const count = cloud.withResource('/twin/edge_updated').length;
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(cloud.withResource('/twin/edge_updated').length, count, 'no resend after the ACK');
});
