// NodeLifecycleController against the embedded API server: on the real clock with shortened timers,
// an edge node whose lease stops being renewed turns Unknown (kubectl: NotReady) and one whose lease
// keeps being renewed is left alone; on a fake clock, the 40 s default, and heartbeats timed by when
// the cloud sees them rather than by the edge's (possibly wrong) clock.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CoordinationV1Api,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Node,
} from '@kubernetes/client-node';
import { FakeClock, SystemClock, createLogger, silentLogger } from '@edgeproof/core';
import {
  DEFAULT_NODE_GRACE_PERIOD_MS,
  NODE_STATUS_UNKNOWN_MESSAGE,
  NODE_STATUS_UNKNOWN_REASON,
  NodeLifecycleController,
} from '../src/edgecontroller/node-lifecycle.ts';
import { KeptInformer } from '../src/kube-informer.ts';
import { startApiServer, type Fixture } from './support/apiserver-fixture.ts';

let f: Fixture;
let kc: KubeConfig;
let core: CoreV1Api;
let coordination: CoordinationV1Api;
before(async () => {
  f = await startApiServer();
  kc = new KubeConfig();
  kc.loadFromFile(f.kubeconfig);
  core = kc.makeApiClient(CoreV1Api);
  coordination = kc.makeApiClient(CoordinationV1Api);
});
after(async () => {
  await f.stop();
});

const rfc3339 = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

async function readyEdgeNode(name: string, edge = true): Promise<void> {
  const now = rfc3339(Date.now());
  await core.createNode({
    body: {
      metadata: { name, labels: edge ? { 'node-role.kubernetes.io/edge': '' } : {} },
      status: {
        conditions: [
          { type: 'Ready', status: 'True', reason: 'EdgeReady', lastHeartbeatTime: now as unknown as Date },
          { type: 'MemoryPressure', status: 'False', reason: 'x', lastHeartbeatTime: now as unknown as Date },
        ],
      },
    },
  });
  await coordination.createNamespacedLease({
    namespace: 'kube-node-lease',
    body: {
      metadata: { name, namespace: 'kube-node-lease' },
      spec: { holderIdentity: name, leaseDurationSeconds: 1, renewTime: new Date() },
    },
  });
}

async function renew(name: string): Promise<void> {
  await coordination.patchNamespacedLease(
    { name, namespace: 'kube-node-lease', body: { spec: { renewTime: new Date().toISOString() } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
}

/** Renews `name`'s lease back to back (one call at a time) until the returned stop is called. */
function keepRenewing(name: string): () => Promise<void> {
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      await renew(name).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 30));
    }
  })();
  return async () => {
    stopped = true;
    await loop;
  };
}

async function status(name: string): Promise<string> {
  const out = await f.kubectlOk(['get', 'nodes', name, '--no-headers']);
  return out.trim().split(/\s+/)[1] ?? '';
}

test('a node whose lease stops being renewed becomes Unknown; a renewed one stays Ready', async () => {
  await readyEdgeNode('silent');
  await readyEdgeNode('alive');
  await readyEdgeNode('not-edge', false);
  const lc = new NodeLifecycleController({
    kubeConfig: kc,
    clock: new SystemClock(),
    logger: process.env.DBG ? createLogger('lc') : silentLogger(),
    gracePeriodMs: 300,
    monitorPeriodMs: 100,
  });
  await lc.start();
  const stopRenewing = keepRenewing('alive');
  try {
    const deadline = Date.now() + 10_000;
    while ((await status('silent')) !== 'NotReady') {
      assert.ok(Date.now() < deadline, 'silent node never became NotReady');
      await new Promise((r) => setTimeout(r, 100));
    }
    // Give the controller several more ticks to (wrongly) touch the renewed node.
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(await status('alive'), 'Ready');
    assert.equal(await status('not-edge'), 'Ready', 'nodes without the edge label are not ours');
  } finally {
    await stopRenewing();
    await lc.stop();
  }

  const silent = await core.readNode({ name: 'silent' });
  const conditions = silent.status?.conditions ?? [];
  assert.deepEqual(
    conditions.map((c) => [c.type, c.status, c.reason, c.message]),
    [
      ['Ready', 'Unknown', NODE_STATUS_UNKNOWN_REASON, NODE_STATUS_UNKNOWN_MESSAGE],
      ['MemoryPressure', 'Unknown', NODE_STATUS_UNKNOWN_REASON, NODE_STATUS_UNKNOWN_MESSAGE],
    ],
  );
  const rv = silent.metadata?.resourceVersion;

  // Level-based and idempotent: another pass leaves an Unknown node untouched.
  await lc.reconcile();
  assert.equal((await core.readNode({ name: 'silent' })).metadata?.resourceVersion, rv);

  // The edge coming back (its own nodepatch) is not undone while its lease is fresh.
  await renew('silent');
  await core.patchNodeStatus(
    {
      name: 'silent',
      body: { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'EdgeReady' }] } },
    },
    setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
  );
  await lc.reconcile();
  assert.equal(await status('silent'), 'Ready');
});

async function synced(lc: NodeLifecycleController): Promise<void> {
  for (let i = 0; i < 200 && !lc.synced(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(lc.synced(), 'the caches were filled');
}

/** Waits until the controller has seen a heartbeat of `name` at the fake clock's current time. */
async function seen(lc: NodeLifecycleController, name: string, clock: FakeClock): Promise<void> {
  for (let i = 0; i < 500 && lc.lastHeartbeatSeen(name) !== clock.now(); i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.equal(lc.lastHeartbeatSeen(name), clock.now(), `the renewal of ${name} was seen`);
}

test('the grace period is 40 s by default, counted on the cloud clock from the last heartbeat seen', async () => {
  await readyEdgeNode('graceful');
  const clock = new FakeClock(Date.now());
  // A monitor period of an hour: the passes below are run by hand, at exact times.
  const lc = new NodeLifecycleController({
    kubeConfig: kc,
    clock,
    logger: silentLogger(),
    monitorPeriodMs: 3_600_000,
  });
  assert.equal(DEFAULT_NODE_GRACE_PERIOD_MS, 40_000);
  await lc.start();
  try {
    await synced(lc);
    clock.advance(40_000);
    await lc.reconcile();
    assert.equal(await status('graceful'), 'Ready', 'at exactly the grace period the node is still Ready');
    clock.advance(1);
    await lc.reconcile();
    assert.equal(await status('graceful'), 'NotReady', 'one millisecond later it is Unknown');
  } finally {
    await lc.stop();
  }
});

test('a lease renewed with a skewed edge clock still counts: only that it changed matters', async () => {
  // The edge's clock is 10 minutes behind: every renewTime it writes is "old".
  await readyEdgeNode('skewed');
  const skew = 10 * 60_000;
  const renewSkewed = (): Promise<unknown> =>
    coordination.patchNamespacedLease(
      {
        name: 'skewed',
        namespace: 'kube-node-lease',
        body: { spec: { renewTime: new Date(Date.now() - skew).toISOString() } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  const clock = new FakeClock(Date.now());
  const lc = new NodeLifecycleController({
    kubeConfig: kc,
    clock,
    logger: silentLogger(),
    monitorPeriodMs: 3_600_000,
  });
  await lc.start();
  try {
    await synced(lc);
    for (let i = 0; i < 6; i++) {
      clock.advance(30_000); // 3 minutes in all, renewed every 30 s
      await renewSkewed();
      await seen(lc, 'skewed', clock);
      await lc.reconcile();
      assert.equal(await status('skewed'), 'Ready', `after ${(i + 1) * 30} s`);
    }
    // Then it falls silent: 40 s later it is still Ready, 41 s later Unknown.
    clock.advance(40_000);
    await lc.reconcile();
    assert.equal(await status('skewed'), 'Ready');
    clock.advance(1_000);
    await lc.reconcile();
    assert.equal(await status('skewed'), 'NotReady');
  } finally {
    await lc.stop();
  }
});

test("with a borrowed node informer (cloudcore shares downstream's) it marks silent nodes and leaves the informer to its owner", async () => {
  await readyEdgeNode('borrowed-silent');
  const clock = new SystemClock();
  const nodes = new KeptInformer<V1Node>({
    kubeConfig: kc,
    path: '/api/v1/nodes',
    list: () => core.listNode({ labelSelector: 'node-role.kubernetes.io/edge' }),
    labelSelector: 'node-role.kubernetes.io/edge',
    clock,
    logger: silentLogger(),
    what: 'edge nodes',
  });
  await nodes.start();
  const lc = new NodeLifecycleController({
    kubeConfig: kc,
    clock,
    logger: silentLogger(),
    gracePeriodMs: 300,
    monitorPeriodMs: 100,
    nodes,
  });
  try {
    await lc.start();
    const deadline = Date.now() + 10_000;
    while ((await status('borrowed-silent')) !== 'NotReady') {
      assert.ok(Date.now() < deadline, 'the node never became NotReady');
      await new Promise((r) => setTimeout(r, 100));
    }
    await lc.stop();
    // The owner's informer still runs: a node created after the lifecycle stopped reaches its cache.
    await readyEdgeNode('after-stop');
    const until = Date.now() + 10_000;
    while (nodes.informer.get('after-stop') === undefined) {
      assert.ok(Date.now() < until, 'the borrowed informer stopped with the lifecycle');
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await lc.stop();
    await nodes.stop();
  }
});
