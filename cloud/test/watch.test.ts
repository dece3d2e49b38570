// Watch semantics over HTTP, as client-go's reflector uses them (kubectl-contract.md §5):
// resume from a resourceVersion, bookmarks, selector transitions and timeouts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { startApiServer, type Fixture } from './support/apiserver-fixture.ts';

let f: Fixture;
before(async () => {
  f = await startApiServer({ bookmarkIntervalMs: 100 });
});
after(async () => {
  await f.stop();
});

type Event = {
  type: string;
  object: { metadata: { name?: string; resourceVersion?: string; labels?: Record<string, string> } };
};

function send(
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${f.server.url()}${path}`,
      {
        method,
        ca: f.server.caCertificate(),
        headers: { Authorization: `Bearer ${f.server.adminToken()}`, 'Content-Type': contentType },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, json: JSON.parse(text || '{}') as Record<string, unknown> }),
        );
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** Opens a watch and collects its events until `stop()` or the server ends it. */
function watch(path: string): { events: Event[]; ended: Promise<void>; stop: () => void } {
  const events: Event[] = [];
  let buffer = '';
  let stop = (): void => {};
  const ended = new Promise<void>((resolve, reject) => {
    const req = request(
      `${f.server.url()}${path}`,
      { ca: f.server.caCertificate(), headers: { Authorization: `Bearer ${f.server.adminToken()}` } },
      (res) => {
        res.on('data', (d: Buffer) => {
          buffer += d.toString();
          let nl;
          while ((nl = buffer.indexOf('\n')) >= 0) {
            events.push(JSON.parse(buffer.slice(0, nl)) as Event);
            buffer = buffer.slice(nl + 1);
          }
        });
        res.on('end', () => resolve());
        res.on('close', () => resolve());
      },
    );
    req.on('error', (err) => (/socket hang up|aborted/.test(err.message) ? resolve() : reject(err)));
    req.end();
    stop = () => req.destroy();
  });
  return { events, ended, stop };
}

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 25));
  assert.ok(check(), `timed out waiting for ${what}`);
}

const cm = (name: string, labels: Record<string, string> = {}): unknown => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, labels },
  data: { a: '1' },
});

test('a watch from a resourceVersion replays exactly the later changes, then streams', async () => {
  await send('POST', '/api/v1/namespaces', { metadata: { name: 'w1' } });
  const first = await send('POST', '/api/v1/namespaces/w1/configmaps', cm('before'));
  const rv = (first.json.metadata as { resourceVersion: string }).resourceVersion;
  await send('POST', '/api/v1/namespaces/w1/configmaps', cm('after-1'));
  const w = watch(`/api/v1/namespaces/w1/configmaps?watch=true&resourceVersion=${rv}`);
  await until('replay', () => w.events.length >= 1);
  await send('POST', '/api/v1/namespaces/w1/configmaps', cm('after-2'));
  await send('DELETE', '/api/v1/namespaces/w1/configmaps/before');
  await until('live events', () => w.events.length >= 3);
  w.stop();
  assert.deepEqual(
    w.events.map((e) => `${e.type} ${e.object.metadata.name}`),
    ['ADDED after-1', 'ADDED after-2', 'DELETED before'],
  );
  const rvs = w.events.map((e) => Number(e.object.metadata.resourceVersion));
  assert.deepEqual(
    [...rvs].sort((a, b) => a - b),
    rvs,
    'resourceVersions increase',
  );
});

test('a watch without a resourceVersion starts with the current objects', async () => {
  await send('POST', '/api/v1/namespaces', { metadata: { name: 'w2' } });
  await send('POST', '/api/v1/namespaces/w2/configmaps', cm('existing'));
  const w = watch('/api/v1/namespaces/w2/configmaps?watch=1');
  await until('initial ADDED', () => w.events.length >= 1);
  w.stop();
  assert.equal(w.events[0]?.type, 'ADDED');
  assert.equal(w.events[0]?.object.metadata.name, 'existing');
});

test('bookmarks carry the current resourceVersion when asked for', async () => {
  const list = await send('GET', '/api/v1/namespaces/default/configmaps');
  const rv = (list.json.metadata as { resourceVersion: string }).resourceVersion;
  const w = watch(
    `/api/v1/namespaces/default/configmaps?watch=true&allowWatchBookmarks=true&resourceVersion=${rv}`,
  );
  await until('a bookmark', () => w.events.some((e) => e.type === 'BOOKMARK'));
  w.stop();
  const bookmark = w.events.find((e) => e.type === 'BOOKMARK');
  assert.ok(Number(bookmark?.object.metadata.resourceVersion) >= Number(rv));
  assert.equal((bookmark?.object as unknown as { kind: string }).kind, 'ConfigMap');
});

test('an object leaving a label selector is DELETED for that watch, and ADDED when it comes back', async () => {
  await send('POST', '/api/v1/namespaces', { metadata: { name: 'w3' } });
  await send('POST', '/api/v1/namespaces/w3/configmaps', cm('mover', { tier: 'a' }));
  const list = await send('GET', '/api/v1/namespaces/w3/configmaps');
  const rv = (list.json.metadata as { resourceVersion: string }).resourceVersion;
  const w = watch(`/api/v1/namespaces/w3/configmaps?watch=true&labelSelector=tier%3Da&resourceVersion=${rv}`);
  await new Promise((r) => setTimeout(r, 100));
  const relabel = (tier: string): Promise<unknown> =>
    send(
      'PATCH',
      '/api/v1/namespaces/w3/configmaps/mover',
      { metadata: { labels: { tier } } },
      'application/merge-patch+json',
    );
  await relabel('b');
  await relabel('c');
  await relabel('a');
  await until('two transitions', () => w.events.length >= 2);
  await new Promise((r) => setTimeout(r, 100));
  w.stop();
  assert.deepEqual(
    w.events.map((e) => e.type),
    ['DELETED', 'ADDED'],
  );
});

test('timeoutSeconds ends the stream cleanly', async () => {
  const started = Date.now();
  const w = watch('/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=1');
  await w.ended;
  const took = Date.now() - started;
  assert.ok(took >= 900 && took < 10_000, `ended after ${took} ms`);
});

test('deletecollection removes what the selector matches and nothing else', async () => {
  await send('POST', '/api/v1/namespaces', { metadata: { name: 'w4' } });
  for (const [name, keep] of [
    ['k1', 'yes'],
    ['d1', 'no'],
    ['d2', 'no'],
  ] as const) {
    await send('POST', '/api/v1/namespaces/w4/configmaps', cm(name, { keep }));
  }
  const r = await send('DELETE', '/api/v1/namespaces/w4/configmaps?labelSelector=keep%3Dno');
  assert.equal(r.status, 200);
  const left = await send('GET', '/api/v1/namespaces/w4/configmaps');
  assert.deepEqual(
    (left.json.items as { metadata: { name: string } }[]).map((i) => i.metadata.name),
    ['k1'],
  );
});

test('a watch whose client stops reading is closed instead of buffering without bound', async () => {
  const { connect } = await import('node:tls');
  const small = await startApiServer({ maxWatchBufferBytes: 256 * 1024 });
  try {
    const auth = `Bearer ${small.server.adminToken()}`;
    const socket = connect({
      port: small.server.port(),
      host: '127.0.0.1',
      ca: small.server.caCertificate(),
      servername: 'localhost',
    });
    await new Promise<void>((resolve) => socket.once('secureConnect', () => resolve()));
    socket.write(
      `GET /api/v1/namespaces/default/configmaps?watch=true&resourceVersion=1 HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\n\r\n`,
    );
    socket.pause(); // the client stops reading
    let closed = false;
    socket.on('close', () => (closed = true));
    const big = 'x'.repeat(100 * 1024);
    const post = (name: string): Promise<number> =>
      new Promise((resolve, reject) => {
        const req = request(
          `${small.server.url()}/api/v1/namespaces/default/configmaps`,
          {
            method: 'POST',
            ca: small.server.caCertificate(),
            headers: { Authorization: auth, 'Content-Type': 'application/json' },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', reject);
        req.end(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { big } }));
      });
    for (let i = 0; i < 200; i++) assert.equal(await post(`big-${i}`), 201);
    socket.resume();
    let received = 0;
    socket.on('data', (d: Buffer) => (received += d.length));
    await until('the server to close the stalled watch', () => closed);
    assert.ok(received < 200 * 100 * 1024, `the watch was cut short (${received} bytes arrived)`);
    assert.equal(await post('still-serving'), 201);
  } finally {
    await small.stop();
  }
});
