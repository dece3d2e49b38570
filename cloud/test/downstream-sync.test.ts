// EdgeController downstream with reliable delivery and resync (kubeedge-protocol.md §3, §4.1),
// end to end over real sockets: the embedded API server with the KubeEdge CRDs, a real HubServer
// wired to a DownstreamController the way cloudcore wires it, and a fake edge node written here —
// a `ws` client with a node certificate that records what it receives and ACKs it as edgecore's
// MetaManager does (operation `response`, same route, parent_msg_id = the message id, content
// "OK"). ObjectSyncs are checked with real kubectl. Real time: the resend test waits KubeEdge's 5 s.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { KubeConfig } from '@kubernetes/client-node';
import { SystemClock, createLogger, silentLogger } from '@edgeproof/core';
import { kubeEdgeCrds } from '@edgeproof/crds';
import { HubServer } from '../src/cloudhub/hub-server.ts';
import { DownstreamController } from '../src/edgecontroller/downstream.ts';
import type { CertificateAuthority } from '../src/pki/pki.ts';
import { testHubCredentials } from './support/hub-credentials.ts';
import { FakeEdge } from './support/fake-edge.ts';
import { startApiServer, type Fixture } from './support/apiserver-fixture.ts';

const logger = process.env.EDGEPROOF_TEST_LOG ? createLogger('test', { level: 'debug' }) : silentLogger();
const HOST = '127.0.0.1';
const NODE = 'edge-1';
// TLS checks certificate dates on real time, so everything here runs on the system clock.
const clock = new SystemClock();

let f: Fixture;
let ca: CertificateAuthority;
let hub: HubServer;
let downstream: DownstreamController;

before(async () => {
  f = await startApiServer({ initialObjects: kubeEdgeCrds() });
  const hubCredentials = await testHubCredentials(clock, HOST);
  ca = hubCredentials.ca;

  // Left behind by a node deleted while cloudcore was down (§3.3): collected at start.
  await create({
    apiVersion: 'reliablesyncs.kubeedge.io/v1alpha1',
    kind: 'ObjectSync',
    metadata: { name: 'ghost.11111111-2222-3333-4444-555555555555', namespace: 'default' },
    spec: { objectAPIVersion: 'v1', objectKind: 'Pod', objectName: 'gone' },
  });
  await create({
    apiVersion: 'reliablesyncs.kubeedge.io/v1alpha1',
    kind: 'ClusterObjectSync',
    metadata: { name: 'ghost.66666666-7777-8888-9999-000000000000' },
    spec: { objectAPIVersion: 'v1', objectKind: 'Node', objectName: 'ghost' },
  });

  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(f.kubeconfig);
  downstream = new DownstreamController({ kubeConfig, clock, logger });
  hub = new HubServer({
    credentials: hubCredentials.credentials,
    clock,
    logger,
    port: 0,
    host: HOST,
    keepaliveTimeoutMs: 600_000, // the fake edge sends no keepalives
    // As cloudcore wires them: connects and disconnects to the controller, upstream messages
    // offered to it first (it takes the ACKs of what it sent).
    events: {
      onConnect: (session) => downstream.nodeConnected(session),
      onDisconnect: (nodeId, _reason, session) => downstream.nodeDisconnected(nodeId, session),
      onMessage: (session, message) => void downstream.handleUpstream(session.nodeId, message),
    },
  });
  await hub.start();
  await downstream.start();
});

after(async () => {
  edge?.close();
  await hub.stop();
  await downstream.stop();
  await f.stop();
});

// ---------------------------------------------------------------------------------------------
// Helpers

async function create(obj: object): Promise<void> {
  await f.kubectlOk(['create', '-f', '-'], JSON.stringify(obj));
}

type Obj = { metadata: { name: string; uid: string; resourceVersion: string; deletionTimestamp?: string } };

async function get(args: string[]): Promise<Obj> {
  return JSON.parse(await f.kubectlOk(['get', ...args, '-o', 'json'])) as Obj;
}

type SyncItem = {
  metadata: { name: string; namespace?: string };
  spec: { objectAPIVersion: string; objectKind: string; objectName: string };
  status?: { objectResourceVersion?: string };
};

/** name → acked RV of the ObjectSyncs (`kind` objectsyncs or clusterobjectsyncs) of NODE. */
async function syncs(kind: 'objectsyncs' | 'clusterobjectsyncs'): Promise<Map<string, SyncItem>> {
  const out = await f.kubectlOk(['get', kind, ...(kind === 'objectsyncs' ? ['-A'] : []), '-o', 'json']);
  const items = (JSON.parse(out) as { items: SyncItem[] }).items;
  return new Map(
    items.filter((i) => i.metadata.name.startsWith(`${NODE}.`)).map((i) => [i.metadata.name, i]),
  );
}

async function eventually(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let edge: FakeEdge | undefined;

function newEdge(node: string): FakeEdge {
  return new FakeEdge(
    { ca, host: HOST, port: () => hub.port(), clock, hasSession: (n) => hub.session(n) !== undefined },
    node,
  );
}

const container = (extra: object = {}) => ({ name: 'app', image: 'nginx', ...extra });

// ---------------------------------------------------------------------------------------------

test('a bound pod arrives as insert with its configmap and secret (secret as update); ObjectSyncs record the acked versions', async () => {
  await create({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: NODE, labels: { 'node-role.kubernetes.io/edge': '' } },
  });
  await create({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'app-cfg', namespace: 'default' },
    data: { level: '1' },
  });
  await create({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'worker-cfg', namespace: 'default' },
    data: { a: 'b' },
  });
  await create({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'unused', namespace: 'default' },
    data: {},
  });
  await create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'app-secret', namespace: 'default' },
    stringData: { token: 't' },
  });
  await create({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      nodeName: NODE,
      volumes: [{ name: 'cfg', configMap: { name: 'app-cfg' } }],
      containers: [container({ envFrom: [{ secretRef: { name: 'app-secret' } }] })],
    },
  });
  await create({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'worker', namespace: 'default' },
    spec: {
      nodeName: NODE,
      volumes: [{ name: 'cfg', configMap: { name: 'worker-cfg' } }],
      containers: [
        container({
          env: [{ name: 'L', valueFrom: { configMapKeyRef: { name: 'app-cfg', key: 'level' } } }],
        }),
      ],
    },
  });
  await create({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'elsewhere', namespace: 'default' },
    spec: { nodeName: 'edge-2', containers: [container()] },
  });

  edge = newEdge(NODE);
  await edge.connect();
  const e = edge;
  const expected: Array<[string, string]> = [
    ['insert', 'default/configmap/app-cfg'],
    ['insert', 'default/configmap/worker-cfg'],
    ['update', 'default/secret/app-secret'],
    ['update', 'null/node/edge-1'],
    ['insert', 'default/pod/web'],
    ['insert', 'default/pod/worker'],
  ];
  await eventually('the pods, their configmaps and secret, and the node', () =>
    expected.every(([op, res]) => e.find(0, op, res).length > 0),
  );
  const resources = e.received.map((r) => r.message.route.resource);
  assert.ok(!resources.includes('default/configmap/unused'), 'an unreferenced configmap stays in the cloud');
  assert.ok(!resources.includes('default/pod/elsewhere'), "another node's pod stays in the cloud");
  assert.ok(
    resources.indexOf('default/configmap/app-cfg') < resources.indexOf('default/pod/web'),
    'what a pod needs comes before the pod',
  );

  const web = await get(['pod', 'web']);
  const podMsg = e.find(0, 'insert', 'default/pod/web')[0]!.message;
  assert.equal(podMsg.route.source, 'edgecontroller');
  assert.equal(podMsg.route.group, 'resource');
  assert.equal(podMsg.header.resourceversion, web.metadata.resourceVersion);
  const content = podMsg.content as {
    apiVersion: string;
    kind: string;
    metadata: { uid: string; creationTimestamp: string };
    spec: { nodeName: string };
  };
  assert.equal(content.apiVersion, 'v1');
  assert.equal(content.kind, 'Pod');
  assert.equal(content.metadata.uid, web.metadata.uid);
  assert.equal(content.spec.nodeName, NODE);
  assert.match(content.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'wire time format');

  // ObjectSyncs <node>.<uid> with the acked RVs, in the object's namespace; the Node's is cluster-scoped.
  const expectSyncs = async (): Promise<boolean> => {
    const current = await syncs('objectsyncs');
    for (const [kind, name] of [
      ['pod', 'web'],
      ['pod', 'worker'],
      ['configmap', 'app-cfg'],
      ['configmap', 'worker-cfg'],
      ['secret', 'app-secret'],
    ] as const) {
      const obj = await get([kind, name]);
      const s = current.get(`${NODE}.${obj.metadata.uid}`);
      if (s?.status?.objectResourceVersion !== obj.metadata.resourceVersion) return false;
    }
    return current.size === 5;
  };
  await eventually('ObjectSyncs with the acked resourceVersions', expectSyncs);
  const web0 = (await syncs('objectsyncs')).get(`${NODE}.${web.metadata.uid}`)!;
  assert.equal(web0.metadata.namespace, 'default');
  assert.deepEqual(web0.spec, { objectAPIVersion: 'v1', objectKind: 'Pod', objectName: 'web' });
  const node = await get(['node', NODE]);
  await eventually('the ClusterObjectSync of the node', async () => {
    const s = (await syncs('clusterobjectsyncs')).get(`${NODE}.${node.metadata.uid}`);
    return s?.status?.objectResourceVersion === node.metadata.resourceVersion;
  });
});

test('a node that connects before it registers keeps its session and gets its objects once its Node exists', async () => {
  const early = newEdge('edge-2');
  await early.connect();
  try {
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(hub.session('edge-2'), 'not mistaken for a deleted node');
    assert.deepEqual(early.received, []);
    await create({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'edge-2', labels: { 'node-role.kubernetes.io/edge': '' } },
    });
    await eventually(
      'its node and pod',
      () =>
        early.find(0, 'update', 'null/node/edge-2').length > 0 &&
        early.find(0, 'insert', 'default/pod/elsewhere').length > 0,
    );
  } finally {
    await early.disconnect();
  }
});

test('a message the edge does not ACK is resent after 5 s with the same msg_id, then recorded', async () => {
  const e = edge!;
  let withheld = 0;
  e.ackIf = (m) => !(m.route.resource === 'default/configmap/app-cfg' && withheld++ === 0);
  const from = e.received.length;
  await f.kubectlOk(['patch', 'configmap', 'app-cfg', '--type=merge', '-p', '{"data":{"level":"2"}}']);
  const cfg = await get(['configmap', 'app-cfg']);
  await eventually(
    'the resend',
    () => e.find(from, 'update', 'default/configmap/app-cfg').length >= 2,
    15_000,
  );
  const [first, second] = e.find(from, 'update', 'default/configmap/app-cfg');
  assert.equal(second!.message.header.msg_id, first!.message.header.msg_id, 'a resend is the same message');
  assert.equal(first!.message.header.resourceversion, cfg.metadata.resourceVersion);
  const gap = second!.at - first!.at;
  assert.ok(gap >= 4_500 && gap < 8_000, `resent after ${gap} ms, expected about 5000`);
  e.ackIf = () => true;
  await eventually('the ObjectSync to take the new version', async () => {
    const s = (await syncs('objectsyncs')).get(`${NODE}.${cfg.metadata.uid}`);
    return s?.status?.objectResourceVersion === cfg.metadata.resourceVersion;
  });
});

test('a pod deleted and a configmap changed while the node is away reach it on reconnect; ObjectSyncs match', async () => {
  const e = edge!;
  const worker = await get(['pod', 'worker']);
  const workerCfg = await get(['configmap', 'worker-cfg']);
  await e.disconnect();

  await f.kubectlOk(['delete', 'pod', 'worker']);
  await f.kubectlOk(['patch', 'configmap', 'app-cfg', '--type=merge', '-p', '{"data":{"level":"3"}}']);
  const cfg = await get(['configmap', 'app-cfg']);
  await new Promise((r) => setTimeout(r, 300)); // the watch events land while the node is away
  const from = e.received.length;

  const connectedAt = Date.now();
  await e.connect();
  await eventually(
    'the offline changes',
    () =>
      e.find(from, 'delete', 'default/pod/worker').length > 0 &&
      e.find(from, 'delete', 'default/configmap/worker-cfg').length > 0 &&
      e.find(from, 'update', 'default/configmap/app-cfg').length > 0,
  );
  const arrived = Math.max(...e.received.slice(from).map((r) => r.at)) - connectedAt;
  assert.ok(arrived < 2_500, `resync took ${arrived} ms; it must start on connect, not on a 5 s poll`);

  const podDelete = e.find(from, 'delete', 'default/pod/worker')[0]!.message;
  assert.deepEqual(podDelete.content, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'worker', namespace: 'default', uid: worker.metadata.uid },
  });
  const cfgUpdate = e.find(from, 'update', 'default/configmap/app-cfg')[0]!.message;
  assert.equal(cfgUpdate.header.resourceversion, cfg.metadata.resourceVersion);
  assert.equal((cfgUpdate.content as { data: { level: string } }).data.level, '3');
  const again = e.received.slice(from).filter((r) => r.message.route.operation === 'insert');
  assert.deepEqual(again, [], 'nothing the node already holds is sent again');

  await eventually('ObjectSyncs to match what the node holds', async () => {
    const current = await syncs('objectsyncs');
    const web = await get(['pod', 'web']);
    const secret = await get(['secret', 'app-secret']);
    return (
      current.size === 3 &&
      current.get(`${NODE}.${cfg.metadata.uid}`)?.status?.objectResourceVersion ===
        cfg.metadata.resourceVersion &&
      current.get(`${NODE}.${web.metadata.uid}`)?.status?.objectResourceVersion ===
        web.metadata.resourceVersion &&
      current.has(`${NODE}.${secret.metadata.uid}`) &&
      !current.has(`${NODE}.${worker.metadata.uid}`) &&
      !current.has(`${NODE}.${workerCfg.metadata.uid}`)
    );
  });
});

test('a pod being deleted is sent as update with its deletionTimestamp, and as delete once gone', async () => {
  const e = edge!;
  const from = e.received.length;
  await create({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'held', namespace: 'default', finalizers: ['example.com/hold'] },
    spec: { nodeName: NODE, containers: [container()] },
  });
  await eventually('the insert', () => e.find(from, 'insert', 'default/pod/held').length > 0);
  const held = await get(['pod', 'held']);
  await f.kubectlOk(['delete', 'pod', 'held', '--wait=false']);
  await eventually('the update with deletionTimestamp', () =>
    e
      .find(from, 'update', 'default/pod/held')
      .some((r) => Boolean((r.message.content as Obj).metadata.deletionTimestamp)),
  );
  await f.kubectlOk(['patch', 'pod', 'held', '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
  await eventually('the delete', () => e.find(from, 'delete', 'default/pod/held').length > 0);
  const del = e.find(from, 'delete', 'default/pod/held')[0]!.message;
  assert.equal((del.content as Obj).metadata.uid, held.metadata.uid);
  await eventually(
    'its ObjectSync to go',
    async () => !(await syncs('objectsyncs')).has(`${NODE}.${held.metadata.uid}`),
  );
});

test('after a cloudcore restart the records are read back: only what changed is sent', async () => {
  const e = edge!;
  await e.disconnect();
  await downstream.flushed();
  await downstream.stop();
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(f.kubeconfig);
  downstream = new DownstreamController({ kubeConfig, clock, logger });
  await downstream.start();
  await f.kubectlOk(['patch', 'secret', 'app-secret', '--type=merge', '-p', '{"stringData":{"token":"t2"}}']);
  const secret = await get(['secret', 'app-secret']);
  const from = e.received.length;
  await e.connect();
  await eventually(
    'the changed secret',
    () => e.find(from, 'update', 'default/secret/app-secret').length > 0,
  );
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(
    e.received.slice(from).map((r) => `${r.message.route.operation} ${r.message.route.resource}`),
    ['update default/secret/app-secret'],
  );
  assert.equal(e.received.at(-1)?.message.header.resourceversion, secret.metadata.resourceVersion);
});

test('ObjectSyncs of nodes that no longer exist are collected: at start, and when the node is deleted', async () => {
  const ghosts = async (): Promise<string> =>
    (await f.kubectlOk(['get', 'objectsyncs,clusterobjectsyncs', '-A', '-o', 'name'])).trim();
  await eventually('the ghost node’s records to go', async () => !(await ghosts()).includes('ghost.'));

  const e = edge!;
  const from = e.received.length;
  await f.kubectlOk(['delete', 'node', NODE]);
  await eventually(
    'the node delete, and the session ended',
    () => e.find(from, 'delete', 'null/node/edge-1').length > 0 && hub.session(NODE) === undefined,
  );
  await eventually(
    'every record of the node to go',
    async () => (await syncs('objectsyncs')).size === 0 && (await syncs('clusterobjectsyncs')).size === 0,
  );
});
