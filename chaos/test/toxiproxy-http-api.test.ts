// Guards: the embedded proxy answers the Toxiproxy HTTP API as Shopify/toxiproxy api.go does —
// same routes, status codes, JSON field order and error bodies — for requests written the way
// its README writes them with curl, and bad input never takes it down.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { closedPort, connectClient, sleep, startEcho, type TestServer } from './support/net.ts';
import { http, portOf, startToxiproxy } from './support/toxiproxy.ts';
import type { EmbeddedToxiproxy } from '../src/index.ts';

async function withSetup(fn: (tp: EmbeddedToxiproxy, echo: TestServer) => Promise<void>): Promise<void> {
  const echo = await startEcho();
  const tp = await startToxiproxy();
  try {
    await fn(tp, echo);
  } finally {
    await tp.stop();
    await echo.stop();
  }
}

function refused(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.on('connect', () => {
      s.destroy();
      resolve('connected');
    });
    s.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

test('creates a proxy as the README does and reports the real port of listen :0', async () => {
  await withSetup(async (tp, echo) => {
    const created = await http(tp.url, 'POST', '/proxies', {
      name: 'redis',
      listen: '127.0.0.1:0',
      upstream: `127.0.0.1:${echo.port}`,
    });
    assert.equal(created.status, 201);
    assert.equal(created.type, 'application/json');
    const proxy = created.json as { listen: string };
    assert.match(proxy.listen, /^127\.0\.0\.1:\d+$/);
    assert.notEqual(portOf(proxy.listen), 0);
    // Field order as Go marshals the struct.
    assert.equal(
      created.text,
      `{"name":"redis","listen":"${proxy.listen}","upstream":"127.0.0.1:${echo.port}","enabled":true,"toxics":[]}`,
    );
    const client = await connectClient(portOf(proxy.listen));
    client.socket.write('PING');
    await client.waitForBytes(4);
    assert.equal(client.text(), 'PING');
    client.socket.destroy();

    const index = await http(tp.url, 'GET', '/proxies');
    assert.equal(index.status, 200);
    assert.deepEqual(Object.keys(index.json as object), ['redis']);
    const show = await http(tp.url, 'GET', '/proxies/redis');
    assert.deepEqual(show.json, created.json);
  });
});

test('errors have Toxiproxy’s codes and bodies: 404, 409, 400', async () => {
  await withSetup(async (tp, echo) => {
    const upstream = `127.0.0.1:${echo.port}`;
    const missing = await http(tp.url, 'GET', '/proxies/nope');
    assert.equal(missing.status, 404);
    assert.equal(missing.text, '{"error":"proxy not found","status":404}\n');
    assert.equal(missing.type, 'text/plain; charset=utf-8'); // Go's http.Error
    assert.equal((await http(tp.url, 'DELETE', '/proxies/nope')).status, 404);
    assert.equal((await http(tp.url, 'GET', '/proxies/nope/toxics')).status, 404);

    assert.equal(
      (await http(tp.url, 'POST', '/proxies', { name: 'a', listen: '127.0.0.1:0', upstream })).status,
      201,
    );
    const again = await http(tp.url, 'POST', '/proxies', { name: 'a', listen: '127.0.0.1:0', upstream });
    assert.equal(again.status, 409);
    assert.deepEqual(again.json, { error: 'proxy already exists', status: 409 });

    const cases: [unknown, string][] = [
      [{ listen: '127.0.0.1:0', upstream }, 'missing required field: name'],
      [{ name: 'b', listen: '127.0.0.1:0' }, 'missing required field: upstream'],
      ['', 'bad request body: EOF'],
      [
        { name: 5, upstream },
        'bad request body: json: cannot unmarshal number 5 into Go struct field Proxy.name of type string',
      ],
      [
        { name: 'b', upstream, enabled: 'yes' },
        'bad request body: json: cannot unmarshal string into Go struct field Proxy.enabled of type bool',
      ],
      ['[1,2]', 'bad request body: json: cannot unmarshal array into Go value of type toxiproxy.Proxy'],
    ];
    for (const [body, error] of cases) {
      const r = await http(tp.url, 'POST', '/proxies', body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.deepEqual(r.json, { error, status: 400 });
    }
    const garbled = await http(tp.url, 'POST', '/proxies', '{"name": "b",');
    assert.equal(garbled.status, 400);
    assert.match((garbled.json as { error: string }).error, /^bad request body: /);

    // A listen address that is taken is Go's net.Listen error, as a 500.
    const taken = await http(tp.url, 'GET', '/proxies/a');
    const busy = await http(tp.url, 'POST', '/proxies', {
      name: 'c',
      listen: (taken.json as { listen: string }).listen,
      upstream,
    });
    assert.equal(busy.status, 500);
    assert.match(
      (busy.json as { error: string }).error,
      /^listen tcp 127\.0\.0\.1:\d+: bind: address already in use$/,
    );
    assert.equal(
      (await http(tp.url, 'GET', '/proxies/c')).status,
      404,
      'a proxy that could not start is not kept',
    );

    // Routing as gorilla/mux: unknown path 404 (plain), known path with another method 405.
    const unknown = await http(tp.url, 'GET', '/nothing');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.text, '404 page not found\n');
    assert.equal((await http(tp.url, 'PUT', '/proxies')).status, 405);
  });
});

test('toxics: create with README defaults, show, list, update, delete', async () => {
  await withSetup(async (tp, echo) => {
    await http(tp.url, 'POST', '/proxies', {
      name: 'redis',
      listen: '127.0.0.1:0',
      upstream: `127.0.0.1:${echo.port}`,
    });
    // curl -s -XPOST -d '{"type" : "latency", "attributes" : {"latency" : 1000}}' localhost:8474/proxies/redis/toxics
    const created = await http(
      tp.url,
      'POST',
      '/proxies/redis/toxics',
      '{"type" : "latency", "attributes" : {"latency" : 1000}}',
    );
    assert.equal(created.status, 200); // ToxicCreate answers 200, not 201
    assert.equal(
      created.text,
      '{"attributes":{"latency":1000,"jitter":0},"name":"latency_downstream","type":"latency","stream":"downstream","toxicity":1}',
    );
    const up = await http(tp.url, 'POST', '/proxies/redis/toxics', {
      name: 'cut',
      type: 'limit_data',
      stream: 'upstream',
      toxicity: 0.5,
      attributes: { bytes: 10 },
    });
    assert.deepEqual(up.json, {
      attributes: { bytes: 10 },
      name: 'cut',
      type: 'limit_data',
      stream: 'upstream',
      toxicity: 0.5,
    });

    const list = await http(tp.url, 'GET', '/proxies/redis/toxics');
    // Upstream toxics first, then downstream (toxic_collection.go GetToxicArray).
    assert.deepEqual(
      (list.json as { name: string }[]).map((t) => t.name),
      ['cut', 'latency_downstream'],
    );
    const proxy = await http(tp.url, 'GET', '/proxies/redis');
    assert.equal((proxy.json as { toxics: unknown[] }).toxics.length, 2);

    const show = await http(tp.url, 'GET', '/proxies/redis/toxics/latency_downstream');
    assert.deepEqual(show.json, created.json);
    // An update merges attributes into the current ones; name, type and stream stay.
    const updated = await http(tp.url, 'POST', '/proxies/redis/toxics/latency_downstream', {
      attributes: { jitter: 50 },
      stream: 'upstream',
    });
    assert.equal(updated.status, 200);
    assert.deepEqual(updated.json, {
      attributes: { latency: 1000, jitter: 50 },
      name: 'latency_downstream',
      type: 'latency',
      stream: 'downstream',
      toxicity: 1,
    });
    const patched = await http(tp.url, 'PATCH', '/proxies/redis/toxics/latency_downstream', {
      toxicity: 0.25,
    });
    assert.equal((patched.json as { toxicity: number }).toxicity, 0.25);

    const errors: [unknown, number, string][] = [
      [{ type: 'latency', attributes: { latency: 1 } }, 409, 'toxic already exists'],
      [{ type: 'nope' }, 400, 'invalid toxic type'],
      [
        { type: 'latency', stream: 'sideways' },
        400,
        'stream was invalid, can be either upstream or downstream',
      ],
      [
        { type: 'latency', name: 'l2', attributes: { latency: 'slow' } },
        400,
        'bad request body: json: cannot unmarshal string into Go struct field LatencyToxic.attributes.latency of type int64',
      ],
      [
        { type: 'bandwidth', attributes: { rate: 1.5 } },
        400,
        'bad request body: json: cannot unmarshal number 1.5 into Go struct field BandwidthToxic.attributes.rate of type int64',
      ],
      ['{"type":', 400, ''],
    ];
    for (const [body, status, error] of errors) {
      const r = await http(tp.url, 'POST', '/proxies/redis/toxics', body);
      assert.equal(r.status, status, JSON.stringify(body));
      if (error) assert.deepEqual(r.json, { error, status });
      else assert.match((r.json as { error: string }).error, /^bad request body: /);
    }
    // The stream is case-insensitive (stream/direction.go), and kept as written.
    const mixed = await http(tp.url, 'POST', '/proxies/redis/toxics', {
      type: 'timeout',
      stream: 'UpStream',
      attributes: { timeout: 5 },
    });
    assert.equal(mixed.status, 200);
    assert.equal((mixed.json as { name: string }).name, 'timeout_UpStream');

    assert.equal((await http(tp.url, 'DELETE', '/proxies/redis/toxics/latency_downstream')).status, 204);
    const gone = await http(tp.url, 'DELETE', '/proxies/redis/toxics/latency_downstream');
    assert.equal(gone.status, 404);
    assert.deepEqual(gone.json, { error: 'toxic not found', status: 404 });
    assert.equal((await http(tp.url, 'GET', '/proxies/redis/toxics/latency_downstream')).status, 404);
    assert.equal((await http(tp.url, 'POST', '/proxies/redis/toxics/missing', {})).status, 404);
  });
});

test('disabling closes the listener and its connections; enabling reopens the same port', async () => {
  await withSetup(async (tp, echo) => {
    const created = await http(tp.url, 'POST', '/proxies', {
      name: 'db',
      listen: '127.0.0.1:0',
      upstream: `127.0.0.1:${echo.port}`,
    });
    const port = portOf((created.json as { listen: string }).listen);
    const client = await connectClient(port);
    const off = await http(tp.url, 'POST', '/proxies/db', { enabled: false });
    assert.equal(off.status, 200);
    assert.equal((off.json as { enabled: boolean }).enabled, false);
    const closed = await client.closed;
    assert.equal(closed.error, undefined, 'closed cleanly');
    assert.equal(await refused(port), 'ECONNREFUSED');

    const on = await http(tp.url, 'PATCH', '/proxies/db', { enabled: true });
    assert.equal((on.json as { enabled: boolean; listen: string }).enabled, true);
    assert.equal(portOf((on.json as { listen: string }).listen), port);
    const again = await connectClient(port);
    again.socket.write('x');
    await again.waitForBytes(1);
    again.socket.destroy();

    // A new upstream restarts the proxy.
    const other = await startEcho();
    try {
      const moved = await http(tp.url, 'POST', '/proxies/db', { upstream: `127.0.0.1:${other.port}` });
      assert.equal((moved.json as { upstream: string }).upstream, `127.0.0.1:${other.port}`);
      const c = await connectClient(port);
      c.socket.write('y');
      await c.waitForBytes(1);
      assert.equal(other.sockets.length, 1);
      c.socket.destroy();
    } finally {
      await other.stop();
    }

    assert.equal((await http(tp.url, 'DELETE', '/proxies/db')).status, 204);
    assert.equal(await refused(port), 'ECONNREFUSED');
  });
});

test('populate creates or replaces, leaves matching proxies alone, and checks every entry first', async () => {
  await withSetup(async (tp, echo) => {
    const upstream = `127.0.0.1:${echo.port}`;
    const body = [
      { name: 'one', listen: '127.0.0.1:0', upstream },
      { name: 'two', listen: '127.0.0.1:0', upstream, enabled: false },
    ];
    const first = await http(tp.url, 'POST', '/populate', body);
    assert.equal(first.status, 201);
    const proxies = (first.json as { proxies: { name: string; listen: string; enabled: boolean }[] }).proxies;
    assert.deepEqual(
      proxies.map((p) => [p.name, p.enabled]),
      [
        ['one', true],
        ['two', false],
      ],
    );
    await http(tp.url, 'POST', '/proxies/one/toxics', { type: 'latency', attributes: { latency: 10 } });

    // Same fields again: untouched (port and toxics kept).
    const second = await http(tp.url, 'POST', '/populate', body);
    assert.equal(second.status, 201);
    const one = (second.json as { proxies: { listen: string; toxics: unknown[] }[] }).proxies[0];
    assert.equal(one?.listen, proxies[0]?.listen);
    assert.equal(one?.toxics.length, 1);

    const bad = await http(tp.url, 'POST', '/populate', [{ name: 'three', upstream }, { name: 'four' }]);
    assert.equal(bad.status, 400);
    assert.equal(bad.type, 'application/json');
    assert.deepEqual(bad.json, {
      error: 'missing required field: upstream at proxy 2',
      status: 400,
      proxies: null,
    });
    assert.equal((await http(tp.url, 'GET', '/proxies/three')).status, 404, 'nothing applied');

    const notArray = await http(tp.url, 'POST', '/populate', { name: 'x' });
    assert.equal(notArray.status, 400);
    const empty = await http(tp.url, 'POST', '/populate', []);
    assert.deepEqual(empty.json, { proxies: null }); // Go marshals the empty result as null
  });
});

test('reset enables every proxy and removes every toxic; version is JSON', async () => {
  await withSetup(async (tp, echo) => {
    await http(tp.url, 'POST', '/proxies', {
      name: 'p',
      listen: '127.0.0.1:0',
      upstream: `127.0.0.1:${echo.port}`,
      enabled: false,
    });
    await http(tp.url, 'POST', '/proxies/p/toxics', { type: 'latency', attributes: { latency: 10 } });
    await http(tp.url, 'POST', '/proxies/p/toxics', {
      type: 'timeout',
      stream: 'upstream',
      attributes: { timeout: 0 },
    });
    const reset = await http(tp.url, 'POST', '/reset');
    assert.equal(reset.status, 204);
    assert.equal(reset.text, '');
    const p = (await http(tp.url, 'GET', '/proxies/p')).json as {
      enabled: boolean;
      toxics: unknown[];
      listen: string;
    };
    assert.equal(p.enabled, true);
    assert.deepEqual(p.toxics, []);
    const c = await connectClient(portOf(p.listen));
    c.socket.write('ok');
    await c.waitForBytes(2);
    c.socket.destroy();

    const version = await http(tp.url, 'GET', '/version');
    assert.equal(version.status, 200);
    assert.match((version.json as { version: string }).version, /^2\.\d+\.\d+$/);
  });
});

test('garbage HTTP, browsers and unreachable upstreams are refused without taking the server down', async () => {
  await withSetup(async (tp, echo) => {
    const { port } = new URL(tp.url);
    const raw = await new Promise<string>((resolve) => {
      const s = connect(Number(port), '127.0.0.1');
      let got = '';
      s.on('data', (d: Buffer) => (got += d.toString()));
      s.on('close', () => resolve(got));
      s.on('error', () => {});
      s.write('\x00\x01 NOT HTTP AT ALL\r\n\r\n');
    });
    assert.match(raw, /^HTTP\/1\.1 400 Bad Request/);

    const browser = await fetch(`${tp.url}/proxies`, { headers: { 'User-Agent': 'Mozilla/5.0' } });
    assert.equal(browser.status, 403);
    assert.equal(await browser.text(), 'User agent not allowed\n');

    const dead = await closedPort();
    const created = await http(tp.url, 'POST', '/proxies', {
      name: 'dead',
      listen: '127.0.0.1:0',
      upstream: `127.0.0.1:${dead}`,
    });
    const client = await connectClient(portOf((created.json as { listen: string }).listen));
    const closed = await client.closed;
    assert.equal(client.bytes(), 0);
    assert.ok(closed, 'client connection closed when the upstream refuses');

    // Still serving.
    const ok = await http(tp.url, 'POST', '/proxies', {
      name: 'alive',
      listen: '127.0.0.1:0',
      upstream: `127.0.0.1:${echo.port}`,
    });
    assert.equal(ok.status, 201);
    await sleep(10);
  });
});
