import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BusStoppedError,
  DuplicateModuleError,
  MailboxFullError,
  TopicNotAcceptedError,
  UnknownModuleError,
} from './errors.ts';
import { demoBus, roomy, settle, type DemoEnvelope } from './test-kit.ts';

function recorder(): { seen: string[]; handler: (msg: DemoEnvelope) => void } {
  const seen: string[] = [];
  return { seen, handler: (msg) => void seen.push(`${msg.topic}:${msg.source}`) };
}

test('a message sent to a module reaches its handler with a full envelope', async () => {
  const { bus, clock } = demoBus();
  const got: DemoEnvelope[] = [];
  bus.register('metamanager', { mailbox: roomy, handler: (msg) => void got.push(msg) });
  bus.start();
  clock.advance(5);
  const sent = bus.send('metamanager', 'meta.query', { key: 'default/pod/nginx' }, { source: 'edged' });
  await settle();
  assert.deepEqual(got, [sent]);
  assert.deepEqual(sent, {
    id: 'edge-1-1',
    topic: 'meta.query',
    body: { key: 'default/pod/nginx' },
    source: 'edged',
    timestamp: 5,
  });
  assert.equal(bus.stats('metamanager').delivered, 1);
  await bus.stop();
});

test('a handler never runs inside the sender’s call', async () => {
  const { bus } = demoBus();
  const { seen, handler } = recorder();
  bus.register('metamanager', { mailbox: roomy, handler });
  bus.start();
  bus.send('metamanager', 'meta.query', { key: 'k' });
  assert.deepEqual(seen, []);
  await settle();
  assert.equal(seen.length, 1);
  await bus.stop();
});

test('messages sent before start wait in the mailbox and are handled after it', async () => {
  const { bus, clock } = demoBus();
  const { seen, handler } = recorder();
  bus.register('metamanager', { mailbox: roomy, handler });
  bus.send('metamanager', 'meta.query', { key: 'k' });
  await settle();
  assert.deepEqual(seen, []);
  assert.equal(bus.stats('metamanager').state, 'idle');
  assert.equal(clock.pendingTimers(), 0, 'no timers before start');
  bus.start();
  await settle();
  assert.deepEqual(seen, ['meta.query:edge-1']);
  await bus.stop();
});

test('a module handles its messages one at a time, in order, even when the handler is async', async () => {
  const { bus } = demoBus();
  const events: string[] = [];
  let inHandler = 0;
  bus.register('metamanager', {
    mailbox: roomy,
    handler: async (msg) => {
      if (msg.topic !== 'meta.query') return;
      inHandler++;
      assert.equal(inHandler, 1, 'never two at once');
      events.push(`start ${msg.body.key}`);
      // Yield a few times so a concurrent dispatcher would interleave here.
      for (let i = 0; i < 3; i++) await Promise.resolve();
      events.push(`end ${msg.body.key}`);
      inHandler--;
    },
  });
  bus.start();
  for (const key of ['a', 'b', 'c']) bus.send('metamanager', 'meta.query', { key });
  await settle();
  assert.deepEqual(events, ['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  await bus.stop();
});

test('sendToGroup reaches every module of the group with one shared envelope', async () => {
  const { bus } = demoBus();
  const twin = recorder();
  const meta = recorder();
  const busModule = recorder();
  const edged = recorder();
  const metaEnvelopes: DemoEnvelope[] = [];
  const hub = bus.register('websocket', { group: 'hub', mailbox: roomy, handler: () => {} });
  bus.register('twin', { group: 'twin', mailbox: roomy, handler: twin.handler });
  bus.register('metamanager', { group: 'meta', mailbox: roomy, handler: meta.handler });
  bus.register('metaserver', {
    group: 'meta',
    mailbox: roomy,
    handler: (msg) => void metaEnvelopes.push(msg),
  });
  bus.register('eventbus', { group: 'bus', mailbox: roomy, handler: busModule.handler });
  bus.register('edged', { group: 'edged', mailbox: roomy, handler: edged.handler });
  bus.start();
  // EdgeHub tells twin, meta and bus about the cloud link (kubeedge-protocol.md §2.3).
  const fanouts = ['twin', 'meta', 'bus'].map((group) =>
    hub.sendToGroup(group, 'node.connection', { connected: true }),
  );
  await settle();
  assert.deepEqual(
    fanouts.map((f) => f.recipients),
    [['twin'], ['metamanager', 'metaserver'], ['eventbus']],
  );
  for (const r of [twin, meta, busModule]) assert.deepEqual(r.seen, ['node.connection:websocket']);
  assert.deepEqual(metaEnvelopes, [fanouts[1]?.envelope], 'both meta modules got the same envelope');
  assert.deepEqual(edged.seen, []);
  await bus.stop();
});

test('broadcast reaches every module but the sender and skips modules without the topic', async () => {
  const { bus } = demoBus();
  const a = recorder();
  const b = recorder();
  const onlyTwin = recorder();
  const sender = recorder();
  bus.register('a', { group: 'g1', mailbox: roomy, handler: a.handler });
  bus.register('b', { group: 'g2', mailbox: roomy, handler: b.handler });
  bus.register('twin-only', { mailbox: roomy, topics: ['twin.update'], handler: onlyTwin.handler });
  const me = bus.register('sender', { mailbox: roomy, handler: sender.handler });
  bus.start();
  const { envelope, recipients } = me.broadcast('node.connection', { connected: false });
  await settle();
  assert.deepEqual(recipients, ['a', 'b']);
  assert.equal(envelope.source, 'sender');
  assert.deepEqual(a.seen, ['node.connection:sender']);
  assert.deepEqual(b.seen, ['node.connection:sender']);
  assert.deepEqual(onlyTwin.seen, []);
  assert.deepEqual(sender.seen, []);
  // From outside any module, the broadcast reaches everyone who accepts the topic.
  assert.deepEqual(bus.broadcast('node.connection', { connected: true }).recipients, ['a', 'b', 'sender']);
  assert.deepEqual(bus.sendToGroup('nobody', 'node.connection', { connected: true }).recipients, []);
  await bus.stop();
});

test('a duplicate module name, an unknown module and an unaccepted topic are errors', async () => {
  const { bus } = demoBus();
  bus.register('metamanager', { mailbox: roomy, topics: ['meta.query'], handler: () => {} });
  assert.throws(
    () => bus.register('metamanager', { mailbox: roomy, handler: () => {} }),
    DuplicateModuleError,
  );
  assert.throws(() => bus.send('edged', 'meta.query', { key: 'k' }), UnknownModuleError);
  assert.throws(() => bus.stats('edged'), UnknownModuleError);
  assert.throws(() => bus.send('metamanager', 'node.connection', { connected: true }), TopicNotAcceptedError);
  await bus.stop();
});

test('the reject policy makes send throw a retriable MailboxFullError and counts it', async () => {
  const { bus } = demoBus();
  const { seen, handler } = recorder();
  bus.register('metamanager', { mailbox: { capacity: 2, overflow: 'reject' }, handler });
  bus.send('metamanager', 'meta.query', { key: '1' });
  bus.send('metamanager', 'meta.query', { key: '2' });
  assert.throws(
    () => bus.send('metamanager', 'meta.query', { key: '3' }),
    (e: unknown) => e instanceof MailboxFullError && e.retriable && e.code === 'EMAILBOXFULL',
  );
  assert.deepEqual(bus.stats('metamanager'), {
    state: 'idle',
    queued: 2,
    delivered: 0,
    failed: 0,
    dropped: 0,
    rejected: 1,
    restarts: 0,
  });
  bus.start();
  await settle();
  assert.equal(seen.length, 2);
  // Drained, so a retry now succeeds.
  bus.send('metamanager', 'meta.query', { key: '3' });
  await bus.stop();
});

test('drop-oldest keeps the newest messages and counts the drops', async () => {
  const { bus } = demoBus();
  const keys: string[] = [];
  bus.register('metamanager', {
    mailbox: { capacity: 2, overflow: 'drop-oldest' },
    handler: (msg) => void (msg.topic === 'meta.query' && keys.push(msg.body.key)),
  });
  for (const key of ['1', '2', '3', '4']) bus.send('metamanager', 'meta.query', { key });
  assert.equal(bus.stats('metamanager').dropped, 2);
  bus.start();
  await settle();
  assert.deepEqual(keys, ['3', '4']);
  await bus.stop();
});

test('drop-newest keeps the oldest messages and counts the drops', async () => {
  const { bus } = demoBus();
  const keys: string[] = [];
  bus.register('metamanager', {
    mailbox: { capacity: 2, overflow: 'drop-newest' },
    handler: (msg) => void (msg.topic === 'meta.query' && keys.push(msg.body.key)),
  });
  for (const key of ['1', '2', '3', '4']) bus.send('metamanager', 'meta.query', { key });
  assert.equal(bus.stats('metamanager').dropped, 2);
  bus.start();
  await settle();
  assert.deepEqual(keys, ['1', '2']);
  await bus.stop();
});

test('a fan-out is all or nothing when a rejecting mailbox is full', async () => {
  const { bus } = demoBus();
  bus.register('roomy', { mailbox: roomy, handler: () => {} });
  bus.register('tight', { mailbox: { capacity: 1, overflow: 'reject' }, handler: () => {} });
  bus.broadcast('node.connection', { connected: true });
  assert.throws(() => bus.broadcast('node.connection', { connected: false }), MailboxFullError);
  assert.equal(bus.stats('roomy').queued, 1, 'the module with room did not get the refused message');
  await bus.stop();
});

test('stop drains nothing more, discards queued messages, aborts the signal and refuses sends', async () => {
  const { bus, clock } = demoBus();
  let release: () => void = () => {};
  const handled: string[] = [];
  const ctx = bus.register('metamanager', {
    mailbox: roomy,
    handler: async (msg) => {
      handled.push(msg.id);
      await new Promise<void>((resolve) => (release = resolve));
    },
  });
  const signal = ctx.signal;
  bus.start();
  bus.send('metamanager', 'meta.query', { key: '1' });
  bus.send('metamanager', 'meta.query', { key: '2' });
  await settle();
  assert.deepEqual(handled, ['edge-1-1']);
  let stopped = false;
  const stopping = bus.stop().then(() => (stopped = true));
  await settle();
  assert.equal(stopped, false, 'stop waits for the handler in flight');
  assert.equal(signal.aborted, true);
  release();
  await stopping;
  assert.deepEqual(handled, ['edge-1-1'], 'the queued message is not handled after stop');
  assert.equal(bus.stats('metamanager').state, 'stopped');
  assert.equal(bus.stats('metamanager').dropped, 1);
  assert.equal(clock.pendingTimers(), 0);
  assert.throws(() => bus.send('metamanager', 'meta.query', { key: '3' }), BusStoppedError);
  assert.throws(() => bus.broadcast('node.connection', { connected: true }), BusStoppedError);
  assert.throws(() => bus.register('late', { mailbox: roomy, handler: () => {} }), BusStoppedError);
  assert.throws(() => bus.start(), BusStoppedError);
});

test('two buses in one process are isolated: same module names, separate messages and lifecycles', async () => {
  const one = demoBus({ name: 'edge-1' });
  const two = demoBus({ name: 'edge-2' });
  const a = recorder();
  const b = recorder();
  one.bus.register('metamanager', { group: 'meta', mailbox: roomy, handler: a.handler });
  two.bus.register('metamanager', { group: 'meta', mailbox: roomy, handler: b.handler });
  one.bus.start();
  two.bus.start();
  one.bus.send('metamanager', 'meta.query', { key: 'k' });
  one.bus.broadcast('node.connection', { connected: true });
  await settle();
  assert.deepEqual(a.seen, ['meta.query:edge-1', 'node.connection:edge-1']);
  assert.deepEqual(b.seen, []);
  await one.bus.stop();
  two.bus.sendToGroup('meta', 'node.connection', { connected: false });
  await settle();
  assert.deepEqual(b.seen, ['node.connection:edge-2']);
  assert.equal(two.bus.stats('metamanager').state, 'running');
  await two.bus.stop();
});
