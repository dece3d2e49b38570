import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { RequestListener } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { KubeConfig, VersionApi } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { FakeClock, InvalidInputError, StorageError } from '@edgeproof/core';
import { createCertificateAuthority, loadOrCreateServingPki, type ServingPki } from '../pki/pki.ts';
import { bearerTokenMatches, loadOrCreateAdminToken } from './auth.ts';
import { renderKubeconfig, writeKubeconfig } from './kubeconfig.ts';

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
  userAgent: string | undefined;
}

let dir: string;
let pki: ServingPki;
let token: string;
let server: Server;
let port: number;
/** The same handler on [::1], when this machine has IPv6 loopback. */
let server6: Server | undefined;
let port6 = 0;
const seen: Seen[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'edgeproof-kubeconfig-'));
  pki = await loadOrCreateServingPki(join(dir, 'pki'), { clock: new FakeClock(Date.now()) });
  token = loadOrCreateAdminToken(dir);
  // The smallest API server kubectl's dispatcher and `kubectl version` need (kubectl-contract.md §0).
  const handle: RequestListener = (req, res) => {
    seen.push({
      method: req.method ?? '',
      url: req.url ?? '',
      authorization: req.headers.authorization,
      userAgent: req.headers['user-agent'],
    });
    res.setHeader('Content-Type', 'application/json');
    if (!bearerTokenMatches(req.headers.authorization, token)) {
      res.statusCode = 401;
      res.end(
        JSON.stringify({
          kind: 'Status',
          apiVersion: 'v1',
          status: 'Failure',
          message: 'Unauthorized',
          reason: 'Unauthorized',
          code: 401,
        }),
      );
      return;
    }
    if (req.method === 'GET' && req.url?.split('?')[0] === '/version') {
      res.end(JSON.stringify({ major: '1', minor: '32', gitVersion: 'v1.32.4', platform: 'linux/amd64' }));
      return;
    }
    res.statusCode = 404;
    res.end(
      JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 }),
    );
  };
  server = createServer({ cert: pki.certPem, key: pki.keyPem }, handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
  const v6 = createServer({ cert: pki.certPem, key: pki.keyPem }, handle);
  await new Promise<void>((resolve) => {
    v6.once('error', () => resolve());
    v6.listen(0, '::1', () => {
      server6 = v6;
      port6 = (v6.address() as AddressInfo).port;
      resolve();
    });
  });
});

after(() => {
  server.close();
  server6?.close();
  rmSync(dir, { recursive: true, force: true });
});

function kubectl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'kubectl',
      args,
      // A private HOME keeps kubectl's discovery cache and config out of the user's ~/.kube.
      { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir }, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('kubeconfig with real kubectl', () => {
  test('kubectl version verifies TLS against certificate-authority-data and sends the bearer token', async () => {
    const path = join(dir, 'kube', 'config');
    writeKubeconfig(
      path,
      renderKubeconfig({ server: `https://127.0.0.1:${port}`, caPem: pki.caCertPem, token }),
    );
    assert.equal(statSync(path).mode & 0o777, 0o600);
    seen.length = 0;
    const out = await kubectl(['--kubeconfig', path, 'version', '-o', 'json']);
    assert.equal(out.code, 0, out.stderr);
    const printed = JSON.parse(out.stdout) as { serverVersion?: { gitVersion?: string; minor?: string } };
    assert.equal(printed.serverVersion?.gitVersion, 'v1.32.4');
    assert.equal(printed.serverVersion?.minor, '32');
    const versionCalls = seen.filter((s) => s.url.startsWith('/version'));
    assert.ok(versionCalls.length >= 1, JSON.stringify(seen));
    for (const s of seen)
      assert.equal(s.authorization, `Bearer ${token}`, `${s.method} ${s.url} (${s.userAgent})`);
    assert.ok(
      seen.some((s) => s.userAgent?.startsWith('kubectl/v1.32')),
      JSON.stringify(seen),
    );
  });

  test('@kubernetes/client-node loads the same kubeconfig and verifies TLS with it', async () => {
    const kc = new KubeConfig();
    kc.loadFromString(renderKubeconfig({ server: `https://127.0.0.1:${port}`, caPem: pki.caCertPem, token }));
    seen.length = 0;
    const version = await kc.makeApiClient(VersionApi).getCode();
    assert.equal(version.gitVersion, 'v1.32.4');
    assert.deepEqual(
      seen.map((s) => s.authorization),
      [`Bearer ${token}`],
    );
  });

  test('kubectl works through the localhost name too (DNS SAN)', async () => {
    const path = join(dir, 'localhost.config');
    writeKubeconfig(
      path,
      renderKubeconfig({ server: `https://localhost:${port}`, caPem: pki.caCertPem, token }),
    );
    const out = await kubectl(['--kubeconfig', path, 'version', '-o', 'json']);
    // localhost may resolve to ::1 first, where nothing listens; Go then falls back to 127.0.0.1.
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /v1\.32\.4/);
  });

  test('kubectl reaches https://[::1] (IPv6 address SAN)', async (t) => {
    if (!server6) {
      t.skip('no IPv6 loopback on this machine');
      return;
    }
    const path = join(dir, 'ipv6.config');
    writeKubeconfig(
      path,
      renderKubeconfig({ server: `https://[::1]:${port6}`, caPem: pki.caCertPem, token }),
    );
    const out = await kubectl(['--kubeconfig', path, 'version', '-o', 'json']);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /v1\.32\.4/);
  });

  test('kubectl refuses a server whose certificate another CA signed', async () => {
    const other = await createCertificateAuthority({
      commonName: 'other',
      clock: new FakeClock(Date.now()),
      validityDays: 5,
    });
    const path = join(dir, 'wrong-ca.config');
    writeKubeconfig(
      path,
      renderKubeconfig({ server: `https://127.0.0.1:${port}`, caPem: other.certPem, token }),
    );
    seen.length = 0;
    const out = await kubectl(['--kubeconfig', path, 'version', '-o', 'json']);
    assert.notEqual(out.code, 0);
    assert.match(out.stderr, /certificate signed by unknown authority/);
    assert.equal(
      seen.filter((s) => s.userAgent?.startsWith('kubectl/')).length,
      0,
      'no kubectl request got through TLS',
    );
  });

  test('kubectl with a wrong token is refused with 401', async () => {
    const path = join(dir, 'wrong-token.config');
    writeKubeconfig(
      path,
      renderKubeconfig({ server: `https://127.0.0.1:${port}`, caPem: pki.caCertPem, token: 'f'.repeat(64) }),
    );
    const out = await kubectl(['--kubeconfig', path, 'version', '-o', 'json']);
    assert.notEqual(out.code, 0);
    assert.match(out.stderr, /Unauthorized|must be logged in/);
  });
});

describe('renderKubeconfig', () => {
  test('renders a v1 Config with CA data, a token user and the current context', () => {
    const text = renderKubeconfig({
      server: 'https://[::1]:6443',
      caPem: pki.caCertPem,
      token: 'abc',
      context: 'ctx',
    });
    const config = parse(text) as Record<string, unknown>;
    assert.deepEqual(config, {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'edgeproof',
          cluster: {
            server: 'https://[::1]:6443',
            'certificate-authority-data': Buffer.from(pki.caCertPem).toString('base64'),
          },
        },
      ],
      users: [{ name: 'edgeproof-admin', user: { token: 'abc' } }],
      contexts: [{ name: 'ctx', context: { cluster: 'edgeproof', user: 'edgeproof-admin' } }],
      'current-context': 'ctx',
      preferences: {},
    });
    assert.doesNotMatch(text, /insecure-skip-tls-verify/);
  });

  test('refuses http servers, non-PEM CAs and empty tokens', () => {
    const ok = { server: 'https://127.0.0.1:6443', caPem: pki.caCertPem, token: 't' };
    assert.throws(() => renderKubeconfig({ ...ok, server: 'http://127.0.0.1:6443' }), /must be https/);
    assert.throws(() => renderKubeconfig({ ...ok, server: 'nope' }), InvalidInputError);
    assert.throws(() => renderKubeconfig({ ...ok, caPem: 'x' }), InvalidInputError);
    assert.throws(() => renderKubeconfig({ ...ok, token: '' }), InvalidInputError);
  });

  test('writeKubeconfig replaces an existing file and keeps it private', () => {
    const path = join(dir, 'replace.config');
    writeFileSync(path, 'old', { mode: 0o644 });
    writeKubeconfig(path, 'new');
    assert.equal(readFileSync(path, 'utf8'), 'new');
    assert.equal(statSync(path).mode & 0o777, 0o600);
  });
});

describe('admin token', () => {
  test('is 32 random bytes in hex, stored 0600 and reused', () => {
    const d = join(dir, 'token');
    const a = loadOrCreateAdminToken(d);
    assert.match(a, /^[0-9a-f]{64}$/);
    assert.equal(statSync(join(d, 'admin.token')).mode & 0o777, 0o600);
    assert.equal(loadOrCreateAdminToken(d), a);
    writeFileSync(join(d, 'admin.token'), 'short\n');
    assert.throws(() => loadOrCreateAdminToken(d), StorageError);
  });

  test('bearerTokenMatches accepts only the exact token with a Bearer scheme', () => {
    assert.equal(bearerTokenMatches(`Bearer ${token}`, token), true);
    assert.equal(bearerTokenMatches(`bearer ${token}`, token), true);
    assert.equal(bearerTokenMatches(`  Bearer ${token}  `, token), true);
    assert.equal(bearerTokenMatches(`Bearer ${token}x`, token), false);
    assert.equal(bearerTokenMatches(`Bearer ${token.slice(1)}`, token), false);
    assert.equal(bearerTokenMatches(`Basic ${token}`, token), false);
    assert.equal(bearerTokenMatches(token, token), false);
    assert.equal(bearerTokenMatches('Bearer ', token), false);
    assert.equal(bearerTokenMatches(undefined, token), false);
    assert.equal(bearerTokenMatches('Bearer ', ''), false);
  });
});
