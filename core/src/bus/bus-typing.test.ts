// The bus's types are its main feature: these tests pass at run time, and the `@ts-expect-error`
// lines make `tsc` fail if the compiler ever stops catching the mistake next to them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { demoBus, roomy, settle, type DemoEnvelope, type DemoTopics } from './test-kit.ts';
import type { BusEnvelope } from './types.ts';

/** An exhaustive handler: adding a topic to DemoTopics makes the `satisfies never` line fail. */
function describeMessage(msg: DemoEnvelope): string {
  switch (msg.topic) {
    case 'meta.insert':
      return `insert ${msg.body.namespace}/${msg.body.name}@${msg.body.resourceVersion}`;
    case 'meta.query':
      return `query ${msg.body.key}`;
    case 'meta.response':
      return `response ${msg.body.key}=${msg.body.value ?? 'null'}`;
    case 'node.connection':
      return msg.body.connected ? 'cloud connected' : 'cloud disconnected';
    case 'twin.update':
      return `twin ${msg.body.device} ${Object.keys(msg.body.desired).join(',')}`;
    default:
      return msg satisfies never;
  }
}

// Never called: it only has to fail to compile where marked.
function _forgetsACase(msg: DemoEnvelope): string {
  // eslint-disable-next-line @typescript-eslint/switch-exhaustiveness-check -- the lint catches it too
  switch (msg.topic) {
    case 'meta.insert':
    case 'meta.query':
    case 'meta.response':
    case 'twin.update':
      return msg.topic;
    default:
      // @ts-expect-error -- 'node.connection' is not handled, so msg is not never here
      return msg satisfies never;
  }
}

test('a handler switch on the topic narrows the body', async () => {
  const { bus } = demoBus();
  const seen: string[] = [];
  bus.register('metamanager', {
    group: 'meta',
    mailbox: roomy,
    handler: (msg) => void seen.push(describeMessage(msg)),
  });
  bus.start();
  bus.send('metamanager', 'meta.insert', { namespace: 'default', name: 'nginx', resourceVersion: '7' });
  bus.send('metamanager', 'node.connection', { connected: false });
  await settle();
  assert.deepEqual(seen, ['insert default/nginx@7', 'cloud disconnected']);
  await bus.stop();
});

test('a module that declares its topics gets a handler typed by just those', async () => {
  const { bus } = demoBus();
  const seen: boolean[] = [];
  bus.register('devicetwin', {
    group: 'twin',
    mailbox: roomy,
    topics: ['node.connection'],
    handler: (msg) => {
      // Only one topic is possible, so no switch is needed and the body is already narrowed.
      const topic: 'node.connection' = msg.topic;
      assert.equal(topic, 'node.connection');
      seen.push(msg.body.connected);
    },
  });
  bus.start();
  bus.broadcast('node.connection', { connected: true });
  await settle();
  assert.deepEqual(seen, [true]);
  await bus.stop();
});

test('send returns an envelope typed by its topic', async () => {
  const { bus, clock } = demoBus();
  bus.register('metamanager', { mailbox: roomy, handler: () => {} });
  const envelope = bus.send('metamanager', 'meta.query', { key: 'default/pod/nginx' });
  const key: string = envelope.body.key;
  assert.deepEqual(envelope, {
    id: 'edge-1-1',
    topic: 'meta.query',
    body: { key },
    source: 'edge-1',
    timestamp: clock.now(),
  });
  await bus.stop();
});

test('the compiler rejects unknown topics and mismatched bodies', async () => {
  const { bus } = demoBus();
  bus.register('metamanager', { mailbox: roomy, handler: () => {} });
  const calls: (() => unknown)[] = [
    // @ts-expect-error -- no such topic in DemoTopics
    () => bus.send('metamanager', 'meta.delete', {}),
    // @ts-expect-error -- node.connection's body is { connected: boolean }
    () => bus.send('metamanager', 'node.connection', { connected: 'yes' }),
    // @ts-expect-error -- a reply body must match the reply topic
    () => bus.reply({} as BusEnvelope<DemoTopics>, 'meta.response', { key: 'k' }),
  ];
  assert.equal(calls.length, 3);
  await bus.stop();
});
