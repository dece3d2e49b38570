import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { FakeClock, InvalidInputError, createLogger } from '@edgeproof/core';
import type { Device, DeviceModel } from '@edgeproof/crds';
import type { DeviceTarget } from './device-properties.ts';
import type { DeviceDriver, DriverEvents, MapperProtocol } from './driver.ts';
import { BrokerUnavailableError } from './mapper-errors.ts';
import { MapperManager } from './mapper-manager.ts';
import type { MqttLink, MqttQos } from './mqtt-link.ts';

class FakeLink implements MqttLink {
  connected = true;
  published: { topic: string; json: Record<string, unknown>; qos: MqttQos }[] = [];
  subscriptions: string[] = [];
  closed = false;
  readyError: Error | undefined;
  private message: ((topic: string, payload: Buffer) => void) | undefined;
  private connectHandlers: (() => void)[] = [];
  publish(topic: string, payload: string, options: { qos: MqttQos }): void {
    this.published.push({ topic, json: JSON.parse(payload) as Record<string, unknown>, qos: options.qos });
  }
  subscribe(topic: string): Promise<void> {
    this.subscriptions.push(topic);
    return Promise.resolve();
  }
  onMessage(handler: (topic: string, payload: Buffer) => void): void {
    this.message = handler;
  }
  onConnect(handler: () => void): void {
    this.connectHandlers.push(handler);
  }
  ready(): Promise<void> {
    if (this.readyError) return Promise.reject(this.readyError);
    for (const h of this.connectHandlers) h();
    return Promise.resolve();
  }
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
  deliver(topic: string, payload: string): void {
    this.message?.(topic, Buffer.from(payload));
  }
  reconnect(): void {
    for (const h of this.connectHandlers) h();
  }
  states(name: string): unknown[] {
    return this.published
      .filter((p) => p.topic === `$hw/events/device/default/${name}/state/update`)
      .map((p) => p.json['state']);
  }
}

class FakeDriver implements DeviceDriver {
  writes: [string, string][] = [];
  closed = 0;
  pushedProperties(): ReadonlySet<string> {
    return new Set();
  }
  connect(_events: DriverEvents): Promise<void> {
    return Promise.resolve();
  }
  read(): Promise<string> {
    return Promise.resolve('1');
  }
  write(property: string, value: string): Promise<void> {
    this.writes.push([property, value]);
    return Promise.resolve();
  }
  close(): Promise<void> {
    this.closed++;
    return Promise.resolve();
  }
}

class FakeProtocol implements MapperProtocol {
  readonly name = 'fake';
  drivers: FakeDriver[] = [];
  targets: DeviceTarget[] = [];
  createDriver(target: DeviceTarget): DeviceDriver {
    if ((target.protocolConfig as { broken?: boolean } | undefined)?.broken) {
      throw new InvalidInputError(
        `Device ${target.namespace}/${target.name} spec.protocol.configData.broken is set`,
      );
    }
    this.targets.push(target);
    const d = new FakeDriver();
    this.drivers.push(d);
    return d;
  }
}

const model: DeviceModel = {
  apiVersion: 'devices.kubeedge.io/v1beta1',
  kind: 'DeviceModel',
  metadata: { name: 'm', namespace: 'default' },
  spec: { properties: [{ name: 'level', type: 'INT', accessMode: 'ReadWrite' }] },
};

function dev(name: string, protocolName: string, configData: Record<string, unknown> = {}): Device {
  return {
    apiVersion: 'devices.kubeedge.io/v1beta1',
    kind: 'Device',
    metadata: { name, namespace: 'default' },
    spec: {
      deviceModelRef: { name: 'm' },
      protocol: { protocolName, configData },
      properties: [{ name: 'level', collectCycle: 100, reportCycle: 100 }],
    },
  };
}

function setup() {
  const link = new FakeLink();
  const protocol = new FakeProtocol();
  const clock = new FakeClock(0);
  const logs: string[] = [];
  let opened = 0;
  const manager = new MapperManager({
    mqttUrl: 'mqtt://127.0.0.1:1884',
    dataDir: '/nonexistent/never-written',
    clock,
    logger: createLogger('mappers', { write: (l) => logs.push(l) }),
    protocols: [protocol],
    openLink: () => {
      opened++;
      return link;
    },
  });
  return { link, protocol, clock, logs, manager, opened: () => opened };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await tick();
}

test('the constructor does no I/O; start() opens the link and subscribes to twin deltas', async () => {
  const { manager, link, opened } = setup();
  assert.equal(opened(), 0);
  await manager.start();
  assert.equal(opened(), 1);
  assert.deepEqual(link.subscriptions, ['$hw/events/device/+/+/twin/update/delta']);
  await manager.stop();
  assert.equal(link.closed, true);
  assert.throws(() => new MapperManager({ mqttUrl: '', dataDir: '/x' }), /mqttUrl is required/);
});

test('a broker that cannot be reached fails start() with a retriable error', async () => {
  const { manager, link } = setup();
  link.readyError = new BrokerUnavailableError('cannot reach the MQTT broker');
  await assert.rejects(
    manager.start(),
    (err: unknown) => err instanceof BrokerUnavailableError && err.retriable,
  );
  assert.equal(link.closed, true);
});

test('devices are routed by protocolName; an unknown protocol or a bad config is an error per device', async () => {
  const { manager, link, protocol, logs } = setup();
  await manager.upsertDevice(dev('early', 'fake'), model);
  assert.equal(protocol.drivers.length, 1, 'drivers are made at upsert, started at start()');
  await manager.start();
  const unknown = await manager.upsertDevice(dev('zb', 'zigbee'), model);
  assert.equal(unknown.state, 'unhealthy');
  assert.match(unknown.error ?? '', /no mapper for protocol "zigbee"; this edge runs fake/);
  const broken = await manager.upsertDevice(dev('broken', 'FAKE', { broken: true }), model);
  assert.match(broken.error ?? '', /configData\.broken is set/);
  const ok = await manager.upsertDevice(dev('late', 'fake'), model);
  assert.equal(ok.error, undefined);
  await settle();
  assert.deepEqual(link.states('early'), ['online']);
  assert.deepEqual(link.states('late'), ['online']);
  assert.deepEqual(link.states('zb'), ['unhealthy']);
  assert.deepEqual(link.states('broken'), ['unhealthy']);
  assert.ok(
    logs.some((l) => /ERROR mappers\/default\/zb device not started: its configuration is wrong/.test(l)),
  );
  assert.deepEqual(
    manager.listDevices().map((s) => [s.name, s.state]),
    [
      ['early', 'online'],
      ['zb', 'unhealthy'],
      ['broken', 'unhealthy'],
      ['late', 'online'],
    ],
  );
  await manager.stop();
});

test('an unchanged upsert is a no-op; a changed one replaces the driver; remove stops it', async () => {
  const { manager, protocol } = setup();
  await manager.start();
  await manager.upsertDevice(dev('d', 'fake'), model);
  await manager.upsertDevice(dev('d', 'fake'), model);
  assert.equal(protocol.drivers.length, 1);
  await manager.upsertDevice(dev('d', 'fake', { changed: 1 }), model);
  assert.equal(protocol.drivers.length, 2);
  assert.equal(protocol.drivers[0]?.closed, 1);
  assert.equal(await manager.removeDevice('default', 'd'), true);
  assert.equal(protocol.drivers[1]?.closed, 1);
  assert.equal(await manager.removeDevice('default', 'd'), false);
  await manager.stop();
});

test('deltas reach their device; foreign and malformed deltas are ignored without harm', async () => {
  const { manager, link, protocol, logs } = setup();
  await manager.start();
  await manager.upsertDevice(dev('d', 'fake'), model);
  await settle();
  link.deliver('$hw/events/device/default/other/twin/update/delta', '{"delta":{"level":"3"}}');
  link.deliver('$hw/events/device/default/d/twin/update/delta', 'not json');
  link.deliver(
    '$hw/events/device/default/d/twin/update/delta',
    JSON.stringify({ event_id: 'e', timestamp: 1, twin: {}, delta: { level: '5' } }),
  );
  await settle();
  assert.deepEqual(protocol.drivers[0]?.writes, [['level', '5']]);
  assert.ok(logs.some((l) => /ignoring malformed twin delta/.test(l)));
  // The read-back is reported at once, at QoS 0; states go at QoS 1.
  const twin = link.published.find((p) => p.topic === '$hw/events/device/default/d/twin/update');
  assert.equal(twin?.qos, 0);
  assert.equal(link.published.find((p) => p.topic.endsWith('/state/update'))?.qos, 1);
  await manager.stop();
});

test('states are published again when the broker link comes back', async () => {
  const { manager, link } = setup();
  await manager.start();
  await manager.upsertDevice(dev('d', 'fake'), model);
  await manager.upsertDevice(dev('zb', 'zigbee'), model);
  await settle();
  link.reconnect();
  assert.deepEqual(link.states('d'), ['online', 'online']);
  assert.deepEqual(link.states('zb'), ['unhealthy', 'unhealthy']);
  await manager.stop();
});
