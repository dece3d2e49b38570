import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BusNotStartedError,
  BusStoppedError,
  BusTimeoutError,
  MailboxFullError,
  ModuleFailedError,
} from './errors.ts';
import { demoBus, roomy, settle, type DemoEnvelope } from './test-kit.ts';

/** A metamanager that holds every query so the test decides when, and in which order, to answer. */
function holdingResponder(bus: ReturnType<typeof demoBus>['bus']): DemoEnvelope[] {
  const held: DemoEnvelope[] = [];
  bus.register('metamanager', {
    group: 'meta',
    mailbox: { capacity: 1000, overflow: 'reject' },
    handler: (msg) => void held.push(msg),
  });
  return held;
}

test('a handler can reply in place and the requester gets the reply by parent id', async () => {
  const { bus } = demoBus();
  bus.register('metamanager', {
    mailbox: roomy,
    topics: ['meta.query'],
    handler: (msg, ctx) => {
      ctx.reply(msg, 'meta.response', { key: msg.body.key, value: 'v1' });
    },
  });
  bus.start();
  const reply = await bus.request('metamanager', 'meta.query', { key: 'default/pod/a' }, { source: 'edged' });
  assert.deepEqual(reply, {
    id: 'edge-1-2',
    parentId: 'edge-1-1',
    topic: 'meta.response',
    body: { key: 'default/pod/a', value: 'v1' },
    source: 'metamanager',
    timestamp: 0,
  });
  assert.deepEqual(bus.requestStats(), { pending: 0, replied: 1, timedOut: 0, lateReplies: 0 });
  await bus.stop();
});

test('many interleaved requests answered out of order each get their own reply', async () => {
  const { bus, clock } = demoBus();
  const held = holdingResponder(bus);
  const edged = bus.register('edged', { mailbox: roomy, handler: () => {} });
  bus.start();
  const keys = Array.from({ length: 50 }, (_, i) => `key-${i}`);
  // Requests come from a module and from outside, interleaved.
  const replies = keys.map((key, i) =>
    (i % 2 === 0 ? edged : bus).request('metamanager', 'meta.query', { key }, { timeoutMs: 1000 }),
  );
  await settle();
  assert.equal(held.length, 50);
  assert.equal(bus.requestStats().pending, 50);
  // Answer in a scrambled order: odd positions backwards, then even positions forwards.
  const order = [...held.filter((_, i) => i % 2 === 1).reverse(), ...held.filter((_, i) => i % 2 === 0)];
  for (const req of order) {
    assert.ok(req.topic === 'meta.query');
    assert.equal(
      bus.reply(req, 'meta.response', { key: req.body.key, value: `value of ${req.body.key}` }),
      true,
    );
  }
  const got = await Promise.all(replies);
  got.forEach((reply, i) => {
    assert.ok(reply.topic === 'meta.response');
    assert.deepEqual(reply.body, { key: keys[i], value: `value of ${keys[i]}` });
    assert.equal(reply.parentId, held[i]?.id);
  });
  assert.equal(held[0]?.source, 'edged');
  assert.equal(held[1]?.source, 'edge-1');
  assert.deepEqual(bus.requestStats(), { pending: 0, replied: 50, timedOut: 0, lateReplies: 0 });
  assert.equal(clock.pendingTimers(), 0, 'every reply cancelled its timeout');
  await bus.stop();
});

test('a request times out on the injected clock and its late reply is dropped and counted', async () => {
  const { bus, clock } = demoBus();
  const held = holdingResponder(bus);
  bus.start();
  const first = bus.request('metamanager', 'meta.query', { key: 'slow' }, { timeoutMs: 1000 });
  const outcome = first.then(
    () => 'resolved',
    (err: unknown) => err,
  );
  clock.advance(500);
  const second = bus.request('metamanager', 'meta.query', { key: 'next' }, { timeoutMs: 1000 });
  await settle();
  clock.advance(499);
  await settle();
  assert.equal(bus.requestStats().pending, 2, 'one ms before the deadline nothing has failed');
  clock.advance(1);
  const err = await outcome;
  assert.ok(err instanceof BusTimeoutError);
  assert.equal(err.code, 'EBUSTIMEOUT');
  assert.equal(err.retriable, true);
  assert.match(err.message, /metamanager did not reply to meta\.query request edge-1-1 within 1000 ms/);
  assert.equal(clock.pendingTimers(), 1, 'only the second request’s timer is left');

  const [slow, next] = held;
  assert.ok(slow && next);
  assert.equal(bus.reply(slow, 'meta.response', { key: 'slow', value: 'too late' }), false);
  assert.deepEqual(bus.requestStats(), { pending: 1, replied: 0, timedOut: 1, lateReplies: 1 });
  // The late reply did not resolve the other waiter; its own reply does.
  assert.equal(bus.reply(next, 'meta.response', { key: 'next', value: 'on time' }), true);
  const reply = await second;
  assert.ok(reply.topic === 'meta.response');
  assert.equal(reply.body.value, 'on time');
  assert.equal(
    bus.reply(next, 'meta.response', { key: 'next', value: 'twice' }),
    false,
    'a duplicate is late too',
  );
  assert.equal(bus.requestStats().lateReplies, 2);
  assert.equal(clock.pendingTimers(), 0);
  await bus.stop();
});

test('the default request timeout is beehive’s 30 s', async () => {
  const { bus, clock } = demoBus();
  holdingResponder(bus);
  bus.start();
  const outcome = bus.request('metamanager', 'meta.query', { key: 'k' }).catch((err: unknown) => err);
  clock.advance(29_999);
  await settle();
  assert.equal(bus.requestStats().pending, 1);
  clock.advance(1);
  assert.ok((await outcome) instanceof BusTimeoutError);
  await bus.stop();
});

test('a request refused or dropped by a full mailbox fails at once, not at its timeout', async () => {
  const { bus, clock } = demoBus();
  bus.register('rejecting', { mailbox: { capacity: 1, overflow: 'reject' }, handler: () => {} });
  bus.register('dropping-new', { mailbox: { capacity: 1, overflow: 'drop-newest' }, handler: () => {} });
  bus.register('dropping-old', { mailbox: { capacity: 1, overflow: 'drop-oldest' }, handler: () => {} });
  bus.start();
  // Fill each mailbox synchronously, before the dispatcher can run.
  bus.send('rejecting', 'meta.query', { key: 'filler' });
  bus.send('dropping-new', 'meta.query', { key: 'filler' });
  const evicted = bus.request('dropping-old', 'meta.query', { key: 'first' }).catch((err: unknown) => err);
  const refused = bus.request('rejecting', 'meta.query', { key: 'k' }).catch((err: unknown) => err);
  const droppedNew = bus.request('dropping-new', 'meta.query', { key: 'k' }).catch((err: unknown) => err);
  bus.send('dropping-old', 'meta.query', { key: 'evicts first' });
  for (const outcome of [refused, droppedNew, evicted]) {
    const err = await outcome;
    assert.ok(err instanceof MailboxFullError, String(err));
    assert.equal(err.retriable, true);
  }
  assert.equal(bus.requestStats().pending, 0);
  assert.equal(clock.pendingTimers(), 0);
  await bus.stop();
});

test('a request whose handler throws fails with ModuleFailedError carrying the cause', async () => {
  const { bus } = demoBus();
  bus.register('metamanager', {
    mailbox: roomy,
    handler: () => {
      throw new Error('disk on fire');
    },
  });
  bus.start();
  const err = await bus.request('metamanager', 'meta.query', { key: 'k' }).catch((e: unknown) => e);
  assert.ok(err instanceof ModuleFailedError);
  assert.match(err.message, /module metamanager failed handling meta\.query request edge-1-1: disk on fire/);
  assert.equal((err.cause as Error).message, 'disk on fire');
  await bus.stop();
});

test('requests before start and after stop fail clearly; stop rejects pending requests', async () => {
  const { bus, clock } = demoBus();
  holdingResponder(bus);
  await assert.rejects(bus.request('metamanager', 'meta.query', { key: 'k' }), BusNotStartedError);
  assert.equal(clock.pendingTimers(), 0);
  bus.start();
  const pending = bus.request('metamanager', 'meta.query', { key: 'k' }, { source: 'edged' });
  await settle();
  await bus.stop();
  await assert.rejects(pending, (err: unknown) => {
    assert.ok(err instanceof BusStoppedError);
    assert.match(
      err.message,
      /bus edge-1 is stopped: stopped before module metamanager replied to meta\.query request edge-1-1/,
    );
    return true;
  });
  await assert.rejects(bus.request('metamanager', 'meta.query', { key: 'k' }), BusStoppedError);
  assert.equal(clock.pendingTimers(), 0);
});
