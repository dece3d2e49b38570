// TokenRequest on the embedded API server through @kubernetes/client-node, and the edge's
// `serviceaccounttoken` query answered by cloudcore's upstream controller (kubeedge-protocol.md §4.2).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPublicKey, createPrivateKey } from 'node:crypto';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { jwtVerify } from 'jose';
import { SystemClock, silentLogger, type Message } from '@edgeproof/core';
import { SERVICE_ACCOUNT_ISSUER } from '../src/apiserver/service-account-tokens.ts';
import { UpstreamController } from '../src/edgecontroller/upstream.ts';
import { startApiServer, type Fixture } from './support/apiserver-fixture.ts';

let f: Fixture;
let api: CoreV1Api;
let kc: KubeConfig;
before(async () => {
  f = await startApiServer();
  kc = new KubeConfig();
  kc.loadFromFile(f.kubeconfig);
  api = kc.makeApiClient(CoreV1Api);
  await api.createNamespacedServiceAccount({ namespace: 'default', body: { metadata: { name: 'app' } } });
});
after(async () => {
  await f.stop();
});

test('TokenRequest issues a signed token with the claims of a bound service-account token', async () => {
  const sa = await api.readNamespacedServiceAccount({ name: 'app', namespace: 'default' });
  const tr = await api.createNamespacedServiceAccountToken({
    name: 'app',
    namespace: 'default',
    body: { spec: { audiences: ['edge-app'], expirationSeconds: 1200 } },
  });
  assert.equal(tr.spec?.expirationSeconds, 1200);
  const token = tr.status?.token ?? '';
  const publicKey = createPublicKey(
    createPrivateKey(readFileSync(join(f.dataDir, 'pki', 'service-account.key'), 'utf8')),
  );
  const { payload, protectedHeader } = await jwtVerify(token, publicKey, {
    issuer: SERVICE_ACCOUNT_ISSUER,
    audience: 'edge-app',
  });
  assert.equal(protectedHeader.alg, 'ES256');
  assert.equal(payload.sub, 'system:serviceaccount:default:app');
  assert.deepEqual(payload['kubernetes.io'], {
    namespace: 'default',
    serviceaccount: { name: 'app', uid: sa.metadata?.uid },
  });
  assert.equal((payload.exp ?? 0) - (payload.iat ?? 0), 1200);
});

test('TokenRequest refuses a missing account, a too-short life and other verbs', async () => {
  await assert.rejects(
    api.createNamespacedServiceAccountToken({
      name: 'nobody',
      namespace: 'default',
      body: { spec: { audiences: [] } },
    }),
    (err: { code?: number }) => err.code === 404,
  );
  await assert.rejects(
    api.createNamespacedServiceAccountToken({
      name: 'app',
      namespace: 'default',
      body: { spec: { audiences: [], expirationSeconds: 60 } },
    }),
    (err: { code?: number; body?: string }) =>
      err.code === 422 && /less than 10 minutes/.test(String(err.body)),
  );
  const get = await f.kubectl(['get', '--raw', '/api/v1/namespaces/default/serviceaccounts/app/token']);
  assert.notEqual(get.code, 0);
  assert.match(get.stderr, /MethodNotAllowed|not allowed/i);
});

test('the edge gets a token for a service account its pod runs as, and nothing else', async () => {
  await api.createNamespacedPod({
    namespace: 'default',
    body: {
      metadata: { name: 'uses-app' },
      spec: { nodeName: 'edge-1', serviceAccountName: 'app', containers: [{ name: 'c', image: 'x' }] },
    },
  });
  const uc = new UpstreamController({ kubeConfig: kc, clock: new SystemClock(), logger: silentLogger() });
  const ask = async (node: string, name: string): Promise<Message> => {
    const sent: Message[] = [];
    await uc.handle(
      { nodeId: node, send: (m) => Promise.resolve(void sent.push(m)) },
      {
        header: { msg_id: `q-${node}-${name}`, timestamp: Date.now() },
        route: {
          source: 'edged',
          group: 'meta',
          operation: 'query',
          resource: `node/${node}/default/serviceaccounttoken/${name}`,
        },
        content: {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenRequest',
          spec: { audiences: ['x'], expirationSeconds: 3600 },
        },
      },
    );
    assert.equal(sent.length, 1);
    return sent[0]!;
  };
  const ok = await ask('edge-1', 'app');
  assert.equal(ok.route.operation, 'response');
  const tr = ok.content as { kind: string; status: { token: string } };
  assert.equal(tr.kind, 'TokenRequest');
  assert.ok(tr.status.token.split('.').length === 3);
  const otherAccount = await ask('edge-1', 'default');
  assert.equal(otherAccount.route.operation, 'error');
  assert.match(String(otherAccount.content), /runs as service account default\/default/);
  const otherNode = await ask('edge-2', 'app');
  assert.equal(otherNode.route.operation, 'error');
});
