// `npm run bench:pods`: pod startup latency — create → Running as a watch sees it — for 100 pods
// over 10 edge nodes, and how long an edge node takes to have its 100 pods running again after an
// edgecore restart. Goals (issue 4): startup p99 ≤ 2 s; restore ≤ 2 s. Prints a table and writes
// bench-results/pods.json; never fails on timing (it is not a test).
//
// Everything runs in this process (the embedded API server, cloudcore, the edge nodes), with the
// `process` runtime: each pod is a real `sleep` process on this machine.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CoreV1Api, KubeConfig, makeInformer, type V1Pod } from '@kubernetes/client-node';
import { SystemClock, silentLogger } from '@edgeproof/core';
import { ApiServer, CloudCore } from '@edgeproof/cloud';
import { kubeEdgeCrds } from '@edgeproof/crds';
import { EdgeCore } from '@edgeproof/edge';
import { percentile } from './process-stats.ts';

const NODES = Number(process.env.BENCH_POD_NODES ?? 10);
const PODS = Number(process.env.BENCH_PODS ?? 100);
/** An unusual duration, so that what this benchmark started can be found and ended. */
const SLEEP_SECONDS = '86399';

const clock = new SystemClock();
const logger = silentLogger();
const dir = mkdtempSync(join(tmpdir(), 'edgeproof-pod-bench-'));

function summary(ms: number[]): { n: number; p50: number; p99: number; max: number } {
  const s = [...ms].sort((a, b) => a - b);
  const r = (x: number): number => Math.round(x);
  return { n: s.length, p50: r(percentile(s, 0.5)), p99: r(percentile(s, 0.99)), max: r(s.at(-1) ?? 0) };
}

const apiserver = new ApiServer({
  dataDir: join(dir, 'cloud'),
  port: 0,
  clock,
  logger,
  initialObjects: kubeEdgeCrds(),
});
await apiserver.start();
const kc = new KubeConfig();
kc.loadFromString(apiserver.kubeconfig());
const cloudcore = new CloudCore({
  kubeConfig: kc,
  advertiseAddresses: ['127.0.0.1'],
  host: '127.0.0.1',
  hubPort: 0,
  certPort: 0,
  clock,
  logger,
});
await cloudcore.start();

function makeEdge(i: number): EdgeCore {
  return new EdgeCore({
    dataDir: join(dir, 'edges', `edge-${i}`),
    nodeName: `edge-${i}`,
    cloudHub: `127.0.0.1:${cloudcore.hubPort()}`,
    certServer: `127.0.0.1:${cloudcore.certPort()}`,
    token: cloudcore.token(),
    clock,
    logger,
    metaServer: { port: 0 },
    devices: false,
  });
}
const edges = Array.from({ length: NODES }, (_, i) => makeEdge(i + 1));
await Promise.all(edges.map((e) => e.start()));
while (!edges.every((e) => e.registered())) await new Promise((r) => setTimeout(r, 50));

const api = kc.makeApiClient(CoreV1Api);
const createdAt = new Map<string, number>();
const runningAt = new Map<string, number>();
const informer = makeInformer<V1Pod>(kc, '/api/v1/namespaces/default/pods', () =>
  api.listNamespacedPod({ namespace: 'default' }),
);
const onPod = (p: V1Pod): void => {
  const name = p.metadata?.name ?? '';
  if (p.status?.phase === 'Running' && !runningAt.has(name)) runningAt.set(name, performance.now());
};
informer.on('add', onPod);
informer.on('update', onPod);
await informer.start();

// 1. Startup: PODS pods round-robin over the nodes, created as fast as the API takes them.
for (let i = 0; i < PODS; i++) {
  const name = `bench-${i}`;
  createdAt.set(name, performance.now());
  await api.createNamespacedPod({
    namespace: 'default',
    body: {
      metadata: { name },
      spec: {
        nodeName: `edge-${(i % NODES) + 1}`,
        terminationGracePeriodSeconds: 1,
        containers: [{ name: 'main', image: 'busybox', command: ['sleep', SLEEP_SECONDS] }],
      },
    },
  });
}
while (runningAt.size < PODS) await new Promise((r) => setTimeout(r, 20));
const startup = summary([...createdAt].map(([name, t]) => (runningAt.get(name) ?? t) - t));

// 2. Restore: every pod on one node, that node's edgecore stopped and started again.
const restoreNode = 1;
const restorePods = PODS;
for (let i = 0; i < restorePods; i++) {
  await api.createNamespacedPod({
    namespace: 'default',
    body: {
      metadata: { name: `restore-${i}` },
      spec: {
        nodeName: `edge-${restoreNode}`,
        terminationGracePeriodSeconds: 1,
        containers: [{ name: 'main', image: 'busybox', command: ['sleep', SLEEP_SECONDS] }],
      },
    },
  });
}
while ([...runningAt.keys()].filter((n) => n.startsWith('restore-')).length < restorePods) {
  await new Promise((r) => setTimeout(r, 20));
}
const victim = edges[restoreNode - 1]!;
await victim.stop();
const restarted = makeEdge(restoreNode);
const restoreStart = performance.now();
// start() resolves once the stored pods have been handed to the runtime (adopted or started).
await restarted.start();
const restoreMs = Math.round(performance.now() - restoreStart);
edges[restoreNode - 1] = restarted;

const report = {
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', node: process.version },
  goals: { startupP99Ms: 2000, restoreMs: 2000 },
  nodes: NODES,
  pods: PODS,
  startupMs: startup,
  restore: { pods: restorePods, ms: restoreMs },
};

// Clean up: delete every pod (the edges stop their processes), then stop everything.
await api.deleteCollectionNamespacedPod({ namespace: 'default' });
await new Promise((r) => setTimeout(r, 5000));
await informer.stop();
for (const e of edges) await e.stop();
await cloudcore.stop();
await apiserver.stop();
rmSync(dir, { recursive: true, force: true });
spawnSync('pkill', ['-f', `sleep ${SLEEP_SECONDS}`]);

const out = resolve('bench-results');
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'pods.json'), JSON.stringify(report, null, 2) + '\n');
console.log(`pod startup, create → Running seen by a watch, ${PODS} pods over ${NODES} nodes (ms):`);
console.log(`  p50 ${startup.p50}  p99 ${startup.p99}  max ${startup.max}`);
console.log(`edge restore after an edgecore restart, ${restorePods} pods on one node: ${restoreMs} ms`);
console.log('\nwritten to bench-results/pods.json');
