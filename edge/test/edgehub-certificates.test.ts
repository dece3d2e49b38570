import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createHash, createPrivateKey } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EdgeproofError, FakeClock, SystemClock } from '@edgeproof/core';
import { ensureNodeCertificate, rotateIfDue, rotationDueAt } from '../src/edgehub/certificates.ts';
import { createTestCa, startFakeCertServer, type FakeCertServerOptions } from './edgehub-fixtures.ts';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjF9.c2lnbmF0dXJl';

async function setup(
  t: { after: (fn: () => Promise<void>) => void },
  extra: Partial<FakeCertServerOptions> = {},
) {
  const ca = await createTestCa();
  const server = await startFakeCertServer({ ca, jwt: JWT, ...extra });
  const dir = await mkdtemp(join(tmpdir(), 'edgehub-certs-'));
  t.after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });
  const token = `${createHash('sha256').update(ca.certDer).digest('hex')}.${JWT}`;
  return { ca, server, dir, token, certServer: `127.0.0.1:${server.port}` };
}

function hasCode(code: string) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof EdgeproofError, `expected an EdgeproofError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return true;
  };
}

test('bootstraps with the token, then reuses the files without the network', async (t) => {
  const { ca, server, dir, token, certServer } = await setup(t);
  const clock = new SystemClock();
  const first = await ensureNodeCertificate({ dir, nodeName: 'edge-1', token, certServer, clock });
  assert.equal(first.source, 'bootstrapped');
  assert.deepEqual(
    server.requests.map((r) => [r.path, r.nodeName, r.authorization, r.clientSubject]),
    [
      ['/ca.crt', undefined, undefined, undefined],
      ['/node/edge-1', undefined, undefined, undefined],
      ['/edge.crt', 'edge-1', `Bearer ${JWT}`, undefined],
    ],
  );
  const cert = new X509Certificate(await readFile(join(dir, 'server.crt')));
  assert.equal(cert.subject, 'CN=system:node:edge-1\nO=system:nodes');
  assert.ok(cert.verify(new X509Certificate(ca.certDer).publicKey));
  const keyPem = await readFile(join(dir, 'server.key'), 'utf8');
  assert.match(keyPem, /^-----BEGIN EC PRIVATE KEY-----/); // SEC 1, as KubeEdge writes it
  assert.ok(cert.checkPrivateKey(createPrivateKey(keyPem)));
  assert.equal(
    new X509Certificate(await readFile(join(dir, 'ca.crt'))).fingerprint256,
    new X509Certificate(ca.certDer).fingerprint256,
  );
  for (const f of ['ca.crt', 'server.crt', 'server.key']) {
    assert.equal((await stat(join(dir, f))).mode & 0o777, 0o600, f);
  }
  assert.deepEqual((await readdir(dir)).sort(), ['ca.crt', 'server.crt', 'server.key']); // no temp files left

  const second = await ensureNodeCertificate({ dir, nodeName: 'edge-1', token, certServer, clock });
  assert.equal(second.source, 'reused');
  assert.equal(second.certPem, first.certPem);
  assert.equal(server.requests.length, 3, 'the second call must not touch the network');

  // Restarting without a token works as long as the files are good.
  const third = await ensureNodeCertificate({ dir, nodeName: 'edge-1', certServer, clock });
  assert.equal(third.source, 'reused');
  assert.equal(server.requests.length, 3);
});

test('refuses a CA whose hash is not the token’s, before sending the token', async (t) => {
  const other = await createTestCa('impostor');
  const { server, dir, token, certServer } = await setup(t, { servedCaDer: other.certDer });
  await assert.rejects(
    ensureNodeCertificate({ dir, nodeName: 'edge-1', token, certServer, clock: new SystemClock() }),
    (err: unknown) => {
      hasCode('ECAMISMATCH')(err);
      assert.match(
        (err as Error).message,
        /the CA served by 127\.0\.0\.1:\d+ does not match the token: wrong cloud or tampered connection/,
      );
      assert.equal((err as EdgeproofError).retriable, false);
      return true;
    },
  );
  assert.deepEqual(
    server.requests.map((r) => r.path),
    ['/ca.crt'],
  );
  assert.deepEqual(await readdir(dir), []);
});

test('a refused token says to get a new one with edgeproof token', async (t) => {
  const { dir, token, certServer } = await setup(t);
  const badToken = token.replace(/[^.]+$/, 'forged');
  await assert.rejects(
    ensureNodeCertificate({ dir, nodeName: 'edge-1', token: badToken, certServer, clock: new SystemClock() }),
    (err: unknown) => {
      hasCode('ETOKENREJECTED')(err);
      assert.match((err as Error).message, /401: token is expired or invalid/);
      assert.match((err as Error).message, /`edgeproof token`/);
      return true;
    },
  );
  assert.deepEqual(await readdir(dir), []);
});

test('a malformed token and a missing token are clear, terminal errors', async (t) => {
  const { server, dir, certServer } = await setup(t);
  const clock = new SystemClock();
  await assert.rejects(
    ensureNodeCertificate({ dir, nodeName: 'edge-1', token: 'abc.def', certServer, clock }),
    hasCode('ETOKENFORMAT'),
  );
  await assert.rejects(
    ensureNodeCertificate({ dir, nodeName: 'edge-1', certServer, clock }),
    hasCode('ETOKENMISSING'),
  );
  assert.equal(server.requests.length, 0);
});

test('files for another node, or a key that does not match, are replaced', async (t) => {
  const { server, dir, token, certServer } = await setup(t);
  const clock = new SystemClock();
  await ensureNodeCertificate({ dir, nodeName: 'edge-1', token, certServer, clock });
  const renamed = await ensureNodeCertificate({ dir, nodeName: 'edge-2', token, certServer, clock });
  assert.equal(renamed.source, 'bootstrapped');
  assert.equal(new X509Certificate(renamed.certPem).subject, 'CN=system:node:edge-2\nO=system:nodes');

  // Simulate a crash between writing the key and the certificate: the key no longer matches.
  const other = await mkdtemp(join(tmpdir(), 'edgehub-certs-other-'));
  t.after(() => rm(other, { recursive: true, force: true }));
  await ensureNodeCertificate({ dir: other, nodeName: 'edge-2', token, certServer, clock });
  await writeFile(join(dir, 'server.key'), await readFile(join(other, 'server.key')));
  const before = server.requests.length;
  const repaired = await ensureNodeCertificate({ dir, nodeName: 'edge-2', token, certServer, clock });
  assert.equal(repaired.source, 'bootstrapped');
  assert.equal(server.requests.length, before + 3);
});

test('a node name the cluster already has is refused before any certificate is asked for', async (t) => {
  const { server, dir, token, certServer } = await setup(t, { existingNodes: ['edge-1'] });
  await assert.rejects(
    ensureNodeCertificate({ dir, nodeName: 'edge-1', token, certServer, clock: new SystemClock() }),
    (err: unknown) => {
      hasCode('ENODEEXISTS')(err);
      assert.match(
        (err as Error).message,
        /a node named "edge-1" is already in the cluster.*kubectl delete node edge-1/,
      );
      return true;
    },
  );
  assert.deepEqual(
    server.requests.map((r) => r.path),
    ['/ca.crt', '/node/edge-1'],
  );
  assert.deepEqual(await readdir(dir), []);
});

test('the CA request skips verification, the certificate request verifies the hostname', async (t) => {
  // cloudcore's certificate covers only "localhost", and the edge dials 127.0.0.1.
  const { dir, token, certServer } = await setup(t, { hosts: ['localhost'] });
  await assert.rejects(
    ensureNodeCertificate({ dir, nodeName: 'edge-1', token, certServer, clock: new SystemClock() }),
    (err: unknown) => {
      hasCode('ECERTSERVERUNTRUSTED')(err);
      assert.match((err as Error).message, /ERR_TLS_CERT_ALTNAME_INVALID/);
      return true;
    },
  );
});

test('an unreachable cloud is a retriable error', async (t) => {
  const { dir, token } = await setup(t);
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  await assert.rejects(
    ensureNodeCertificate({
      dir,
      nodeName: 'edge-1',
      token,
      certServer: `127.0.0.1:${port}`,
      clock: new SystemClock(),
    }),
    (err: unknown) => {
      hasCode('ECERTSERVERUNREACHABLE')(err);
      assert.equal((err as EdgeproofError).retriable, true);
      return true;
    },
  );
});

test('rotates at 70–90 % of the lifetime with the client certificate, not the token', async (t) => {
  const { server, dir, token, certServer } = await setup(t, { validityMs: 100_000 });
  const clock = new FakeClock(Date.now());
  const first = await ensureNodeCertificate({ dir, nodeName: 'edge-1', token, certServer, clock });
  const dueAt = rotationDueAt(first);
  const lifetime = first.notAfter.getTime() - first.notBefore.getTime();
  const fraction = (dueAt - first.notBefore.getTime()) / lifetime;
  assert.ok(fraction >= 0.7 && fraction <= 0.9, `due at ${fraction} of the lifetime`);

  const early = await rotateIfDue({ dir, nodeName: 'edge-1', certServer, clock });
  assert.equal(early.rotated, false);
  assert.equal(early.dueAt, dueAt);
  assert.equal(server.requests.length, 3);

  clock.advance(dueAt - clock.now());
  const rotated = await rotateIfDue({ dir, nodeName: 'edge-1', certServer, clock });
  assert.equal(rotated.rotated, true);
  const last = server.requests.at(-1);
  assert.deepEqual(last, {
    path: '/edge.crt',
    nodeName: 'edge-1',
    authorization: undefined,
    clientSubject: 'CN=system:node:edge-1\nO=system:nodes',
  });
  assert.notEqual(rotated.credentials.certPem, first.certPem);
  assert.notEqual(rotated.credentials.keyPem, first.keyPem, 'a new key is made for each certificate');
  assert.equal(await readFile(join(dir, 'server.crt'), 'utf8'), rotated.credentials.certPem);
  assert.ok(
    new X509Certificate(rotated.credentials.certPem).checkPrivateKey(
      createPrivateKey(await readFile(join(dir, 'server.key'), 'utf8')),
    ),
  );
});
