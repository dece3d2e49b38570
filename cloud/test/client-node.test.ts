// @kubernetes/client-node against the embedded API server: typed API calls, and an informer that
// lists, watches, survives an API server restart and relists after 410 Gone.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CoreV1Api, KubeConfig, makeInformer, type V1ConfigMap } from '@kubernetes/client-node';
import { startApiServer, type Fixture } from './support/apiserver-fixture.ts';

let f: Fixture;
let kc: KubeConfig;
let api: CoreV1Api;
before(async () => {
  f = await startApiServer({ historySize: 50, bookmarkIntervalMs: 200 });
  kc = new KubeConfig();
  kc.loadFromFile(f.kubeconfig);
  api = kc.makeApiClient(CoreV1Api);
});
after(async () => {
  await f.stop();
});

async function eventually(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('typed calls create, read, list and delete', async () => {
  const created = await api.createNamespacedConfigMap({
    namespace: 'default',
    body: { metadata: { name: 'typed' }, data: { a: '1' } },
  });
  assert.ok(created.metadata?.uid);
  const read = await api.readNamespacedConfigMap({ name: 'typed', namespace: 'default' });
  assert.equal(read.data?.a, '1');
  const list = await api.listNamespacedConfigMap({ namespace: 'default' });
  assert.ok(list.items.some((c) => c.metadata?.name === 'typed'));
  await api.deleteNamespacedConfigMap({ name: 'typed', namespace: 'default' });
  await assert.rejects(
    api.readNamespacedConfigMap({ name: 'typed', namespace: 'default' }),
    (err: { code?: number }) => err.code === 404,
  );
});

test('an informer lists, watches, survives a restart and relists after 410', async () => {
  await api.createNamespace({ body: { metadata: { name: 'inf' } } });
  await api.createNamespacedConfigMap({
    namespace: 'inf',
    body: { metadata: { name: 'pre' }, data: { v: '0' } },
  });
  const path = '/api/v1/namespaces/inf/configmaps';
  const informer = makeInformer<V1ConfigMap>(kc, path, () =>
    api.listNamespacedConfigMap({ namespace: 'inf' }),
  );
  const seen = new Map<string, string | undefined>();
  const errors: unknown[] = [];
  informer.on('add', (o) => seen.set(o.metadata?.name ?? '', o.data?.v));
  informer.on('update', (o) => seen.set(o.metadata?.name ?? '', o.data?.v));
  informer.on('delete', (o) => seen.delete(o.metadata?.name ?? ''));
  // The documented pattern: on a watch error, start again after a pause (unless stopped).
  let stopped = false;
  informer.on('error', (err) => {
    errors.push(err);
    setTimeout(() => {
      if (!stopped) informer.start().catch(() => undefined);
    }, 200);
  });
  await informer.start();
  try {
    await eventually('initial list', () => seen.get('pre') === '0');
    await api.createNamespacedConfigMap({
      namespace: 'inf',
      body: { metadata: { name: 'live' }, data: { v: '1' } },
    });
    await eventually('watched add', () => seen.get('live') === '1');

    await f.restart();
    await api.replaceNamespacedConfigMap({
      name: 'live',
      namespace: 'inf',
      body: { metadata: { name: 'live' }, data: { v: '2' } },
    });
    await eventually('update after restart', () => seen.get('live') === '2', 40_000);

    // Stop watching, make more changes than the history keeps, then let the informer resume:
    // its resourceVersion is gone (410), so it must relist and still converge.
    stopped = true;
    await informer.stop();
    for (let i = 0; i < 120; i++) {
      await api.createNamespace({ body: { metadata: { name: `churn-${i}` } } });
    }
    await api.deleteNamespacedConfigMap({ name: 'pre', namespace: 'inf' });
    await api.createNamespacedConfigMap({
      namespace: 'inf',
      body: { metadata: { name: 'after-410' }, data: { v: '3' } },
    });
    stopped = false;
    await informer.start();
    await eventually(
      'convergence after 410',
      () => !seen.has('pre') && seen.get('after-410') === '3',
      40_000,
    );
  } finally {
    stopped = true;
    await informer.stop();
  }
});
