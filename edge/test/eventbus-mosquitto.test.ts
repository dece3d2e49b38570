/**
 * EventBus in external-broker mode (KubeEdge `mqttMode` 2, kubeedge-protocol.md §7.1) against a
 * real mosquitto started on an ephemeral port, with the mapper side played by the real
 * `mosquitto_pub` / `mosquitto_sub` CLI and by mqtt.js. Also: the hub clients reconnect and
 * subscribe again by themselves when the broker restarts without keeping sessions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  SystemClock,
  deviceTopic,
  membershipTopic,
  messageBuilder,
  silentLogger,
  type Message,
} from '@edgeproof/core';
import { createDeviceServices } from '../src/devicetwin/device-services.ts';
import { MemoryCloudLink, tempDir } from '../src/devicetwin/test-kit.ts';
import { TestMqttClient, freePort, startMosquitto, stopProcess, until } from './devicetwin-fixtures.ts';

const run = promisify(execFile);
const NODE = 'edge-1';
const clock = new SystemClock();
const cloudMsgs = messageBuilder({ clock });
const T = (action: Parameters<typeof deviceTopic>[2]) => deviceTopic('default', 'thermo', action);

function membership(content: unknown): Message {
  return cloudMsgs.newMessage({
    source: 'devicecontroller',
    group: 'twin',
    operation: 'update',
    resource: 'membership',
    content,
  });
}

test('external mode: mosquitto_pub a twin update, mosquitto_sub receives the delta; the bus survives a broker restart', async (t) => {
  const dir = tempDir(t, 'eventbus-mosquitto-');
  const port = await freePort();
  let broker = await startMosquitto(dir, port);
  t.after(() => stopProcess(broker));
  const cloud = new MemoryCloudLink(true);
  const services = createDeviceServices({
    nodeName: NODE,
    paths: {
      devices: join(dir, 'edgecore.db'),
      reports: join(dir, 'reports.db'),
      uploads: join(dir, 'uploads.db'),
    },
    broker: { mode: 'external', url: `mqtt://127.0.0.1:${port}` },
    cloud,
    clock,
    logger: silentLogger(),
    reconnectPeriodMs: 100,
  });
  await services.start();
  t.after(() => services.stop());
  await services.eventBus.whenConnected();
  assert.equal(services.eventBus.port(), undefined, 'no embedded broker in external mode');
  services.handleCloudMessage(
    membership({
      added_devices: [
        {
          id: 'default/thermo',
          name: 'thermo',
          twin: { setpoint: { expected: { value: '21' }, expected_version: { cloud: 7, edge: 0 } } },
        },
      ],
    }),
  );

  // The CLI pair: mosquitto_sub waits for one delta; mosquitto_pub reports an actual that differs
  // (each report is answered with a delta), repeated until the subscriber has its message, since
  // mosquitto_sub says nothing when its subscription is in place.
  const sub = spawn(
    'mosquitto_sub',
    ['-h', '127.0.0.1', '-p', String(port), '-q', '1', '-C', '1', '-W', '10', '-t', T('twin/update/delta')],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  sub.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const subExit = new Promise<number | null>((r) => sub.once('exit', (code) => r(code)));
  t.after(() => stopProcess(sub));
  const update = JSON.stringify({ event_id: 'cli', twin: { setpoint: { actual: { value: '19' } } } });
  for (let i = 0; i < 40 && sub.exitCode === null; i++) {
    await run('mosquitto_pub', [
      '-h',
      '127.0.0.1',
      '-p',
      String(port),
      '-q',
      '1',
      '-t',
      T('twin/update'),
      '-m',
      update,
    ]);
    await Promise.race([subExit, new Promise((r) => setTimeout(r, 100))]);
  }
  assert.equal(await subExit, 0, 'mosquitto_sub got its message');
  const delta = JSON.parse(out.trim()) as { delta: Record<string, string> };
  assert.deepEqual(delta.delta, { setpoint: '21' });
  assert.equal(services.device('default', 'thermo')?.twins['setpoint']?.actual?.value, '19');

  // mqtt.js on mosquitto: twin/get, and an upload forwarded to the cloud.
  const mapper = await TestMqttClient.connect(`mqtt://127.0.0.1:${port}`, 'mapper-mosquitto');
  t.after(() => mapper.end());
  await mapper.subscribe('$hw/events/#');
  const got = mapper.next('/twin/get/result');
  await mapper.publish(T('twin/get'), { event_id: 'g' });
  assert.equal((await got)['event_id'], 'g');
  await mapper.publish('SYS/dis/upload_records', 'rec-1');
  await until(() => cloud.withResource('SYS/dis/upload_records').length === 1, 5000, 'upload via mosquitto');

  // Restart mosquitto (no persistence: sessions are gone). The hub clients reconnect and subscribe again.
  await stopProcess(broker);
  broker = await startMosquitto(dir, port);
  await until(() => services.eventBus.connected(), 10_000, 'hub clients reconnected');
  const again = await TestMqttClient.connect(`mqtt://127.0.0.1:${port}`, 'mapper-after-restart');
  t.after(() => again.end());
  await again.subscribe(`$hw/events/node/${NODE}/#`);
  // The resubscription may land a moment after the CONNACK: ask until answered.
  const answer = again.next('/membership/get/result', 10_000);
  const asking = setInterval(
    () => void again.publish(membershipTopic(NODE, 'get'), { event_id: 'after-restart' }),
    200,
  );
  t.after(() => clearInterval(asking));
  const list = await answer;
  clearInterval(asking);
  assert.deepEqual(
    (list['devices'] as Array<{ id: string }>).map((d) => d.id),
    ['default/thermo'],
  );
});
