import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { FakeClock, createLogger, silentLogger, type Logger } from '@edgeproof/core';
import type { Device, DeviceModel, DeviceProperty, ModelProperty } from '@edgeproof/crds';
import { Backoff } from '../edgehub/backoff.ts';
import { resolveDeviceTarget, type PushMqttTarget } from './device-properties.ts';
import { DeviceRunner, desiredValueProblem, type DeviceSink } from './device-runner.ts';
import type { DeviceDriver, DriverEvents } from './driver.ts';
import { DeviceLinkError, DeviceOperationError } from './mapper-errors.ts';
import type { MapperDeviceState, TwinReading } from './payloads.ts';

class FakeDriver implements DeviceDriver {
  up = true;
  values = new Map<string, string>();
  failing = new Map<string, Error>();
  reads: string[] = [];
  writes: [string, string][] = [];
  connects = 0;
  closes = 0;
  pushed = new Set<string>();
  /** false: the device takes writes but keeps its own value (it clamps, or a local HMI wins). */
  holdsWrites = true;
  events: DriverEvents | undefined;
  pushedProperties(): ReadonlySet<string> {
    return this.pushed;
  }
  connect(events: DriverEvents): Promise<void> {
    this.connects++;
    if (!this.up) return Promise.reject(new DeviceLinkError('connect ECONNREFUSED'));
    this.events = events;
    return Promise.resolve();
  }
  read(property: string): Promise<string> {
    this.reads.push(property);
    if (!this.up) return Promise.reject(new DeviceLinkError('Port Not Open'));
    const err = this.failing.get(property);
    if (err) return Promise.reject(err);
    return Promise.resolve(this.values.get(property) ?? '0');
  }
  write(property: string, value: string): Promise<void> {
    if (!this.up) return Promise.reject(new DeviceLinkError('Port Not Open'));
    this.writes.push([property, value]);
    if (this.holdsWrites) this.values.set(property, value);
    return Promise.resolve();
  }
  close(): Promise<void> {
    this.closes++;
    return Promise.resolve();
  }
}

class Sink implements DeviceSink {
  twins: TwinReading[][] = [];
  states: MapperDeviceState[] = [];
  pushes: [PushMqttTarget, TwinReading][] = [];
  twin(readings: TwinReading[]): void {
    this.twins.push(readings);
  }
  state(state: MapperDeviceState): void {
    this.states.push(state);
  }
  push(target: PushMqttTarget, reading: TwinReading): void {
    this.pushes.push([target, reading]);
  }
}

function fixture(props: DeviceProperty[], modelProps: ModelProperty[], extra: Partial<Device['spec']> = {}) {
  const model: DeviceModel = {
    apiVersion: 'devices.kubeedge.io/v1beta1',
    kind: 'DeviceModel',
    metadata: { name: 'm', namespace: 'default' },
    spec: { protocol: 'fake', properties: modelProps },
  };
  const device: Device = {
    apiVersion: 'devices.kubeedge.io/v1beta1',
    kind: 'Device',
    metadata: { name: 'd1', namespace: 'default' },
    spec: { deviceModelRef: { name: 'm' }, protocol: { protocolName: 'fake' }, properties: props, ...extra },
  };
  return resolveDeviceTarget(device, model);
}

const MODEL: ModelProperty[] = [
  { name: 'temperature', type: 'FLOAT', accessMode: 'ReadOnly' },
  { name: 'setpoint', type: 'DOUBLE', accessMode: 'ReadWrite', minimum: '20', maximum: '90' },
  { name: 'enable', type: 'INT', accessMode: 'ReadWrite' },
];

function setup(
  props: DeviceProperty[],
  extra: Partial<Device['spec']> = {},
  backoff?: Backoff,
  logger?: Logger,
) {
  const clock = new FakeClock(0);
  const driver = new FakeDriver();
  const sink = new Sink();
  const runner = new DeviceRunner({
    target: fixture(props, MODEL, extra),
    driver,
    sink,
    clock,
    logger: logger ?? silentLogger(),
    backoff: backoff ?? new Backoff({ baseMs: 100, capMs: 800, floorMs: 100, random: () => 0.999999999 }),
  });
  return { clock, driver, sink, runner };
}

/** Steps the fake clock in small slices, letting promise chains settle in between. */
async function advance(clock: FakeClock, ms: number, step = 10): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    clock.advance(Math.min(step, ms - t));
    for (let i = 0; i < 5; i++) await tick();
  }
}
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await tick();
}

test('reads every collectCycle, reports the latest fresh value every reportCycle', async () => {
  const { clock, driver, sink, runner } = setup([
    { name: 'temperature', collectCycle: 100, reportCycle: 300 },
  ]);
  driver.values.set('temperature', '21.5');
  runner.start();
  await settle();
  assert.deepEqual(sink.states, ['online']);
  await advance(clock, 150);
  driver.values.set('temperature', '22');
  await advance(clock, 150);
  // Reads at 0, 100, 200, 300; the report at 300 fires with the read of 300 still in flight, so it
  // carries the latest completed read (200), stamped with its read time.
  assert.equal(driver.reads.length, 4);
  assert.deepEqual(sink.twins, [[{ property: 'temperature', value: '22', type: 'float', timestamp: 200 }]]);
  // Once reads fail, only the read of 300 is still to report; after that no report repeats a stale value.
  driver.failing.set('temperature', new DeviceOperationError('Modbus exception 2'));
  await advance(clock, 300);
  assert.deepEqual(sink.twins[1], [{ property: 'temperature', value: '22', type: 'float', timestamp: 300 }]);
  await advance(clock, 300);
  assert.equal(sink.twins.length, 2);
  await runner.stop();
});

test('a failing read makes the device unhealthy and a good one makes it online again', async () => {
  const { clock, driver, sink, runner } = setup([
    { name: 'temperature', collectCycle: 100, reportCycle: 100 },
    { name: 'enable', collectCycle: 100, reportCycle: 100 },
  ]);
  runner.start();
  await settle();
  driver.failing.set('enable', new DeviceOperationError('Modbus exception 2: Illegal data address'));
  await advance(clock, 100);
  assert.deepEqual(sink.states, ['online', 'unhealthy']);
  assert.match(runner.status().properties['enable']?.error ?? '', /Illegal data address/);
  assert.equal(runner.status().connected, true);
  driver.failing.clear();
  await advance(clock, 100);
  assert.deepEqual(sink.states, ['online', 'unhealthy', 'online']);
  // The link never dropped.
  assert.equal(driver.connects, 1);
  await runner.stop();
});

test('a value that cannot be a twin value is a property error, not a report', async () => {
  const { clock, driver, sink, runner } = setup([
    { name: 'temperature', collectCycle: 100, reportCycle: 100 },
  ]);
  driver.values.set('temperature', 'has space');
  runner.start();
  await advance(clock, 100);
  assert.deepEqual(sink.states, ['online', 'unhealthy']);
  assert.deepEqual(sink.twins, []);
  assert.match(runner.status().properties['temperature']?.error ?? '', /cannot be reported/);
  await runner.stop();
});

test('connect failures back off exponentially to the cap; the schedule resets after a good read', async () => {
  const { clock, driver, sink, runner } = setup([
    { name: 'temperature', collectCycle: 1000, reportCycle: 1000 },
  ]);
  driver.up = false;
  runner.start();
  await settle();
  assert.deepEqual(sink.states, ['offline']);
  const attemptsAt: number[] = [];
  let seen = driver.connects;
  for (let t = 0; t < 3200; t += 10) {
    await advance(clock, 10);
    if (driver.connects !== seen) {
      seen = driver.connects;
      attemptsAt.push(clock.now());
    }
  }
  // Delays 100, 200, 400, 800, 800, 800 (cap) after the first attempt at t=0.
  assert.deepEqual(attemptsAt, [100, 300, 700, 1500, 2300, 3100]);
  assert.deepEqual(sink.states, ['offline'], 'offline is published once, not on every retry');
  assert.match(runner.status().lastError ?? '', /ECONNREFUSED/);
  driver.up = true;
  await advance(clock, 800);
  assert.deepEqual(sink.states, ['offline', 'online']);
  // The link drops: the first retry is back to the base delay.
  driver.up = false;
  while (sink.states.length < 3) await advance(clock, 10);
  assert.deepEqual(sink.states, ['offline', 'online', 'offline']);
  const droppedAt = clock.now();
  const before = driver.connects;
  while (driver.connects === before) await advance(clock, 10);
  assert.equal(clock.now() - droppedAt, 100, 'first retry after the base delay');
  await runner.stop();
});

test('a lost link closes the driver and the device comes back online after it returns', async () => {
  const { clock, driver, sink, runner } = setup([
    { name: 'temperature', collectCycle: 100, reportCycle: 100 },
  ]);
  runner.start();
  await settle();
  driver.events?.lost(new DeviceLinkError('connection closed'));
  await settle();
  assert.deepEqual(sink.states, ['online', 'offline']);
  assert.equal(driver.closes, 1);
  assert.equal(runner.status().connected, false);
  await advance(clock, 100);
  assert.deepEqual(sink.states, ['online', 'offline', 'online']);
  assert.equal(driver.connects, 2);
  // Lost events of the old link are ignored.
  await runner.stop();
});

test('deltas write ReadWrite properties, read them back and report at once; ReadOnly and bad values are refused', async () => {
  const { clock, driver, sink, runner } = setup([
    { name: 'temperature', collectCycle: 1000, reportCycle: 1000 },
    { name: 'setpoint', collectCycle: 1000, reportCycle: 1000 },
    { name: 'enable', collectCycle: 1000, reportCycle: 1000 },
  ]);
  runner.start();
  await settle();
  sink.twins = [];
  runner.applyDelta({ setpoint: '65', temperature: '99', enable: '1.5', nosuch: '1' });
  runner.applyDelta({ setpoint: '95' });
  await settle();
  assert.deepEqual(driver.writes, [['setpoint', '65']]);
  assert.deepEqual(sink.twins, [
    [{ property: 'setpoint', value: '65', type: 'double', timestamp: clock.now() }],
  ]);
  await runner.stop();
});

test('deltas edgecore repeats after unconverged reports are written once per value and link; refusals warn once', async () => {
  const logs: string[] = [];
  const logger = createLogger('runner', { level: 'debug', write: (l) => logs.push(l) });
  const { clock, driver, runner } = setup(
    [
      { name: 'temperature', collectCycle: 1000, reportCycle: 1000 },
      { name: 'setpoint', collectCycle: 1000, reportCycle: 1000 },
      { name: 'enable', collectCycle: 1000, reportCycle: 1000 },
    ],
    {},
    undefined,
    logger,
  );
  driver.values.set('enable', '1');
  runner.start();
  await settle();
  driver.holdsWrites = false;
  runner.applyDelta({ setpoint: '65', enable: '1.0', temperature: '3' });
  await settle();
  runner.applyDelta({ setpoint: '65', temperature: '3' });
  await settle();
  // enable already reads 1 (= 1.0); setpoint is written once although the device kept 0.
  assert.deepEqual(driver.writes, [['setpoint', '65']]);
  assert.equal(logs.filter((l) => / WARN .*write refused/.test(l)).length, 1);
  assert.equal(logs.filter((l) => / DEBUG .*write refused/.test(l)).length, 1);
  runner.applyDelta({ setpoint: '66' });
  await settle();
  assert.deepEqual(driver.writes.at(-1), ['setpoint', '66']);
  // A new link writes every desired value again, the ones the device already held included.
  driver.events?.lost(new DeviceLinkError('gone'));
  await advance(clock, 100);
  assert.deepEqual(driver.writes.slice(2), [
    ['setpoint', '66'],
    ['enable', '1.0'],
  ]);
  await runner.stop();
});

test('desired values from the spec and from deltas made while offline are written after (re)connect', async () => {
  const { clock, driver, runner } = setup([
    { name: 'setpoint', desired: { value: '40' }, collectCycle: 1000, reportCycle: 1000 },
    { name: 'temperature', desired: { value: '10' }, collectCycle: 1000, reportCycle: 1000 },
  ]);
  runner.start();
  await settle();
  assert.deepEqual(driver.writes, [['setpoint', '40']], 'ReadOnly temperature is not written');
  driver.up = false;
  driver.events?.lost(new DeviceLinkError('gone'));
  runner.applyDelta({ setpoint: '70' });
  await settle();
  driver.up = true;
  await advance(clock, 100);
  assert.deepEqual(driver.writes, [
    ['setpoint', '40'],
    ['setpoint', '70'],
  ]);
  await runner.stop();
});

test('pushed properties are not polled; their values are reported; pushMethod and reportToCloud are honoured', async () => {
  const push = { topic: 'factory/t', qos: 0, retained: false };
  const { clock, driver, sink, runner } = setup([
    { name: 'temperature', collectCycle: 100, reportCycle: 200, pushMethod: { mqtt: push } },
    { name: 'enable', collectCycle: 100, reportCycle: 200, reportToCloud: false, pushMethod: { mqtt: push } },
  ]);
  driver.pushed.add('temperature');
  runner.start();
  await settle();
  driver.events?.value('temperature', '30.5', 150);
  await advance(clock, 200);
  assert.ok(!driver.reads.includes('temperature'));
  assert.deepEqual(sink.twins, [[{ property: 'temperature', value: '30.5', type: 'float', timestamp: 150 }]]);
  assert.deepEqual(
    sink.pushes.map(([t, r]) => [t.topic, r.property, r.value]),
    [
      ['factory/t', 'temperature', '30.5'],
      ['factory/t', 'enable', '0'],
    ],
  );
  driver.events?.propertyError('temperature', new DeviceOperationError('BadNodeIdUnknown'));
  assert.equal(runner.status().state, 'unhealthy');
  await runner.stop();
});

test('stateReport.reportCycle republishes the state; stop() silences the runner', async () => {
  const { clock, sink, runner } = setup([{ name: 'temperature', collectCycle: 1000, reportCycle: 1000 }], {
    stateReport: { reportCycle: 500 },
  });
  runner.start();
  await advance(clock, 1000);
  assert.deepEqual(sink.states, ['online', 'online', 'online']);
  await runner.stop();
  await advance(clock, 1000);
  assert.equal(sink.states.length, 3);
  assert.equal(clock.pendingTimers(), 0);
});

test('desiredValueProblem explains every refusal', () => {
  const target = fixture(
    [{ name: 'temperature' }, { name: 'setpoint' }, { name: 'enable' }],
    [...MODEL, { name: 'on', type: 'BOOLEAN', accessMode: 'ReadWrite' }],
  );
  const [temperature, setpoint, enable] = target.properties;
  assert.ok(temperature && setpoint && enable);
  assert.match(desiredValueProblem(temperature, 'm', '1') ?? '', /is ReadOnly in DeviceModel m/);
  assert.match(desiredValueProblem(setpoint, 'm', '19') ?? '', /below the DeviceModel minimum 20/);
  assert.match(desiredValueProblem(setpoint, 'm', '91') ?? '', /above the DeviceModel maximum 90/);
  assert.match(desiredValueProblem(setpoint, 'm', 'hot') ?? '', /"hot" is not a number/);
  assert.match(desiredValueProblem(enable, 'm', '1.5') ?? '', /not an integer/);
  assert.equal(desiredValueProblem(setpoint, 'm', '65'), undefined);
});
