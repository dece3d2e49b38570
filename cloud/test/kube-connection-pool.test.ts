// PooledKubeConfig against a real HTTPS server that counts TLS connections: client-node 2.0.1 alone
// opens one per request; pooled, sequential calls share one and a burst is held to the pool's bound.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { SystemClock } from '@edgeproof/core';
import { PooledKubeConfig } from '../src/kube-connection-pool.ts';
import { createCertificateAuthority, issueCertificate } from '../src/pki/pki.ts';

let server: Server;
let caPem: string;
let connections = 0;
let open = 0;
let maxOpen = 0;

before(async () => {
  const clock = new SystemClock();
  const ca = await createCertificateAuthority({ commonName: 'test-ca', clock, validityDays: 1 });
  caPem = ca.certPem;
  const serving = await issueCertificate({
    ca,
    commonName: 'apiserver',
    ipAddresses: ['127.0.0.1'],
    usages: ['server'],
    validityDays: 1,
    clock,
  });
  server = createServer({ cert: serving.certPem, key: serving.keyPem ?? '' }, (req, res) => {
    // A small delay so that a burst really overlaps.
    setTimeout(() => {
      const body = JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'cm', namespace: 'default', resourceVersion: '1' },
        data: { path: req.url ?? '' },
      });
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
    }, 5);
  });
  server.on('secureConnection', (socket) => {
    connections++;
    open++;
    maxOpen = Math.max(maxOpen, open);
    socket.on('close', () => open--);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
});

after(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

function kubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  const port = (server.address() as { port: number }).port;
  kc.loadFromOptions({
    clusters: [
      { name: 'c', server: `https://127.0.0.1:${port}`, caData: Buffer.from(caPem).toString('base64') },
    ],
    users: [{ name: 'u', token: 'secret' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}

test('client-node alone opens a connection per request; pooled, sequential requests share one', async () => {
  const plain = kubeConfig().makeApiClient(CoreV1Api);
  connections = 0;
  for (let i = 0; i < 5; i++) await plain.readNamespacedConfigMap({ name: 'cm', namespace: 'default' });
  assert.equal(connections, 5, 'the behaviour PooledKubeConfig exists for');

  const pooledConfig = PooledKubeConfig.from(kubeConfig());
  const pooled = pooledConfig.makeApiClient(CoreV1Api);
  connections = 0;
  for (let i = 0; i < 20; i++) {
    const cm = await pooled.readNamespacedConfigMap({ name: 'cm', namespace: 'default' });
    assert.equal(cm.data?.['path'], '/api/v1/namespaces/default/configmaps/cm');
  }
  // One, or two when undici dials again before the first socket is back in the pool.
  assert.ok(connections <= 2, `${connections} connections for 20 requests`);
  await pooledConfig.close();
});

test('a burst is held to the pool bound, and every request is answered', async () => {
  const pooledConfig = PooledKubeConfig.from(kubeConfig(), 4);
  const api = pooledConfig.makeApiClient(CoreV1Api);
  connections = 0;
  maxOpen = 0;
  const results = await Promise.all(
    Array.from({ length: 50 }, () => api.readNamespacedConfigMap({ name: 'cm', namespace: 'default' })),
  );
  assert.equal(results.length, 50);
  assert.ok(results.every((cm) => cm.metadata?.name === 'cm'));
  assert.ok(connections <= 4, `${connections} connections for a pool of 4`);
  await pooledConfig.close();
});

test('from() copies clusters, users and the current context, and keeps a pooled config as it is', () => {
  const source = kubeConfig();
  const pooled = PooledKubeConfig.from(source);
  assert.equal(pooled.getCurrentContext(), 'x');
  assert.equal(pooled.getCurrentCluster()?.server, source.getCurrentCluster()?.server);
  assert.equal(pooled.getCurrentUser()?.token, 'secret');
  assert.equal(PooledKubeConfig.from(pooled), pooled);
});
