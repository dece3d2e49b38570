// Bad input at the HTTP boundary: every case gets a Kubernetes Status with the right code and a
// message that says what is wrong, and the server keeps serving afterwards.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import { connect as netConnect } from 'node:net';
import { startApiServer, type Fixture } from './support/apiserver-fixture.ts';

let f: Fixture;
before(async () => {
  f = await startApiServer();
});
after(async () => {
  await f.stop();
});

type Reply = {
  status: number;
  body: Record<string, unknown>;
  text: string;
  headers: Record<string, unknown>;
};

function call(
  method: string,
  path: string,
  body?: string | Buffer,
  headers: Record<string, string> = {},
  token?: string,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${f.server.url()}${path}`,
      {
        method,
        ca: f.server.caCertificate(),
        headers: {
          Authorization: `Bearer ${token ?? f.server.adminToken()}`,
          'Content-Type': 'application/json',
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => {
          let parsed: Record<string, unknown> = {};
          try {
            parsed = JSON.parse(text) as Record<string, unknown>;
          } catch {
            /* not JSON: the test looks at text */
          }
          resolve({ status: res.statusCode ?? 0, body: parsed, text, headers: res.headers });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const cm = (name: string, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { a: 'b' }, ...extra });

test('malformed JSON is a 400 naming the problem', async () => {
  const r = await call('POST', '/api/v1/namespaces/default/configmaps', '{"kind": "ConfigMap", ');
  assert.equal(r.status, 400);
  assert.equal(r.body.kind, 'Status');
  assert.equal(r.body.reason, 'BadRequest');
  assert.match(String(r.body.message), /not valid JSON/);
});

test('a body that is not an object, or of another kind, is a 400', async () => {
  assert.equal((await call('POST', '/api/v1/namespaces/default/configmaps', '[1,2]')).status, 400);
  const wrongKind = await call(
    'POST',
    '/api/v1/namespaces/default/configmaps',
    JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } }),
  );
  assert.equal(wrongKind.status, 400);
  assert.match(String(wrongKind.body.message), /kind/);
});

test('an oversized body is a 413', async () => {
  const big = cm('big', { data: { a: 'x'.repeat(4 * 1024 * 1024) } });
  const r = await call('POST', '/api/v1/namespaces/default/configmaps', big);
  assert.equal(r.status, 413);
  assert.equal(r.body.reason, 'RequestEntityTooLarge');
});

test('unknown resources, versions and groups are 404', async () => {
  assert.equal((await call('GET', '/api/v1/namespaces/default/widgets')).status, 404);
  assert.equal((await call('GET', '/apis/apps/v9/deployments')).status, 404);
  assert.equal((await call('GET', '/apis/nope.example.com/v1')).status, 404);
  const missing = await call('GET', '/api/v1/namespaces/default/configmaps/absent');
  assert.equal(missing.status, 404);
  assert.equal(missing.body.reason, 'NotFound');
  assert.deepEqual(missing.body.details, { name: 'absent', kind: 'configmaps' });
});

test('an invalid name is a 422 with a cause per field', async () => {
  const r = await call('POST', '/api/v1/namespaces/default/configmaps', cm('Not_Valid'));
  assert.equal(r.status, 422);
  assert.equal(r.body.reason, 'Invalid');
  const causes = (r.body.details as { causes: { field: string }[] }).causes;
  assert.ok(causes.some((c) => c.field === 'metadata.name'));
});

test('creating twice is a 409 AlreadyExists; a stale update is a 409 Conflict', async () => {
  assert.equal((await call('POST', '/api/v1/namespaces/default/configmaps', cm('twice'))).status, 201);
  const again = await call('POST', '/api/v1/namespaces/default/configmaps', cm('twice'));
  assert.equal(again.status, 409);
  assert.equal(again.body.reason, 'AlreadyExists');
  const stale = await call(
    'PUT',
    '/api/v1/namespaces/default/configmaps/twice',
    cm('twice', { metadata: { name: 'twice', resourceVersion: '1' } }),
  );
  assert.equal(stale.status, 409);
  assert.equal(stale.body.reason, 'Conflict');
});

test('a watch from a compacted resourceVersion gets a 410 Expired event', async () => {
  const small = await startApiServer({ historySize: 10 });
  try {
    const token = small.server.adminToken();
    const url = small.server.url();
    const post = (name: string): Promise<Reply> =>
      new Promise((resolve, reject) => {
        const req = request(
          `${url}/api/v1/namespaces/default/configmaps`,
          {
            method: 'POST',
            ca: small.server.caCertificate(),
            headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: {}, text: '', headers: {} }));
          },
        );
        req.on('error', reject);
        req.end(cm(name));
      });
    for (let i = 0; i < 40; i++) await post(`c${i}`);
    const r = await new Promise<string>((resolve, reject) => {
      const req = request(
        `${url}/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=2`,
        { ca: small.server.caCertificate(), headers: { Authorization: `Bearer ${token}` } },
        (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolve(text));
        },
      );
      req.on('error', reject);
      req.end();
    });
    const event = JSON.parse(r.trim().split('\n')[0] ?? '{}') as {
      type: string;
      object: { code: number; reason: string };
    };
    assert.equal(event.type, 'ERROR');
    assert.equal(event.object.code, 410);
    assert.equal(event.object.reason, 'Expired');
  } finally {
    await small.stop();
  }
});

test('a missing or wrong token is a 401, but /version and /healthz are open', async () => {
  const r = await call('GET', '/api/v1/namespaces', undefined, {}, 'wrong-token');
  assert.equal(r.status, 401);
  assert.equal(r.body.reason, 'Unauthorized');
  assert.equal((await call('GET', '/version', undefined, {}, 'wrong-token')).status, 200);
  assert.equal((await call('GET', '/healthz', undefined, {}, 'wrong-token')).text, 'ok');
  assert.equal((await call('GET', '/readyz')).status, 200);
});

test('bad query parameters are 400s', async () => {
  assert.equal((await call('GET', '/api/v1/configmaps?limit=-4')).status, 400);
  assert.equal((await call('GET', '/api/v1/configmaps?labelSelector=a%20in%20(')).status, 400);
  assert.equal((await call('GET', '/api/v1/configmaps?continue=%%%')).status, 400);
  assert.equal(
    (await call('GET', '/api/v1/configmaps?watch=true&resourceVersion=abc')).text.includes(
      'invalid resource version',
    ),
    true,
  );
});

test('garbage on the socket does not take the server down', async () => {
  const port = f.server.port();
  // Plain text to the TLS port.
  await new Promise<void>((resolve) => {
    const s = netConnect(port, '127.0.0.1', () => s.end('GET / HTTP/1.1\r\n\r\n\x00\x01\x02garbage'));
    s.on('close', () => resolve());
    s.on('error', () => resolve());
    s.resume();
  });
  // TLS, then bytes that are not HTTP.
  await new Promise<void>((resolve) => {
    const s = tlsConnect(
      { port, host: '127.0.0.1', ca: f.server.caCertificate(), servername: 'localhost' },
      () => s.write('\x16\x03garbage\r\n\r\n'),
    );
    s.on('data', () => s.end());
    s.on('close', () => resolve());
    s.on('error', () => resolve());
  });
  assert.equal((await call('GET', '/api/v1/namespaces/default')).status, 200);
});
