import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { FakeClock, createLogger, silentLogger, type DeviceTwinUpdate } from '@edgeproof/core';
import { UpstreamQueue } from '../metamanager/upstream-queue.ts';
import { ReportOutbox, UNACKED_HOLDS_WINDOW_MS, type ReportOutboxOptions } from './report-outbox.ts';
import { ReportWindow } from './report-window.ts';

/** A window that does not adapt, for tests of the outbox's waiting order. */
const fixedWindow = (n: number): ReportWindow => new ReportWindow({ initial: n, min: n, max: n });
import { MemoryCloudLink, sequentialIds, tempDir } from './test-kit.ts';

function setup(t: { after: (fn: () => void) => void }, up = false, extra: Partial<ReportOutboxOptions> = {}) {
  const path = join(tempDir(t, 'report-outbox-'), 'reports.db');
  const clock = new FakeClock();
  const cloud = new MemoryCloudLink(up);
  const open = (): { queue: UpstreamQueue; outbox: ReportOutbox } => {
    const queue = UpstreamQueue.open(path);
    t.after(() => queue.close());
    const outbox = new ReportOutbox({
      queue,
      cloud,
      clock,
      logger: silentLogger(),
      newId: sequentialIds('m-'),
      resendIntervalMs: 60_000,
      ...extra,
    });
    return { queue, outbox };
  };
  return { clock, cloud, open };
}

const actual = (value: string, ts: number) => ({
  actual: { value, metadata: { timestamp: ts } },
  actual_version: { cloud: 0, edge: 1 },
});

test('reports made offline survive a restart, coalesced per twin, and go as one message per device on reconnect', (t) => {
  const { clock, cloud, open } = setup(t);
  const first = open();
  first.outbox.reportTwins('default', 'thermo', { temp: actual('20', 1) }, 1);
  first.outbox.reportTwins('default', 'thermo', { temp: actual('21', 2), hum: actual('40', 2) }, 2);
  first.outbox.reportTwins('default', 'thermo', { temp: actual('22', 3) }, 3);
  first.outbox.reportState('default', 'thermo', {
    event_id: 's',
    timestamp: 3,
    device: { name: 'thermo', state: 'online' },
  });
  assert.equal(cloud.sent.length, 0, 'nothing is sent while disconnected');
  assert.equal(first.outbox.pending(), 2); // the device's twins, its state
  first.queue.close();

  const second = open();
  assert.equal(second.outbox.pending(), 2);
  cloud.up = true;
  clock.advance(10);
  second.outbox.cloudConnectionChanged(true);
  const twins = cloud.withResource('/twin/edge_updated');
  assert.equal(twins.length, 1);
  const m = twins[0];
  assert.deepEqual(m?.route, {
    source: 'twin',
    group: 'resource',
    operation: 'update',
    resource: 'device/default/thermo/twin/edge_updated',
  });
  const content = m?.content as DeviceTwinUpdate;
  assert.equal(content.twin['temp']?.actual?.value, '22', 'latest value wins');
  assert.equal(content.twin['hum']?.actual?.value, '40');
  assert.equal(content.timestamp, 3, 'the newest timestamp is kept');
  const states = cloud.withResource('/state/update');
  assert.equal(states.length, 1);
  assert.equal(states[0]?.route.resource, 'device/default/thermo/state/update');
});

test('an ACK removes what the message carried; un-ACKed reports are resent after the interval, not before', (t) => {
  const { clock, cloud, open } = setup(t, true);
  const { outbox } = open();
  outbox.reportTwins('default', 'a', { x: actual('1', 1) }, 1);
  outbox.reportTwins('default', 'b', { y: actual('2', 1) }, 1);
  assert.equal(cloud.sent.length, 2);
  const [toA, toB] = cloud.sent;
  assert.ok(toA && toB);
  assert.equal(outbox.handleAck(toA.header.msg_id), true);
  assert.equal(outbox.handleAck('unknown'), false);
  assert.equal(outbox.pending(), 1);

  clock.advance(30_000);
  outbox.tick();
  assert.equal(cloud.sent.length, 2, 'not due yet');
  clock.advance(30_000);
  outbox.tick();
  assert.equal(cloud.sent.length, 3, 'resent after 60 s');
  assert.equal(cloud.sent[2]?.route.resource, 'device/default/b/twin/edge_updated');
  // A late ACK of the first send still counts.
  assert.equal(outbox.handleAck(toB.header.msg_id), true);
  assert.equal(outbox.pending(), 0);
  clock.advance(120_000);
  outbox.tick();
  assert.equal(cloud.sent.length, 3);
});

test('a refusal ends the resends of what its message carried, with a warning; a newer value stays', (t) => {
  const lines: string[] = [];
  const logger = createLogger('twin', { write: (line) => lines.push(line) });
  const { clock, cloud, open } = setup(t, true, { logger });
  const { outbox } = open();
  outbox.reportTwins('default', 'a', { x: actual('too long for the schema', 1) }, 1);
  outbox.reportTwins('default', 'b', { y: actual('1', 1) }, 1);
  const [toA, toB] = cloud.sent;
  assert.ok(toA && toB);
  outbox.reportTwins('default', 'b', { y: actual('2', 2) }, 2); // reported again before the refusal
  const reason = 'DeviceStatus default/a not written: status.twins[0].reported.value: Too long';
  assert.equal(outbox.handleRefusal(toA.header.msg_id, reason), true);
  assert.equal(outbox.handleRefusal(toB.header.msg_id, reason), true);
  assert.equal(outbox.handleRefusal('unknown', reason), false);
  assert.equal(outbox.handleRefusal(toA.header.msg_id, reason), false, 'once only');
  const warnings = lines.filter((l) => l.includes('WARN'));
  assert.equal(warnings.length, 2);
  assert.match(
    warnings[0] ?? '',
    /the cloud refused a report; it is dropped.* reports=twin\/default\/a .*Too long/,
  );
  assert.equal(outbox.pending(), 1, "b's newer value is not what was refused");

  clock.advance(60_000);
  outbox.tick();
  const resent = cloud.sent.slice(3);
  assert.deepEqual(
    resent.map((m) => m.route.resource),
    ['device/default/b/twin/edge_updated'],
    'the refused report is not sent again; the newer one is',
  );
  assert.equal((resent[0]?.content as DeviceTwinUpdate).twin['y']?.actual?.value, '2');
});

test('an ACK of an older send does not drop a newer value queued meanwhile', (t) => {
  const { cloud, open } = setup(t, true);
  const { outbox } = open();
  outbox.reportTwins('default', 'a', { x: actual('1', 1) }, 1);
  outbox.reportTwins('default', 'a', { x: actual('2', 2) }, 2);
  assert.equal(cloud.sent.length, 2, 'the newer value goes at once');
  assert.equal(outbox.handleAck(cloud.sent[0]?.header.msg_id ?? ''), true);
  assert.equal(outbox.pending(), 1);
  assert.equal(outbox.handleAck(cloud.sent[1]?.header.msg_id ?? ''), true);
  assert.equal(outbox.pending(), 0);
});

test('a reconnect resends everything un-ACKed at once; a refused send is kept', (t) => {
  const { cloud, open } = setup(t, true);
  const { outbox } = open();
  cloud.refuse = true;
  outbox.reportTwins('default', 'a', { x: actual('1', 1) }, 1);
  assert.equal(cloud.sent.length, 0);
  cloud.refuse = false;
  outbox.cloudConnectionChanged(false);
  outbox.cloudConnectionChanged(true);
  assert.equal(cloud.sent.length, 1);
  outbox.cloudConnectionChanged(true);
  assert.equal(cloud.sent.length, 2, 'after a reconnect the reply to the first may never come');
  outbox.forgetDevice('default', 'a');
  assert.equal(outbox.pending(), 0);
});

test('a window of un-ACKed messages: the devices past it wait, in order, and go one per ACK with their newest value', (t) => {
  const { cloud, open } = setup(t, true, { coalesceWhileInFlight: true, window: fixedWindow(2) });
  const { outbox } = open();
  const value = (m: (typeof cloud.sent)[number] | undefined) =>
    (m?.content as DeviceTwinUpdate).twin['x']?.actual?.value;
  for (const name of ['a', 'b', 'c', 'd'])
    outbox.reportTwins('default', name, { x: actual(`${name}1`, 1) }, 1);
  assert.deepEqual(cloud.sent.map(value), ['a1', 'b1'], 'two in flight, c and d wait');
  outbox.reportTwins('default', 'c', { x: actual('c2', 2) }, 2);
  outbox.reportTwins('default', 'a', { x: actual('a2', 2) }, 2);
  assert.equal(cloud.sent.length, 2);

  assert.equal(outbox.handleAck(cloud.sent[0]?.header.msg_id ?? ''), true);
  assert.deepEqual(
    cloud.sent.map(value),
    ['a1', 'b1', 'c2'],
    'c waited longest and goes with its newest value',
  );
  assert.equal(outbox.handleAck(cloud.sent[1]?.header.msg_id ?? ''), true);
  assert.deepEqual(
    cloud.sent.map(value),
    ['a1', 'b1', 'c2', 'd1'],
    'then d; a, ACKed and newer, queues behind',
  );
  assert.equal(outbox.handleAck(cloud.sent[2]?.header.msg_id ?? ''), true);
  assert.deepEqual(cloud.sent.map(value).slice(4), ['a2']);
  assert.equal(outbox.handleAck(cloud.sent[3]?.header.msg_id ?? ''), true);
  assert.equal(outbox.handleAck(cloud.sent[4]?.header.msg_id ?? ''), true);
  assert.equal(outbox.pending(), 0);
  assert.equal(cloud.sent.length, 5);
});

test('a reconnect empties the window: replies to what was in flight on the old link never come', (t) => {
  const { cloud, open } = setup(t, true, { window: fixedWindow(1) });
  const { outbox } = open();
  outbox.reportTwins('default', 'a', { x: actual('1', 1) }, 1);
  outbox.reportTwins('default', 'b', { x: actual('1', 1) }, 1);
  assert.equal(cloud.sent.length, 1);
  outbox.cloudConnectionChanged(false);
  outbox.cloudConnectionChanged(true);
  assert.deepEqual(
    cloud.sent.map((m) => m.route.resource),
    ['device/default/a/twin/edge_updated', 'device/default/a/twin/edge_updated'],
    'the window holds one: a again, b still waits',
  );
  outbox.handleAck(cloud.sent[1]?.header.msg_id ?? '');
  assert.equal(cloud.sent[2]?.route.resource, 'device/default/b/twin/edge_updated');
});

test('a report un-ACKed for 10 s gives up its place in the window, so a silent cloud does not stop the others', (t) => {
  const { clock, cloud, open } = setup(t, true, { window: fixedWindow(1) });
  const { outbox } = open();
  outbox.reportTwins('default', 'a', { x: actual('1', 1) }, 1);
  outbox.reportTwins('default', 'b', { x: actual('1', 1) }, 1);
  assert.equal(cloud.sent.length, 1);
  clock.advance(UNACKED_HOLDS_WINDOW_MS);
  outbox.reportTwins('default', 'c', { x: actual('1', 1) }, 1);
  assert.deepEqual(
    cloud.sent.map((m) => m.route.resource),
    ['device/default/a/twin/edge_updated', 'device/default/b/twin/edge_updated'],
    'b, waiting longest, takes the place a held',
  );
  assert.equal(outbox.handleAck(cloud.sent[0]?.header.msg_id ?? ''), true, 'a late ACK still counts');
  assert.equal(outbox.pending(), 2);
});
