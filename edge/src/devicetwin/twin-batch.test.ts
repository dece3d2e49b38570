// Group commit of mapper twin updates (DeviceTwin `batch`, ReportOutbox `batch`): results only
// after the batch is stored, replies in request order, crash safety, storage failures, and the
// outbox's one-message-per-device coalescing. Timers run on a FakeClock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { deviceTopic, type DeviceTwinUpdate, type Message } from '@edgeproof/core';
import { twinHarness } from './test-kit.ts';

const DELAY = 5;

function setup(t: { after: (fn: () => void) => void }) {
  const h = twinHarness(t, 'twin-batch-');
  const { dir, clock, cloud, mqtt, cloudMsgs, mapper } = h;
  const open = (opts: { coalesce?: boolean } = {}) =>
    h.open({
      outbox: { coalesceWhileInFlight: opts.coalesce ?? true, removeDelayMs: 50 },
      twin: { batch: { delayMs: DELAY, maxUpdates: 3 } },
      stopAfterTest: false,
    });
  const membership = (names: string[]): Message =>
    cloudMsgs.newMessage({
      source: 'devicecontroller',
      group: 'twin',
      operation: 'update',
      resource: 'membership',
      content: {
        event_id: 'm',
        timestamp: 1,
        added_devices: names.map((n) => ({ id: `default/${n}`, name: n })),
        removed_devices: [],
      },
    });
  const ack = (m: Message): Message =>
    cloudMsgs.newMessage({
      source: 'devicecontroller',
      group: 'twin',
      operation: 'response',
      resource: 'twin',
      content: 'OK',
      parentId: m.header.msg_id,
    });
  return { dir, clock, cloud, mqtt, open, mapper, membership, ack };
}

const T = (name: string, action: Parameters<typeof deviceTopic>[2]) => deviceTopic('default', name, action);
const report = (value: string, eventId: string) => ({
  event_id: eventId,
  twin: { temp: { actual: { value }, metadata: { type: 'string' } } },
});
const temp = (m: Message | undefined) => (m?.content as DeviceTwinUpdate).twin['temp']?.actual?.value;

test('updates arriving together are stored in one batch; their results follow the commit, in order', (t) => {
  const { clock, cloud, mqtt, open, mapper, membership } = setup(t);
  const { twin } = open();
  twin.handleCloudMessage(membership(['a', 'b']));
  mqtt.clear();
  mapper(twin, T('a', 'twin/update'), report('1', 'e1'));
  mapper(twin, T('a', 'twin/update'), report('2', 'e2'));
  assert.equal(mqtt.on('/twin/update/result').length, 0, 'nothing answered before the commit');
  assert.equal(cloud.withResource('/twin/edge_updated').length, 0, 'nothing reported before the commit');
  clock.advance(DELAY - 1);
  assert.equal(mqtt.on('/twin/update/result').length, 0);
  clock.advance(1);
  assert.deepEqual(
    mqtt.on('/twin/update/result').map((r) => r['event_id']),
    ['e1', 'e2'],
  );
  // The second update merged on top of the first: two edge versions, the latest value.
  assert.deepEqual(twin.device('default', 'a')?.twins['temp']?.actual_version, { cloud: 0, edge: 2 });
  assert.equal(twin.device('default', 'a')?.twins['temp']?.actual?.value, '2');
  // One report for the device, with the latest value.
  const reports = cloud.withResource('default/a/twin/edge_updated');
  assert.equal(reports.length, 1);
  assert.equal(temp(reports[0]), '2');
  assert.equal(twin.stats().twinUpdates, 2);
});

test('a refused update and a twin/get keep their place behind the pending batch', (t) => {
  const { mqtt, open, mapper, membership } = setup(t);
  const { twin } = open();
  twin.handleCloudMessage(membership(['a']));
  mqtt.clear();
  mapper(twin, T('a', 'twin/update'), report('1', 'ok-1'));
  mapper(twin, T('a', 'twin/update'), '{not json');
  assert.equal(mqtt.published.length, 0, 'the refusal waits behind the pending result');
  // A get commits what is pending first, and sees it.
  mapper(twin, T('a', 'twin/get'), { event_id: 'g' });
  const order = mqtt.published
    .filter((p) => p.topic.endsWith('/result'))
    .map((p) => `${p.topic.split('/').slice(-2).join('/')}:${String(p.payload['event_id'])}`);
  assert.deepEqual(order, ['update/result:ok-1', 'update/result:', 'get/result:g']);
  const got = mqtt.last('/twin/get/result') as unknown as DeviceTwinUpdate;
  assert.equal(got.twin['temp']?.actual?.value, '1');
  assert.equal(twin.stats().twinUpdatesRefused, 1);
});

test('a full batch commits at once, without waiting for the timer', (t) => {
  const { mqtt, open, mapper, membership } = setup(t);
  const { twin } = open();
  twin.handleCloudMessage(membership(['a', 'b', 'c']));
  mqtt.clear();
  for (const n of ['a', 'b', 'c']) mapper(twin, T(n, 'twin/update'), report('7', n));
  assert.equal(mqtt.on('/twin/update/result').length, 3, 'maxUpdates 3 reached');
});

test('crash safety: a committed batch is on disk after a reopen; an update not yet answered is not', (t) => {
  const { dir, clock, mqtt, open, mapper, membership } = setup(t);
  const first = open();
  first.twin.handleCloudMessage(membership(['a']));
  mapper(first.twin, T('a', 'twin/update'), report('stored', 'e1'));
  clock.advance(DELAY);
  assert.equal(mqtt.last('/twin/update/result')?.['event_id'], 'e1');
  mqtt.clear();
  mapper(first.twin, T('a', 'twin/update'), report('lost', 'e2'));
  // "Power cut" before the batch commits: the connections go, the timer never fires.
  first.store.close();
  first.queue.close();
  assert.equal(mqtt.on('/twin/update/result').length, 0, 'the mapper was never told e2 was stored');

  const db = new Database(join(dir, 'edgecore.db'), { readonly: true });
  t.after(() => db.close());
  assert.deepEqual(db.prepare("SELECT actual FROM device_twin WHERE deviceid = 'default/a'").all(), [
    { actual: 'stored' },
  ]);
  const again = open();
  assert.equal(again.twin.device('default', 'a')?.twins['temp']?.actual?.value, 'stored');
  assert.equal(again.outbox.pending(), 1, 'the un-ACKed report of the committed batch survived too');
});

test('a batch that cannot be stored is answered 500 for each of its updates', (t) => {
  const { clock, cloud, mqtt, open, mapper, membership } = setup(t);
  const { twin, store } = open();
  twin.handleCloudMessage(membership(['a', 'b']));
  mqtt.clear();
  cloud.sent.length = 0;
  mapper(twin, T('a', 'twin/update'), report('1', 'e1'));
  mapper(twin, T('b', 'twin/update'), report('1', 'e2'));
  store.close();
  clock.advance(DELAY);
  const results = mqtt.on('/twin/update/result');
  assert.deepEqual(
    results.map((r) => [r['event_id'], r['code']]),
    [
      ['e1', 500],
      ['e2', 500],
    ],
  );
  assert.equal(cloud.withResource('/twin/edge_updated').length, 0, 'nothing reported that was not stored');
});

test('coalescing: one report per device in flight; newer values wait and go, latest, after the ACK', (t) => {
  const { clock, cloud, mqtt, open, mapper, membership, ack } = setup(t);
  const { twin, outbox } = open();
  twin.handleCloudMessage(membership(['a']));
  mqtt.clear();
  const send = (v: string) => {
    mapper(twin, T('a', 'twin/update'), report(v, v));
    clock.advance(DELAY);
  };
  send('1');
  send('2');
  send('3');
  const sent = cloud.withResource('default/a/twin/edge_updated');
  assert.equal(sent.length, 1, 'later values wait for the ACK of the first');
  assert.equal(mqtt.on('/twin/update/result').length, 3, 'the mapper is answered regardless');
  twin.handleCloudMessage(ack(sent[0]!));
  const after = cloud.withResource('default/a/twin/edge_updated');
  assert.equal(after.length, 2, 'the ACK lets the coalesced row go');
  assert.equal(temp(after[1]), '3', 'the latest value');
  twin.handleCloudMessage(ack(after[1]!));
  assert.equal(outbox.pending(), 0);
  // Without an ACK the held row still goes with the resend.
  send('4');
  send('5');
  assert.equal(cloud.withResource('default/a/twin/edge_updated').length, 3);
  clock.advance(2 * outbox.resendIntervalMs); // due after an interval, seen by the next resend tick
  const last = cloud.withResource('default/a/twin/edge_updated');
  assert.equal(last.length, 4);
  assert.equal(temp(last[3]), '5');
});

test('ACKed rows leave SQLite in one transaction a little later; a reopen before that only resends them', (t) => {
  const { dir, clock, cloud, open, mapper, membership, ack } = setup(t);
  const first = open();
  first.twin.handleCloudMessage(membership(['a', 'b']));
  mapper(first.twin, T('a', 'twin/update'), report('1', 'a'));
  mapper(first.twin, T('b', 'twin/update'), report('1', 'b'));
  clock.advance(DELAY);
  for (const m of cloud.withResource('/twin/edge_updated')) first.twin.handleCloudMessage(ack(m));
  assert.equal(first.outbox.pending(), 0, 'gone from memory at once');
  const rows = () => {
    const db = new Database(join(dir, 'reports.db'), { readonly: true });
    try {
      return (db.prepare('SELECT COUNT(*) AS n FROM edgeproof_upstream_queue').get() as { n: number }).n;
    } finally {
      db.close();
    }
  };
  assert.equal(rows(), 2, 'still in SQLite');
  clock.advance(50);
  assert.equal(rows(), 0, 'removed together after removeDelayMs');
});

test('stop() commits what is pending and answers it', (t) => {
  const { mqtt, open, mapper, membership } = setup(t);
  const { twin } = open();
  twin.handleCloudMessage(membership(['a']));
  mqtt.clear();
  mapper(twin, T('a', 'twin/update'), report('1', 'e1'));
  twin.stop();
  assert.equal(mqtt.last('/twin/update/result')?.['event_id'], 'e1');
});
