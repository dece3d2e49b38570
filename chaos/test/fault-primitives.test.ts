// Guards: the fault primitives edgeproof's scenarios use mean on the wire what proxy-faults.ts
// says — a partition is a clean close then refusals, a black hole keeps connections up while
// nothing arrives, half-open loses one direction only, reset peer is ECONNRESET — and heal
// brings back a clean link.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import {
  ChaosClient,
  FAULT_TOXIC,
  ProxyFaults,
  ToxiproxyRequestError,
  type EmbeddedToxiproxy,
} from '../src/index.ts';
import {
  closedPort,
  connectClient,
  settlesWithin,
  sleep,
  startEcho,
  type TestServer,
} from './support/net.ts';
import { TIMER_EARLY_MS, portOf, startToxiproxy } from './support/toxiproxy.ts';

type Setup = {
  tp: EmbeddedToxiproxy;
  client: ChaosClient;
  faults: ProxyFaults;
  echo: TestServer;
  port: number;
};

async function withLink(fn: (s: Setup) => Promise<void>): Promise<void> {
  const echo = await startEcho();
  const tp = await startToxiproxy();
  try {
    const client = new ChaosClient({ url: tp.url });
    const proxy = await client.ensureProxy('edge-cloud', '127.0.0.1:0', `127.0.0.1:${echo.port}`);
    await fn({ tp, client, faults: client.faults('edge-cloud'), echo, port: portOf(proxy.listen) });
  } finally {
    await tp.stop();
    await echo.stop();
  }
}

function dial(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.on('connect', () => {
      s.destroy();
      resolve('connected');
    });
    s.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

test('ensureProxy is idempotent and keeps the port of a listen :0 proxy', async () => {
  await withLink(async ({ client, echo, port }) => {
    const again = await client.ensureProxy('edge-cloud', '127.0.0.1:0', `127.0.0.1:${echo.port}`);
    assert.equal(portOf(again.listen), port);
    await client.setEnabled('edge-cloud', false);
    const enabled = await client.ensureProxy('edge-cloud', '127.0.0.1:0', `127.0.0.1:${echo.port}`);
    assert.equal(enabled.enabled, true);
    assert.equal(portOf(enabled.listen), port);
    assert.equal(await client.getProxy('nope'), undefined);
    assert.equal(await client.removeToxic('edge-cloud', 'nope'), false);
    assert.match(await client.version(), /^2\.\d+\.\d+$/);
  });
});

test('partition closes connections cleanly and refuses new ones until restored', async () => {
  await withLink(async ({ faults, port }) => {
    const conn = await connectClient(port);
    await faults.partition();
    const closed = await conn.closed;
    assert.equal(closed.error, undefined, 'a FIN, not a reset');
    assert.equal(closed.ended, true);
    assert.equal(await dial(port), 'ECONNREFUSED');
    await faults.restore();
    assert.equal(await dial(port), 'connected');
  });
});

test('black hole: both directions silent, connections stay open; heal closes them and the link is clean', async () => {
  await withLink(async ({ faults, echo, port }) => {
    const conn = await connectClient(port);
    await faults.blackHole();
    conn.socket.write('anyone?');
    await sleep(300);
    assert.equal(conn.bytes(), 0);
    assert.equal(Buffer.concat(echo.received[0] ?? []).length, 0, 'nothing reached the upstream');
    assert.equal(conn.isClosed(), false, 'no FIN, no RST');
    // New connections are accepted by the proxy, and silent too.
    const late = await connectClient(port);
    late.socket.write('hello?');
    assert.equal(await settlesWithin(late.closed, 200), false);
    assert.equal(late.bytes(), 0);

    await faults.heal();
    assert.equal(await settlesWithin(conn.closed, 1000), true, 'black-holed connections are closed on heal');
    const fresh = await connectClient(port);
    fresh.socket.write('back');
    await fresh.waitForBytes(4);
    fresh.socket.destroy();
  });
});

test('half-open (downstream): the client’s bytes arrive, nothing comes back, nothing closes', async () => {
  await withLink(async ({ client, faults, echo, port }) => {
    const conn = await connectClient(port);
    await faults.halfOpen('downstream');
    assert.deepEqual(
      (await client.listToxics('edge-cloud')).map((t) => t.name),
      [FAULT_TOXIC.halfOpen('downstream')],
    );
    conn.socket.write('ping');
    await sleep(300);
    assert.equal(Buffer.concat(echo.received[0] ?? []).toString(), 'ping', 'upstream got it');
    assert.equal(conn.bytes(), 0, 'the echo never came back');
    assert.equal(conn.isClosed(), false);
    await faults.removeHalfOpen('downstream');
    assert.equal(await settlesWithin(conn.closed, 1000), true);
  });
});

test('half-open (upstream): the client’s bytes are lost, the server can still send', async () => {
  await withLink(async ({ faults, echo, port }) => {
    await faults.halfOpen('upstream');
    const conn = await connectClient(port);
    conn.socket.write('lost');
    await sleep(200);
    assert.equal(Buffer.concat(echo.received[0] ?? []).length, 0);
    echo.sockets[0]?.write('from server');
    await conn.waitForBytes(11);
    assert.equal(conn.text(), 'from server');
    conn.socket.destroy();
  });
});

test('reset peer gives ECONNRESET; degrade adds latency to both directions; heal removes all', async () => {
  await withLink(async ({ client, faults, port }) => {
    await faults.resetPeer(0);
    const conn = await connectClient(port);
    conn.socket.write('x');
    assert.equal((await conn.closed).error, 'ECONNRESET');
    await faults.heal();

    await faults.degrade({ latencyMs: 60, jitterMs: 0 });
    await faults.degrade({ latencyMs: 80 }); // updates in place, no 409
    const toxics = await client.listToxics('edge-cloud');
    assert.deepEqual(
      toxics.map((t) => [t.name, t.attributes.latency]),
      [
        [FAULT_TOXIC.latency('upstream'), 80],
        [FAULT_TOXIC.latency('downstream'), 80],
      ],
    );
    const c = await connectClient(port);
    const t0 = performance.now();
    c.socket.write('rtt');
    const rtt = (await c.waitForBytes(3)) - t0;
    assert.ok(rtt >= 160 - 2 * TIMER_EARLY_MS, `round trip ${rtt} ms with 80 ms each way`);
    c.socket.destroy();

    await faults.degrade({ rateKBps: 50, sliceBytes: 100, streams: ['downstream'] });
    assert.equal((await client.listToxics('edge-cloud')).length, 4);
    await faults.partition();
    await faults.heal();
    const proxy = await client.getProxy('edge-cloud');
    assert.equal(proxy?.enabled, true);
    assert.deepEqual(proxy?.toxics, []);
  });
});

test('an unreachable Toxiproxy is a retriable error that says what to do; API errors carry the status', async () => {
  const port = await closedPort();
  const client = new ChaosClient({ url: `http://127.0.0.1:${port}` });
  await assert.rejects(client.listProxies(), (err: unknown) => {
    assert.ok(err instanceof ToxiproxyRequestError);
    assert.equal(err.status, undefined);
    assert.equal(err.retriable, true);
    assert.match(err.message, /cannot reach Toxiproxy at http:\/\/127\.0\.0\.1:\d+ .*edgeproof chaos proxy/);
    return true;
  });
  assert.throws(() => new ChaosClient({ url: 'localhost:8474' }), /must be http/);
  await withLink(async ({ client: c }) => {
    await assert.rejects(
      c.addToxic('nope', { type: 'latency', attributes: { latency: 1 } }),
      (err: unknown) => {
        assert.ok(err instanceof ToxiproxyRequestError);
        assert.equal(err.status, 404);
        return true;
      },
    );
    await assert.rejects(c.setEnabled('nope', false), /no proxy "nope"/);
  });
});
