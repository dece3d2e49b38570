// Guards: toxiproxy-node-client, an independent Toxiproxy client, works unchanged against the
// embedded proxy — every call it makes parses and does what it does against real Toxiproxy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Toxiproxy, type ICreateToxicBody, type Latency } from 'toxiproxy-node-client';
import { connectClient, startEcho } from './support/net.ts';
import { TIMER_EARLY_MS, portOf, startToxiproxy } from './support/toxiproxy.ts';

test('toxiproxy-node-client: proxies, toxics, populate, reset, version', async () => {
  const echo = await startEcho();
  const tp = await startToxiproxy();
  try {
    const toxiproxy = new Toxiproxy(tp.url);
    assert.match(await toxiproxy.getVersion(), /"version": "2\.\d+\.\d+"/);

    const proxy = await toxiproxy.createProxy({
      name: 'redis',
      listen: 'localhost:0',
      upstream: `127.0.0.1:${echo.port}`,
    });
    assert.equal(proxy.name, 'redis');
    assert.equal(proxy.enabled, true);
    assert.match(proxy.listen, /^127\.0\.0\.1:\d+$/, 'localhost resolves to 127.0.0.1 as Go does');

    const body: ICreateToxicBody<Latency> = {
      name: 'lag',
      type: 'latency',
      stream: 'downstream',
      toxicity: 1,
      attributes: { latency: 120, jitter: 0 },
    };
    const toxic = await proxy.addToxic(body);
    assert.deepEqual(toxic.toJson(), body);

    const client = await connectClient(portOf(proxy.listen));
    const t0 = performance.now();
    client.socket.write('hi');
    const rtt = (await client.waitForBytes(2)) - t0;
    assert.ok(rtt >= 120 - TIMER_EARLY_MS, `${rtt} ms`);

    const fetched = await proxy.getToxic<Latency>('lag');
    assert.equal(fetched.attributes.latency, 120);
    const updated = await fetched.update({ ...body, attributes: { latency: 10, jitter: 0 } });
    assert.equal(updated.attributes.latency, 10);
    await updated.remove();
    await assert.rejects(proxy.getToxic('lag'), /status code 404/);

    const all = await toxiproxy.getAll();
    assert.deepEqual(Object.keys(all), ['redis']);
    const got = await toxiproxy.get('redis');
    const disabled = await got.update({ enabled: false, listen: got.listen, upstream: got.upstream });
    assert.equal(disabled.enabled, false);
    await client.closed;

    const populated = await toxiproxy.populate([
      { name: 'redis', listen: got.listen, upstream: got.upstream },
      { name: 'mysql', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echo.port}` },
    ]);
    assert.deepEqual(Object.keys(populated).sort(), ['mysql', 'redis']);

    await (await toxiproxy.get('mysql')).addToxic({ ...body, name: 'x' });
    await toxiproxy.reset();
    const afterReset = await toxiproxy.getAll();
    assert.equal(afterReset.redis?.enabled, true);

    await (await toxiproxy.get('mysql')).remove();
    await assert.rejects(toxiproxy.get('mysql'), /status code 404/);
    await assert.rejects(
      toxiproxy.createProxy({ name: 'redis', listen: '127.0.0.1:0', upstream: 'x:1' }),
      /status code 409/,
    );
  } finally {
    await tp.stop();
    await echo.stop();
  }
});
