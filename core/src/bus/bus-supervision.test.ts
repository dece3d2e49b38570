import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../logger.ts';
import { demoBus, settle } from './test-kit.ts';

test('a failing handler restarts on an exponential schedule and the failure is logged with the module name', async () => {
  const lines: string[] = [];
  const logger = createLogger('edgecore', { write: (line) => lines.push(line), now: () => 0 });
  const { bus, clock } = demoBus({
    logger,
    restart: { baseDelayMs: 100, maxDelayMs: 400, resetAfterMs: 10_000 },
  });
  const attempts: number[] = [];
  bus.register('devicetwin', {
    mailbox: { capacity: 10, overflow: 'reject' },
    handler: () => {
      attempts.push(clock.now());
      throw new Error('twin store unavailable');
    },
  });
  bus.start();
  for (let i = 0; i < 5; i++) bus.send('devicetwin', 'twin.update', { device: `d${i}`, desired: {} });
  await settle();
  // Each failure waits: 100, 200, 400, 400 (capped) before the next message is tried.
  for (const delay of [100, 200, 400, 400]) {
    assert.equal(bus.stats('devicetwin').state, 'restarting');
    clock.advance(delay - 1);
    await settle();
    const before = attempts.length;
    clock.advance(1);
    await settle();
    assert.equal(attempts.length, before + 1, `restarted exactly ${delay} ms after the failure`);
  }
  assert.deepEqual(attempts, [0, 100, 300, 700, 1100]);
  const stats = bus.stats('devicetwin');
  assert.equal(stats.failed, 5);
  assert.equal(stats.restarts, 5);
  assert.equal(stats.delivered, 0);
  assert.equal(lines.length, 5);
  assert.match(
    lines[0] ?? '',
    /ERROR edgecore\/bus module handler failed, restarting after backoff module=devicetwin topic=twin\.update msgId=edge-1-1 restartInMs=100 restarts=1 err="twin store unavailable"/,
  );
  await bus.stop();
  assert.equal(clock.pendingTimers(), 0, 'stop cancelled the pending restart');
});

test('messages queued while a module restarts are handled in order after it, per the mailbox policy', async () => {
  const { bus, clock } = demoBus({ restart: { baseDelayMs: 100, maxDelayMs: 1000, resetAfterMs: 1000 } });
  const handled: string[] = [];
  bus.register('metamanager', {
    mailbox: { capacity: 2, overflow: 'drop-oldest' },
    handler: (msg) => {
      if (msg.topic !== 'meta.query') return;
      handled.push(`${msg.body.key}@${clock.now()}`);
      if (msg.body.key === 'poison') throw new Error('bad row');
    },
  });
  bus.start();
  bus.send('metamanager', 'meta.query', { key: 'poison' });
  await settle();
  for (const key of ['a', 'b', 'c']) bus.send('metamanager', 'meta.query', { key });
  assert.equal(bus.stats('metamanager').queued, 2);
  assert.equal(bus.stats('metamanager').dropped, 1, 'a was dropped to make room for c');
  clock.advance(99);
  await settle();
  assert.deepEqual(handled, ['poison@0']);
  clock.advance(1);
  await settle();
  assert.deepEqual(handled, ['poison@0', 'b@100', 'c@100']);
  assert.equal(bus.stats('metamanager').state, 'running');
  assert.equal(bus.stats('metamanager').delivered, 2);
  await bus.stop();
});

test('after a quiet period the backoff starts again from the base', async () => {
  const { bus, clock } = demoBus({ restart: { baseDelayMs: 100, maxDelayMs: 10_000, resetAfterMs: 5000 } });
  const attempts: number[] = [];
  bus.register('edged', {
    mailbox: { capacity: 10, overflow: 'reject' },
    handler: () => {
      attempts.push(clock.now());
      throw new Error('boom');
    },
  });
  bus.start();
  const fail = async (): Promise<void> => {
    bus.send('edged', 'node.connection', { connected: true });
    await settle();
  };
  await fail(); // t=0, restart at 100
  clock.advance(100);
  await fail(); // t=100, restart after 200 → 300
  clock.advance(200);
  clock.advance(4999);
  await fail(); // t=5299: 4999 ms after resuming, not quiet yet → 400
  clock.advance(399);
  await settle();
  assert.equal(bus.stats('edged').state, 'restarting', 'not quiet yet, so the delay kept doubling');
  clock.advance(1); // resumed at 5699
  clock.advance(5000);
  await fail(); // t=10699: quiet for 5000 ms → base again
  assert.deepEqual(attempts, [0, 100, 5299, 10_699]);
  clock.advance(99);
  await settle();
  assert.equal(bus.stats('edged').state, 'restarting');
  clock.advance(1);
  await settle();
  assert.equal(bus.stats('edged').state, 'running', 'the delay after the quiet period was the 100 ms base');
  await bus.stop();
});

test('an async handler that rejects is supervised like one that throws', async () => {
  const { bus, clock } = demoBus();
  const handled: number[] = [];
  bus.register('eventbus', {
    mailbox: { capacity: 10, overflow: 'reject' },
    handler: async () => {
      handled.push(clock.now());
      await Promise.resolve();
      if (handled.length === 1) throw new Error('mqtt down');
    },
  });
  bus.start();
  bus.send('eventbus', 'node.connection', { connected: true });
  bus.send('eventbus', 'node.connection', { connected: false });
  await settle();
  assert.equal(bus.stats('eventbus').state, 'restarting');
  clock.advance(100); // the default base delay
  await settle();
  assert.deepEqual(handled, [0, 100]);
  assert.equal(bus.stats('eventbus').delivered, 1);
  await bus.stop();
});
