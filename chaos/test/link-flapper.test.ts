// Guards: a flapping link goes down and up exactly on its schedule — driven by a FakeClock, with
// each transition checked on a real proxy — ends up after its cycles, and is left up by stop().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { FakeClock } from '@edgeproof/core';
import { ChaosClient, LinkFlapper, ProxyFaults } from '../src/index.ts';
import { connectClient, settlesWithin, sleep, startEcho } from './support/net.ts';
import { portOf, startToxiproxy } from './support/toxiproxy.ts';

function dial(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.on('connect', () => {
      s.destroy();
      resolve('up');
    });
    s.on('error', (err: NodeJS.ErrnoException) =>
      resolve(err.code === 'ECONNREFUSED' ? 'down' : String(err.code)),
    );
  });
}

async function withFaults(
  fn: (faults: ProxyFaults, port: number, client: ChaosClient) => Promise<void>,
): Promise<void> {
  const echo = await startEcho();
  const tp = await startToxiproxy();
  try {
    const client = new ChaosClient({ url: tp.url });
    const proxy = await client.ensureProxy('flappy', '127.0.0.1:0', `127.0.0.1:${echo.port}`);
    await fn(new ProxyFaults(client, 'flappy'), portOf(proxy.listen), client);
  } finally {
    await tp.stop();
    await echo.stop();
  }
}

test('flaps on the fake clock: down 1 s, up 2 s, two cycles, then stays up', async () => {
  await withFaults(async (faults, port) => {
    const clock = new FakeClock();
    const changes: string[] = [];
    const flapper = new LinkFlapper(faults, {
      downMs: 1000,
      upMs: 2000,
      cycles: 2,
      clock,
      onChange: (state, cycle) => changes.push(`${state}${cycle}`),
    });
    flapper.start();
    await flapper.idle();
    assert.equal(await dial(port), 'down');
    clock.advance(999);
    await flapper.idle();
    assert.equal(await dial(port), 'down', 'still down just before downMs');
    clock.advance(1);
    await flapper.idle();
    assert.equal(await dial(port), 'up');
    clock.advance(2000);
    await flapper.idle();
    assert.equal(await dial(port), 'down', 'second cycle');
    assert.equal(flapper.cycles, 2);
    clock.advance(1000);
    await flapper.idle();
    assert.equal(await dial(port), 'up');
    assert.equal(await settlesWithin(flapper.finishedAll(), 100), true);
    clock.advance(10_000);
    await flapper.idle();
    assert.equal(await dial(port), 'up', 'no more cycles');
    assert.equal(clock.pendingTimers(), 0);
    assert.deepEqual(changes, ['down1', 'up1', 'down2', 'up2']);
    assert.equal(flapper.error, undefined);
  });
});

test('a black-hole flap silences the link without closing it, and stop() leaves it up', async () => {
  await withFaults(async (faults, port, client) => {
    const clock = new FakeClock();
    const flapper = new LinkFlapper(faults, { downMs: 500, upMs: 500, fault: 'black-hole', clock });
    flapper.start();
    await flapper.idle();
    const conn = await connectClient(port);
    conn.socket.write('?');
    await sleep(150);
    assert.equal(conn.bytes(), 0);
    assert.equal(conn.isClosed(), false);
    assert.equal(flapper.state, 'down');
    await flapper.stop();
    assert.equal(flapper.state, 'up');
    assert.deepEqual(await client.listToxics('flappy'), []);
    clock.advance(5000);
    await flapper.idle();
    assert.equal(flapper.state, 'up', 'stopped: the schedule is gone');
    assert.equal(clock.pendingTimers(), 0);
  });
});

test('bad schedules are rejected', () => {
  const faults = new ProxyFaults(new ChaosClient({ url: 'http://127.0.0.1:1' }), 'x');
  const clock = new FakeClock();
  assert.throws(() => new LinkFlapper(faults, { downMs: 0, upMs: 1, clock }), /downMs must be a positive/);
  assert.throws(
    () => new LinkFlapper(faults, { downMs: 1, upMs: 1, cycles: 0, clock }),
    /cycles must be a whole number/,
  );
});
