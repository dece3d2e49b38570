// EventBus with the internal broker (KubeEdge mqttMode 0): no hub clients; edgecore's topics are
// subscribed inside the broker and DeviceTwin's topics published into it, as KubeEdge's internal
// server does (`server.go` InitInternalTopics / Publish). A real mqtt.js client plays the mapper.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'mqtt';
import { SystemClock, silentLogger, type ParsedTwinTopic } from '@edgeproof/core';
import { EventBus } from './eventbus.ts';

function bus(extraTopics: string[] = []) {
  const twin: Array<{ topic: ParsedTwinTopic; payload: string }> = [];
  const uploads: Array<{ topic: string; payload: string }> = [];
  const eventBus = new EventBus({
    broker: { mode: 'internal', port: 0 },
    twin: {
      handleTwinTopic: (topic, payload) => twin.push({ topic, payload: Buffer.from(payload).toString() }),
    },
    uploads: {
      upload: (topic, payload) => uploads.push({ topic, payload: Buffer.from(payload).toString() }),
    },
    extraTopics,
    clock: new SystemClock(),
    logger: silentLogger(),
  });
  return { eventBus, twin, uploads };
}

async function until(what: string, ok: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('internal broker: mapper topics reach the twin and the uploads in-process; a leading wildcard skips $ topics', async (t) => {
  const { eventBus, twin, uploads } = bus(['factory/#']);
  await eventBus.start();
  t.after(() => eventBus.stop());
  await eventBus.whenConnected();
  assert.equal(eventBus.connected(), true);
  const mapper = connect(eventBus.brokerUrl() ?? '', { clientId: 'mapper', log: () => {} });
  await new Promise((r) => mapper.once('connect', r));
  t.after(() => mapper.endAsync(true));
  await mapper.publishAsync('$hw/events/device/default/thermo/twin/update', '{"twin":{}}', { qos: 1 });
  await mapper.publishAsync('site-1/user/temp', 'u1', { qos: 0 });
  await mapper.publishAsync('factory/line-1', 'f1', { qos: 1 });
  await mapper.publishAsync('$hw/user/not-an-upload', 'x', { qos: 1 }); // `+/user/#` must not match `$…`
  await mapper.publishAsync('$hw/events/upload/e', 'u2', { qos: 1 });
  await until('the twin and three uploads', () => twin.length === 1 && uploads.length === 3);
  assert.deepEqual(twin[0]?.topic, {
    kind: 'device',
    namespace: 'default',
    name: 'thermo',
    action: 'twin/update',
  });
  assert.deepEqual(uploads.map((u) => u.topic).sort(), [
    '$hw/events/upload/e',
    'factory/line-1',
    'site-1/user/temp',
  ]);
});

test('internal broker: what the twin publishes reaches a subscribed mapper at QoS 1, not retained', async (t) => {
  const { eventBus } = bus();
  await eventBus.start();
  t.after(() => eventBus.stop());
  const mapper = connect(eventBus.brokerUrl() ?? '', { clientId: 'mapper', log: () => {} });
  await new Promise((r) => mapper.once('connect', r));
  t.after(() => mapper.endAsync(true));
  const got: Array<{ topic: string; qos: number; retain: boolean; payload: string }> = [];
  mapper.on('message', (topic, payload, packet) =>
    got.push({ topic, qos: packet.qos, retain: packet.retain, payload: payload.toString() }),
  );
  await mapper.subscribeAsync('$hw/events/device/+/+/twin/update/result', { qos: 1 });
  eventBus.publish('$hw/events/device/default/thermo/twin/update/result', '{"event_id":"e"}');
  await until('the result', () => got.length === 1);
  // (Not back to back with the QoS 1 one: aedes drops a QoS 1 message overtaken by a QoS 0 one
  // published just after it, as a duplicate by its broker counter.)
  eventBus.publish('$hw/events/device/default/thermo/twin/update/result', '{"event_id":"q0"}', { qos: 0 });
  await until('the QoS 0 result', () => got.length === 2);
  assert.deepEqual(got[0], {
    topic: '$hw/events/device/default/thermo/twin/update/result',
    qos: 1,
    retain: false,
    payload: '{"event_id":"e"}',
  });
  assert.equal(got[1]?.qos, 0);
  await eventBus.stop();
  eventBus.publish('$hw/events/device/default/thermo/twin/update/result', 'after stop'); // dropped, no throw
});
