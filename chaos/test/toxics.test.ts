// Guards: each toxic of the embedded proxy does to real TCP traffic what Toxiproxy's
// toxics/*.go do — measured on the wire, through an echo or a sending upstream, within
// tolerances loose enough for a loaded CI machine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import {
  connectClient,
  settlesWithin,
  sleep,
  startEcho,
  startServer,
  type TestServer,
} from './support/net.ts';
import { TIMER_EARLY_MS, http, portOf, startToxiproxy } from './support/toxiproxy.ts';
import type { EmbeddedToxiproxy } from '../src/index.ts';

const ms = (n: number): string => `${Math.round(n)} ms`;

/** Slack for timers and scheduling on a busy 2-core machine. */
const SLACK_MS = 150;

type Setup = { tp: EmbeddedToxiproxy; upstream: TestServer; port: number };

async function withProxy(
  upstream: TestServer | Promise<TestServer>,
  fn: (s: Setup) => Promise<void>,
): Promise<void> {
  const server = await upstream;
  const tp = await startToxiproxy();
  try {
    const created = await http(tp.url, 'POST', '/proxies', {
      name: 'p',
      listen: '127.0.0.1:0',
      upstream: `127.0.0.1:${server.port}`,
    });
    await fn({ tp, upstream: server, port: portOf((created.json as { listen: string }).listen) });
  } finally {
    await tp.stop();
    await server.stop();
  }
}

async function addToxic(tp: EmbeddedToxiproxy, toxic: object): Promise<void> {
  const r = await http(tp.url, 'POST', '/proxies/p/toxics', toxic);
  assert.equal(r.status, 200, r.text);
}

/** Round trip of `payload` through the echo upstream, in ms. */
async function roundTrip(port: number, payload = 'ping'): Promise<number> {
  const client = await connectClient(port);
  const t0 = performance.now();
  client.socket.write(payload);
  const t1 = await client.waitForBytes(payload.length, 5000);
  client.socket.destroy();
  return t1 - t0;
}

/** A server that writes `bytes` bytes to each client in one write as soon as it connects. */
function startSender(bytes: number): Promise<TestServer> {
  return startServer((s) => s.write(Buffer.alloc(bytes, 'x')));
}

test('latency delays each direction by latency ± jitter; toxicity 0 has no effect', async (t) => {
  await withProxy(startEcho(), async ({ tp, port }) => {
    const base = await roundTrip(port);
    assert.ok(base < 50, `no toxic: ${base} ms`);

    await addToxic(tp, { type: 'latency', attributes: { latency: 100 } });
    const one = await roundTrip(port);
    assert.ok(one >= 100 - TIMER_EARLY_MS && one < 100 + SLACK_MS, `latency 100 downstream: ${one} ms`);

    // Both directions: the round trip gains both delays.
    await addToxic(tp, { type: 'latency', stream: 'upstream', attributes: { latency: 100 } });
    const two = await roundTrip(port);
    assert.ok(two >= 200 - 2 * TIMER_EARLY_MS && two < 200 + SLACK_MS, `latency 100 each way: ${two} ms`);

    await http(tp.url, 'DELETE', '/proxies/p/toxics/latency_upstream');
    await http(tp.url, 'POST', '/proxies/p/toxics/latency_downstream', {
      attributes: { latency: 100, jitter: 50 },
    });
    for (let i = 0; i < 3; i++) {
      const j = await roundTrip(port);
      assert.ok(j >= 50 && j < 150 + SLACK_MS, `latency 100 ± 50: ${j} ms`);
    }

    await http(tp.url, 'POST', '/proxies/p/toxics/latency_downstream', {
      toxicity: 0,
      attributes: { latency: 400, jitter: 0 },
    });
    const none = await roundTrip(port);
    assert.ok(none < 50, `toxicity 0: ${none} ms`);
    t.diagnostic(
      `round trip: none ${ms(base)}, 100 down ${ms(one)}, 100 each way ${ms(two)}, toxicity 0 ${ms(none)}`,
    );
  });
});

test('upstream toxics act on client → server bytes, downstream ones on server → client', async () => {
  await withProxy(startEcho(), async ({ tp, upstream, port }) => {
    await addToxic(tp, { type: 'latency', stream: 'upstream', attributes: { latency: 200 } });
    const client = await connectClient(port);
    const t0 = performance.now();
    client.socket.write('up');
    await sleep(100);
    assert.equal(upstream.received[0]?.length ?? 0, 0, 'held on the way up');
    await client.waitForBytes(2);
    assert.ok(performance.now() - t0 >= 200 - TIMER_EARLY_MS);
    client.socket.destroy();

    await http(tp.url, 'DELETE', '/proxies/p/toxics/latency_upstream');
    await addToxic(tp, { type: 'latency', stream: 'downstream', attributes: { latency: 200 } });
    const c2 = await connectClient(port);
    const t1 = performance.now();
    c2.socket.write('down');
    await sleep(60);
    assert.equal(Buffer.concat(upstream.received[1] ?? []).toString(), 'down', 'reached the server at once');
    assert.equal(c2.bytes(), 0, 'held on the way down');
    await c2.waitForBytes(4);
    assert.ok(performance.now() - t1 >= 200 - TIMER_EARLY_MS);
    c2.socket.destroy();
  });
});

test('bandwidth caps the rate: 100 KB at 100 KB/s takes about a second', async (t) => {
  await withProxy(startSender(100_000), async ({ tp, port }) => {
    await addToxic(tp, { type: 'bandwidth', attributes: { rate: 100 } });
    const client = await connectClient(port);
    const t0 = performance.now();
    const done = await client.waitForBytes(100_000, 5000);
    const took = done - t0;
    assert.ok(took >= 850 && took < 1000 + 2 * SLACK_MS + 200, `100 KB at 100 KB/s took ${took} ms`);
    t.diagnostic(`100 KB at 100 KB/s: ${ms(took)}`);
    client.socket.destroy();
  });
});

test('timeout drops data and closes after the timeout; timeout 0 is a black hole until removed', async (t) => {
  await withProxy(startEcho(), async ({ tp, upstream, port }) => {
    await addToxic(tp, { type: 'timeout', stream: 'upstream', attributes: { timeout: 200 } });
    const client = await connectClient(port);
    const t0 = performance.now();
    client.socket.write('lost');
    const closed = await client.closed;
    const after = closed.at - t0;
    assert.ok(after >= 180 && after < 200 + SLACK_MS + 100, `closed after ${after} ms`);
    t.diagnostic(`timeout 200: closed after ${ms(after)}`);
    assert.equal(client.bytes(), 0);
    assert.equal(Buffer.concat(upstream.received[0] ?? []).length, 0, 'nothing reached the upstream');

    await http(tp.url, 'POST', '/proxies/p/toxics/timeout_upstream', { attributes: { timeout: 0 } });
    const hole = await connectClient(port);
    hole.socket.write('into the void');
    assert.equal(await settlesWithin(hole.closed, 500), false, 'timeout 0 never closes');
    assert.equal(hole.bytes(), 0);
    // toxics/timeout.go Cleanup: removing the toxic closes the links it was on.
    await http(tp.url, 'DELETE', '/proxies/p/toxics/timeout_upstream');
    assert.equal(await settlesWithin(hole.closed, 1000), true, 'closed when the toxic is removed');
    assert.ok((await roundTrip(port)) < 50, 'new connections are clean');
  });
});

test('slicer splits one write into many small chunks, intact', async (t) => {
  const payload = Buffer.from('abcdefghij'.repeat(20)); // 200 bytes in one write
  await withProxy(
    startServer((s) => s.write(payload)),
    async ({ tp, port }) => {
      await addToxic(tp, {
        type: 'slicer',
        attributes: { average_size: 20, size_variation: 5, delay: 5000 },
      });
      const client = await connectClient(port);
      await client.waitForBytes(payload.length);
      assert.ok(client.chunks.length >= 5, `${client.chunks.length} chunks`);
      assert.ok(
        client.chunks.every((c) => c.data.length <= 25 + 1),
        client.chunks.map((c) => c.data.length).join(','),
      );
      assert.equal(Buffer.concat(client.chunks.map((c) => c.data)).toString(), payload.toString());
      t.diagnostic(`slicer 20±5: 200 bytes arrived in ${client.chunks.length} chunks`);
      client.socket.destroy();
    },
  );
});

test('limit_data passes exactly N bytes then closes', async () => {
  await withProxy(startSender(5000), async ({ tp, port }) => {
    await addToxic(tp, { type: 'limit_data', attributes: { bytes: 1000 } });
    const client = await connectClient(port);
    const closed = await client.closed;
    assert.equal(client.bytes(), 1000);
    assert.equal(closed.error, undefined, 'an orderly close');
  });
});

test('reset_peer resets the connection (ECONNRESET) the timeout after data', async (t) => {
  await withProxy(startEcho(), async ({ tp, port }) => {
    await addToxic(tp, { type: 'reset_peer', stream: 'upstream', attributes: { timeout: 100 } });
    const client = await connectClient(port);
    assert.equal(await settlesWithin(client.closed, 200), false, 'no data, no reset');
    const t0 = performance.now();
    client.socket.write('hello');
    const closed = await client.closed;
    assert.equal(closed.error, 'ECONNRESET');
    assert.ok(closed.at - t0 >= 95, `reset after ${closed.at - t0} ms`);
    t.diagnostic(`reset_peer 100: ECONNRESET after ${ms(closed.at - t0)}`);
    assert.equal(client.bytes(), 0);
  });
});

test('slow_close holds back the close by its delay', async (t) => {
  let serverSocket: Socket | undefined;
  await withProxy(
    startServer((s) => (serverSocket = s)),
    async ({ tp, port }) => {
      const timeClose = async (): Promise<number> => {
        const client = await connectClient(port);
        for (let i = 0; i < 50 && serverSocket === undefined; i++) await sleep(5);
        const t0 = performance.now();
        serverSocket?.end();
        serverSocket = undefined;
        return (await client.closed).at - t0;
      };
      const fast = await timeClose();
      assert.ok(fast < 100, `no toxic: ${fast} ms`);
      await addToxic(tp, { type: 'slow_close', attributes: { delay: 300 } });
      const slow = await timeClose();
      assert.ok(slow >= 290 && slow < 300 + SLACK_MS, `slow_close 300: ${slow} ms`);
      t.diagnostic(`close seen after: no toxic ${ms(fast)}, slow_close 300 ${ms(slow)}`);
    },
  );
});

test('toxics added and removed at run time apply to connections already open', async () => {
  await withProxy(startEcho(), async ({ tp, port }) => {
    const client = await connectClient(port);
    const rtt = async (): Promise<number> => {
      const before = client.bytes();
      const t0 = performance.now();
      client.socket.write('x');
      return (await client.waitForBytes(before + 1)) - t0;
    };
    assert.ok((await rtt()) < 50);
    await addToxic(tp, { type: 'latency', attributes: { latency: 150 } });
    const slow = await rtt();
    assert.ok(slow >= 150 - TIMER_EARLY_MS, `after adding: ${slow} ms`);
    await http(tp.url, 'POST', '/proxies/p/toxics/latency_downstream', { attributes: { latency: 300 } });
    const slower = await rtt();
    assert.ok(slower >= 300 - TIMER_EARLY_MS, `after updating: ${slower} ms`);
    await http(tp.url, 'DELETE', '/proxies/p/toxics/latency_downstream');
    const fast = await rtt();
    assert.ok(fast < 50, `after removing: ${fast} ms`);
    assert.equal(client.isClosed(), false);
    client.socket.destroy();
  });
});
