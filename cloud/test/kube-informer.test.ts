// KeptInformer against the embedded API server: client-node's informer stops for good after a
// watch error; this one starts again after a backoff and converges once the API server is back.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CoreV1Api, KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import { SystemClock, createLogger } from '@edgeproof/core';
import { KeptInformer } from '../src/kube-informer.ts';
import { startApiServer, type Fixture } from './support/apiserver-fixture.ts';

let f: Fixture;
let api: CoreV1Api;
let kc: KubeConfig;
before(async () => {
  f = await startApiServer();
  kc = new KubeConfig();
  kc.loadFromFile(f.kubeconfig);
  api = kc.makeApiClient(CoreV1Api);
});
after(async () => {
  await f.stop();
});

async function eventually(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    assert.ok(Date.now() < until, `timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('starts again after the API server goes away and converges when it is back', async () => {
  await api.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'before' } } });
  const logs: string[] = [];
  const kept = new KeptInformer<V1ConfigMap>({
    kubeConfig: kc,
    path: '/api/v1/namespaces/default/configmaps',
    list: () => api.listNamespacedConfigMap({ namespace: 'default' }),
    clock: new SystemClock(),
    logger: createLogger('test', { level: 'warn', write: (l) => logs.push(l) }),
    what: 'config maps',
  });
  assert.equal(kept.synced(), false);
  await kept.start();
  try {
    await eventually('the first list', () => kept.synced());
    assert.ok(kept.informer.get('before', 'default'));

    // Down long enough for the re-watch to be refused: client-node's informer would stop here.
    await f.restart(1500);
    await eventually('the retry', () =>
      logs.some((l) => l.includes('watch of config maps failed; starting again')),
    );
    await api.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'after' } } });
    await eventually(
      'the object made after the restart',
      () => kept.informer.get('after', 'default') !== undefined,
    );
  } finally {
    await kept.stop();
  }
});
