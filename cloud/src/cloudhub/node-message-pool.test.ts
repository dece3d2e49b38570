// The per-node ACK queue without sockets: a fake transport records what is written and a FakeClock
// drives the resend and requeue timers (kubeedge-protocol.md §3.1–3.2: keyed by UID, resend every
// 5 s up to 5 sends, then requeue with backoff).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock, InvalidInputError, messageBuilder, silentLogger, type Message } from '@edgeproof/core';
import {
  ACK_MAX_SENDS,
  ACK_RESEND_INTERVAL_MS,
  NodeMessagePool,
  type NodeMessagePoolOptions,
} from './node-message-pool.ts';
import { NodeSessionClosedError } from './node-session.ts';

type Harness = {
  clock: FakeClock;
  pool: NodeMessagePool;
  sent: Message[];
  /** Set to make every further send fail with this error. */
  fail: { with: Error | undefined };
  transportErrors: unknown[];
};

function harness(options: Partial<NodeMessagePoolOptions> = {}): Harness {
  const clock = new FakeClock(0);
  const sent: Message[] = [];
  const fail: Harness['fail'] = { with: undefined };
  const transportErrors: unknown[] = [];
  const pool = new NodeMessagePool({
    nodeId: 'edge-1',
    clock,
    logger: silentLogger(),
    transport: {
      send: (m) => {
        if (fail.with) return Promise.reject(fail.with);
        sent.push(m);
        return Promise.resolve();
      },
    },
    onTransportError: (err) => transportErrors.push(err),
    ...options,
  });
  return { clock, pool, sent, fail, transportErrors };
}

const build = messageBuilder({ clock: new FakeClock(0) });

function pod(
  uid: string,
  rv: string | undefined,
  operation: 'insert' | 'update' | 'delete' = 'update',
  extra: Record<string, unknown> = {},
): Message {
  return build.newMessage({
    source: 'edgecontroller',
    group: 'resource',
    operation,
    resource: `node/edge-1/default/pod/${uid}`,
    content: { apiVersion: 'v1', kind: 'Pod', metadata: { name: uid, namespace: 'default', uid, ...extra } },
    ...(rv ? { resourceVersion: rv } : {}),
  });
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

test('sends at once and stops resending when the ACK arrives', () => {
  const { clock, pool, sent } = harness();
  const m = pod('a', '5', 'insert');
  assert.equal(pool.enqueue(m), 'queued');
  assert.deepEqual(
    sent.map((s) => s.header.msg_id),
    [m.header.msg_id],
  );
  const acked = pool.acknowledge(m.header.msg_id);
  assert.deepEqual(acked, { message: m, superseded: false });
  assert.equal(pool.size(), 0);
  clock.advance(60_000);
  assert.equal(sent.length, 1, 'no resend after the ACK');
  assert.equal(clock.pendingTimers(), 0);
  assert.equal(pool.acknowledge(m.header.msg_id), undefined, 'an id is acknowledged once');
  assert.equal(pool.acknowledge('never-sent'), undefined);
});

test('resends the same message every 5 s, 5 sends in all, then requeues with growing backoff', () => {
  const { clock, pool, sent } = harness();
  const m = pod('a', '5');
  pool.enqueue(m);
  const times: number[] = [clock.now()];
  for (let i = 1; i < ACK_MAX_SENDS; i++) {
    clock.advance(ACK_RESEND_INTERVAL_MS - 1);
    assert.equal(sent.length, i, `no resend before ${ACK_RESEND_INTERVAL_MS} ms`);
    clock.advance(1);
    times.push(clock.now());
  }
  assert.equal(sent.length, ACK_MAX_SENDS);
  assert.deepEqual(times, [0, 5_000, 10_000, 15_000, 20_000]);
  assert.ok(
    sent.every((s) => s.header.msg_id === m.header.msg_id),
    'a resend keeps the msg_id',
  );

  // The fifth send waits its 5 s too, then the message is requeued after 5 ms (client-go's base).
  clock.advance(ACK_RESEND_INTERVAL_MS);
  assert.equal(sent.length, ACK_MAX_SENDS);
  assert.equal(pool.inFlightCount(), 0);
  assert.equal(pool.size(), 1, 'still held while backing off');
  clock.advance(5);
  assert.equal(sent.length, ACK_MAX_SENDS + 1, 'a new round starts after the backoff');

  // The second round ends the same way; its backoff doubles.
  clock.advance(ACK_MAX_SENDS * ACK_RESEND_INTERVAL_MS);
  assert.equal(sent.length, 2 * ACK_MAX_SENDS);
  clock.advance(9);
  assert.equal(sent.length, 2 * ACK_MAX_SENDS);
  clock.advance(1);
  assert.equal(sent.length, 2 * ACK_MAX_SENDS + 1);

  // A late ACK of the same id still ends it all.
  assert.equal(pool.acknowledge(m.header.msg_id)?.superseded, false);
  clock.advance(600_000);
  assert.equal(sent.length, 2 * ACK_MAX_SENDS + 1);
  assert.equal(clock.pendingTimers(), 0);
});

test('a newer version replaces a queued older one for the same UID', () => {
  const { pool, sent } = harness({ maxInFlight: 1 });
  const first = pod('a', '1');
  const older = pod('b', '7');
  const newer = pod('b', '9');
  pool.enqueue(first); // takes the only slot
  assert.equal(pool.enqueue(older), 'queued');
  assert.equal(pool.enqueue(newer), 'replaced');
  assert.equal(pool.enqueue(pod('b', '8')), 'stale', 'an older version does not go back in');
  assert.equal(pool.enqueue(pod('b', '9')), 'unchanged', 'the same version is not queued twice');
  assert.equal(pool.size(), 2);
  pool.acknowledge(first.header.msg_id);
  assert.deepEqual(
    sent.map((s) => s.header.resourceversion),
    ['1', '9'],
    'only the newest version of b is ever sent',
  );
});

test('a newer version replaces one on the way; the old ACK is recognised as superseded', () => {
  const { clock, pool, sent } = harness();
  const v1 = pod('a', '1', 'insert');
  const v2 = pod('a', '2');
  pool.enqueue(v1);
  clock.advance(3_000);
  assert.equal(pool.enqueue(v2), 'replaced');
  assert.deepEqual(
    sent.map((s) => s.header.resourceversion),
    ['1', '2'],
    'sent at once',
  );
  assert.deepEqual(pool.acknowledge(v1.header.msg_id), { message: v1, superseded: true });
  assert.equal(pool.size(), 1, 'still waiting for the newer one');
  clock.advance(ACK_RESEND_INTERVAL_MS);
  assert.equal(sent.at(-1)?.header.msg_id, v2.header.msg_id, 'the newer one is resent, 5 s after it went');
  assert.deepEqual(pool.acknowledge(v2.header.msg_id), { message: v2, superseded: false });
  assert.equal(pool.size(), 0);
});

test('§3.1 enqueue rules: no resourceVersion, deletes, objects being deleted', () => {
  const { pool } = harness({ maxInFlight: 1 });
  pool.enqueue(pod('blocker', '1'));
  assert.equal(pool.enqueue(pod('a', undefined)), 'stale', 'rule 1: no resourceVersion, not a delete');
  assert.equal(pool.enqueue(pod('a', '5')), 'queued');
  // Rule 2: a pod being deleted goes in even when its resourceVersion is not greater…
  assert.equal(
    pool.enqueue(pod('a', '4', 'update', { deletionTimestamp: '2026-01-01T00:00:00Z' })),
    'replaced',
  );
  // …and so does a delete, with or without a resourceVersion.
  assert.equal(pool.enqueue(pod('a', undefined, 'delete')), 'replaced');
  assert.equal(pool.pending('a')?.route.operation, 'delete');
  // Rule 3: nothing but another delete replaces a waiting delete.
  assert.equal(pool.enqueue(pod('a', '99')), 'stale');
  assert.equal(pool.enqueue(pod('a', undefined, 'delete')), 'unchanged');
});

test('NoAck messages are sent once and not kept (§3.2)', () => {
  const { clock, pool, sent } = harness();
  const nodeDelete = build.newMessage({
    source: 'edgecontroller',
    group: 'resource',
    operation: 'delete',
    resource: 'node/edge-1/null/node/edge-1',
    content: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'edge-1', uid: 'n1' } },
  });
  assert.equal(pool.enqueue(nodeDelete), 'sent-once');
  assert.equal(pool.size(), 0);
  clock.advance(60_000);
  assert.equal(sent.length, 1);
});

test('at most maxInFlight objects wait for their ACK at once; an ACK frees a slot', () => {
  const { pool, sent } = harness({ maxInFlight: 2 });
  const ms = ['a', 'b', 'c'].map((uid) => pod(uid, '1'));
  for (const m of ms) pool.enqueue(m);
  assert.deepEqual(
    sent.map((s) => s.route.resource),
    ['default/pod/a', 'default/pod/b'],
    'written in the edge form: the node/<id>/ prefix trimmed (§1.3)',
  );
  pool.acknowledge(ms[1]!.header.msg_id);
  assert.equal(sent.at(-1)?.route.resource, 'default/pod/c', 'queued in order');
  assert.equal(ms[0]!.route.resource, 'node/edge-1/default/pod/a', "the caller's message is left as it was");
  assert.equal(pool.inFlightCount(), 2);
});

test('a transport error stops the pool: no more sends, no timers, later enqueues refused', async () => {
  const h = harness();
  h.pool.enqueue(pod('a', '1'));
  h.fail.with = new NodeSessionClosedError('edge-1', { kind: 'peer-closed', message: 'gone' });
  h.clock.advance(ACK_RESEND_INTERVAL_MS);
  await settle();
  assert.equal(h.pool.isClosed(), true);
  assert.equal(h.transportErrors.length, 1);
  assert.equal(h.clock.pendingTimers(), 0);
  assert.equal(h.pool.enqueue(pod('b', '1')), 'closed');
});

test('a message that cannot be encoded is dropped; the pool keeps going', async () => {
  const h = harness();
  h.fail.with = new InvalidInputError('content cannot be encoded as JSON');
  h.pool.enqueue(pod('a', '1'));
  await settle();
  assert.equal(h.pool.size(), 0);
  assert.equal(h.pool.isClosed(), false);
  h.fail.with = undefined;
  assert.equal(h.pool.enqueue(pod('b', '1')), 'queued');
  assert.equal(h.sent.length, 1);
});

test('a message that needs an ACK but has no uid is refused with InvalidInputError', () => {
  const { pool } = harness();
  const bad = build.newMessage({
    source: 'edgecontroller',
    group: 'resource',
    operation: 'update',
    resource: 'node/edge-1/default/configmap/x',
    content: { metadata: { name: 'x' } },
    resourceVersion: '3',
  });
  assert.throws(() => pool.enqueue(bad), InvalidInputError);
});
