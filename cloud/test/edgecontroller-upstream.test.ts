// UpstreamController against the embedded API server: node register, nodepatch, lease, query and
// the refusals, checked through the replies and through real kubectl.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { SystemClock, silentLogger, type Message } from '@edgeproof/core';
import { UpstreamController, type ObjectResp } from '../src/edgecontroller/upstream.ts';
import { startApiServer, type Fixture } from './support/apiserver-fixture.ts';

let f: Fixture;
let uc: UpstreamController;
let api: CoreV1Api;
before(async () => {
  f = await startApiServer();
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(f.kubeconfig);
  api = kubeConfig.makeApiClient(CoreV1Api);
  uc = new UpstreamController({
    kubeConfig,
    clock: new SystemClock(),
    logger: silentLogger(),
    cloudcoreAddress: '10.0.0.1',
  });
});
after(async () => {
  await f.stop();
});

let seq = 0;
function request(operation: string, resource: string, content: unknown): Message {
  return {
    header: { msg_id: `req-${++seq}`, timestamp: Date.now() },
    route: { source: 'edged', group: 'meta', operation, resource },
    content,
  };
}

/** Runs `message` through the controller as `nodeId` and returns the one reply. */
async function call(nodeId: string, message: Message): Promise<Message> {
  const sent: Message[] = [];
  await uc.handle({ nodeId, send: (m) => Promise.resolve(void sent.push(m)) }, message);
  assert.equal(sent.length, 1, 'exactly one reply');
  const reply = sent[0]!;
  assert.equal(reply.header.parent_msg_id, message.header.msg_id);
  return reply;
}

type NodeLike = {
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  status?: { conditions?: Array<{ type: string; status: string }> };
};

const nodeContent = (name: string) => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: {
    name,
    labels: { 'kubernetes.io/hostname': name, 'node-role.kubernetes.io/edge': '', team: 'a' },
  },
  status: { nodeInfo: { kubeletVersion: 'v1.30.7-kubeedge-v1.20.0' } },
});

test('register creates the node with edge labels and annotation; nodepatch makes it Ready', async () => {
  const reg = await call(
    'edge-1',
    request('insert', 'node/edge-1/default/node/edge-1', nodeContent('edge-1')),
  );
  assert.equal(reg.route.operation, 'response');
  assert.equal(reg.route.source, 'edgecontroller');
  assert.equal(reg.route.resource, 'default/node/edge-1', 'node/<id>/ prefix trimmed');
  const resp = reg.content as ObjectResp<NodeLike>;
  assert.equal(resp.Err, null);
  assert.equal(resp.Object?.metadata.name, 'edge-1');
  assert.equal(resp.Object?.metadata.labels?.['node-role.kubernetes.io/edge'], '');
  assert.equal(resp.Object?.metadata.labels?.['node-role.kubernetes.io/agent'], '');
  assert.equal(resp.Object?.metadata.labels?.['kubernetes.io/hostname'], 'edge-1');
  assert.equal(resp.Object?.metadata.labels?.team, 'a');
  assert.equal(resp.Object?.metadata.annotations?.cloudcore, '10.0.0.1');
  assert.ok(reg.header.resourceversion);

  const listed = await f.kubectlOk(['get', 'nodes', '-l', 'node-role.kubernetes.io/edge', '--no-headers']);
  assert.match(listed, /^edge-1\s+\S+\s+agent,edge\s/m);

  // The patch as a string holding JSON (§1.1).
  const heartbeat = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const patch = JSON.stringify({
    status: {
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'EdgeReady',
          message: 'edge is posting ready status',
          lastHeartbeatTime: heartbeat,
          lastTransitionTime: heartbeat,
        },
      ],
    },
  });
  const patched = await call('edge-1', request('patch', 'node/edge-1/default/nodepatch/edge-1', patch));
  assert.equal(patched.route.operation, 'response');
  assert.equal(patched.route.resource, 'default/nodepatch/edge-1');
  const presp = patched.content as ObjectResp<NodeLike>;
  assert.equal(presp.Err, null);
  assert.deepEqual(
    presp.Object?.status?.conditions?.map((c) => [c.type, c.status]),
    [['Ready', 'True']],
  );
  const row = await f.kubectlOk(['get', 'nodes', 'edge-1', '--no-headers']);
  assert.match(row, /^edge-1\s+Ready\s+agent,edge\s/);

  // Query answers the bare node.
  const q = await call('edge-1', request('query', 'node/edge-1/default/node/edge-1', null));
  assert.equal(q.route.operation, 'response');
  assert.equal((q.content as NodeLike).metadata.name, 'edge-1');
  assert.ok(!('Object' in (q.content as object)));
});

test('nodepatch accepts KubeEdge base64url content and an object', async () => {
  await call('edge-2', request('insert', 'node/edge-2/default/node/edge-2', nodeContent('edge-2')));
  const body = { status: { conditions: [{ type: 'Ready', status: 'False', reason: 'x' }] } };
  const b64 = Buffer.from(JSON.stringify(body)).toString('base64url');
  const r1 = await call('edge-2', request('patch', 'node/edge-2/default/nodepatch/edge-2', b64));
  assert.equal((r1.content as ObjectResp<NodeLike>).Object?.status?.conditions?.[0]?.status, 'False');
  body.status.conditions[0]!.status = 'True';
  const r2 = await call('edge-2', request('patch', 'node/edge-2/default/nodepatch/edge-2', body));
  assert.equal((r2.content as ObjectResp<NodeLike>).Object?.status?.conditions?.[0]?.status, 'True');
});

test('re-register of an existing node merges labels instead of failing', async () => {
  const again = { ...nodeContent('edge-1'), metadata: { name: 'edge-1', labels: { team: 'b' } } };
  const r = await call('edge-1', request('insert', 'node/edge-1/default/node/edge-1', again));
  const resp = r.content as ObjectResp<NodeLike>;
  assert.equal(resp.Err, null);
  assert.equal(resp.Object?.metadata.labels?.team, 'b');
  assert.equal(resp.Object?.metadata.labels?.['node-role.kubernetes.io/edge'], '');
});

test('lease insert then update', async () => {
  const lease = (renew: string) => ({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: 'edge-1', namespace: 'kube-node-lease' },
    spec: { holderIdentity: 'edge-1', leaseDurationSeconds: 40, renewTime: renew },
  });
  const t1 = '2026-01-01T00:00:00.000000Z';
  const ins = await call('edge-1', request('insert', 'node/edge-1/kube-node-lease/lease/edge-1', lease(t1)));
  assert.equal(ins.route.operation, 'response');
  assert.equal(ins.route.resource, 'kube-node-lease/lease/edge-1');
  const iresp = ins.content as ObjectResp<{
    metadata: { resourceVersion: string };
    spec: { renewTime: string };
  }>;
  assert.equal(iresp.Err, null);
  assert.equal(new Date(iresp.Object!.spec.renewTime).getTime(), new Date(t1).getTime());

  const t2 = '2026-01-01T00:00:10.000000Z';
  const upd = await call(
    'edge-1',
    request('update', 'node/edge-1/kube-node-lease/lease/edge-1', JSON.stringify(lease(t2))),
  );
  const uresp = upd.content as ObjectResp<{ spec: { renewTime: string } }>;
  assert.equal(uresp.Err, null);
  assert.equal(new Date(uresp.Object!.spec.renewTime).getTime(), new Date(t2).getTime());
  const out = await f.kubectlOk([
    'get',
    'lease',
    '-n',
    'kube-node-lease',
    'edge-1',
    '-o',
    'jsonpath={.spec.holderIdentity}',
  ]);
  assert.equal(out, 'edge-1');

  // An edgecore restarted with its lease still there sends insert again: the lease is updated.
  const t3 = '2026-01-01T00:00:20.000000Z';
  const again = await call(
    'edge-1',
    request('insert', 'node/edge-1/kube-node-lease/lease/edge-1', lease(t3)),
  );
  assert.equal(again.route.operation, 'response');
  const aresp = again.content as ObjectResp<{ spec: { renewTime: string } }>;
  assert.equal(aresp.Err, null);
  assert.equal(new Date(aresp.Object!.spec.renewTime).getTime(), new Date(t3).getTime());

  // An API failure is an answer in Err, as a StatusError: a nodepatch for a node never registered.
  const missing = await call(
    'edge-404',
    request('patch', 'node/edge-404/default/nodepatch/edge-404', JSON.stringify({ status: {} })),
  );
  assert.equal(missing.route.operation, 'response');
  const mresp = missing.content as ObjectResp<unknown>;
  assert.equal(mresp.Object, null);
  assert.equal(mresp.Err?.ErrStatus.code, 404);
  assert.equal(mresp.Err?.ErrStatus.reason, 'NotFound');
});

test('a node may only write itself', async () => {
  for (const [resource, op] of [
    ['node/edge-9/default/node/edge-1', 'insert'], // session edge-1 speaking for edge-9
    ['node/edge-1/default/nodepatch/edge-2', 'patch'], // edge-1 patching edge-2
    ['node/edge-1/kube-node-lease/lease/edge-2', 'update'], // edge-1 renewing edge-2's lease
    ['node/edge-1/default/lease/edge-1', 'insert'], // a node lease outside kube-node-lease
  ] as const) {
    const r = await call('edge-1', request(op, resource, nodeContent('edge-2')));
    assert.equal(r.route.operation, 'error', resource);
    assert.equal(typeof r.content, 'string');
  }
  // The content may not name another node either.
  const r = await call('edge-3', request('insert', 'node/edge-3/default/node/edge-3', nodeContent('edge-1')));
  assert.equal(r.route.operation, 'error');
  assert.match(r.content as string, /edge-1/);
  const listed = await f.kubectlOk(['get', 'nodes', '-o', 'name']);
  assert.doesNotMatch(listed, /edge-3|edge-9/);
});

test('garbage content, unknown types and malformed resources are refused without throwing', async () => {
  const cases: Message[] = [
    request('insert', 'node/edge-1/default/node/edge-1', 'not json'),
    request('insert', 'node/edge-1/default/node/edge-1', 42),
    request('patch', 'node/edge-1/default/nodepatch/edge-1', '%%%'),
    request('patch', 'node/edge-1/default/nodepatch/edge-1', [1, 2]),
    request('update', 'node/edge-1/kube-node-lease/lease/edge-1', null),
    request('insert', 'node/edge-1/default/widget/edge-1', {}),
    request('delete', 'node/edge-1/default/node/edge-1', null),
    request('insert', 'garbage', {}),
  ];
  for (const m of cases) {
    const r = await call('edge-1', m);
    assert.equal(r.route.operation, 'error', JSON.stringify(m.route) + ' ' + JSON.stringify(m.content));
    assert.ok((r.content as string).length > 0);
  }
  // A send that fails is logged, not thrown.
  await uc.handle(
    { nodeId: 'edge-1', send: () => Promise.reject(new Error('closed')) },
    request('query', 'node/edge-1/default/node/edge-1', null),
  );
});

test('podpatch updates the status of a pod bound to the node, checked by node and uid; events are recorded', async () => {
  const pod = await api.createNamespacedPod({
    namespace: 'default',
    body: {
      metadata: { name: 'web' },
      spec: { nodeName: 'edge-1', containers: [{ name: 'c', image: 'nginx' }] },
    },
  });
  await api.createNamespacedPod({
    namespace: 'default',
    body: {
      metadata: { name: 'elsewhere' },
      spec: { nodeName: 'edge-2', containers: [{ name: 'c', image: 'x' }] },
    },
  });
  const uid = pod.metadata?.uid ?? '';
  const status = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] };
  const ok = await call(
    'edge-1',
    request('patch', 'node/edge-1/default/podpatch/web', JSON.stringify({ metadata: { uid }, status })),
  );
  assert.equal(ok.route.operation, 'response');
  assert.equal(ok.route.resource, 'default/podpatch/web');
  assert.equal((ok.content as ObjectResp<unknown>).Err, null);
  assert.equal(await f.kubectlOk(['get', 'pod', 'web', '-o', 'jsonpath={.status.phase}']), 'Running');

  const staleUid = await call(
    'edge-1',
    request(
      'patch',
      'node/edge-1/default/podpatch/web',
      JSON.stringify({ metadata: { uid: 'old' }, status }),
    ),
  );
  assert.equal(staleUid.route.operation, 'error');
  assert.match(String(staleUid.content), /for pod uid old/);
  const foreign = await call(
    'edge-1',
    request('patch', 'node/edge-1/default/podpatch/elsewhere', JSON.stringify({ status })),
  );
  assert.equal(foreign.route.operation, 'error');
  assert.match(String(foreign.content), /not bound to node "edge-1"/);

  const event = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'web.1', namespace: 'default' },
    involvedObject: { kind: 'Pod', name: 'web', namespace: 'default', uid },
    type: 'Warning',
    reason: 'Failed',
    message: 'container c has no command',
  };
  const recorded = await call('edge-1', request('insert', 'node/edge-1/default/event/web.1', event));
  assert.equal((recorded.content as ObjectResp<unknown>).Err, null);
  assert.match(
    await f.kubectlOk(['get', 'events', '--field-selector', 'involvedObject.name=web']),
    /has no command/,
  );
  const aboutOther = await call(
    'edge-1',
    request('insert', 'node/edge-1/default/event/x.1', {
      ...event,
      metadata: { name: 'x.1' },
      involvedObject: { kind: 'Pod', name: 'elsewhere', namespace: 'default' },
    }),
  );
  assert.equal(aboutOther.route.operation, 'error');
});

test('configmap and secret queries answer what a pod of the node references, and nothing else', async () => {
  await api.createNamespacedConfigMap({
    namespace: 'default',
    body: { metadata: { name: 'app-cfg' }, data: { a: '1' } },
  });
  await api.createNamespacedConfigMap({
    namespace: 'default',
    body: { metadata: { name: 'other-cfg' }, data: { b: '2' } },
  });
  await api.createNamespacedSecret({
    namespace: 'default',
    body: { metadata: { name: 'app-key' }, stringData: { k: 'v' } },
  });
  await api.createNamespacedPod({
    namespace: 'default',
    body: {
      metadata: { name: 'uses-config' },
      spec: {
        nodeName: 'edge-1',
        containers: [
          {
            name: 'c',
            image: 'x',
            envFrom: [{ configMapRef: { name: 'app-cfg' } }, { secretRef: { name: 'app-key' } }],
          },
        ],
      },
    },
  });
  const cm = await call('edge-1', request('query', 'node/edge-1/default/configmap/app-cfg', null));
  assert.equal(cm.route.operation, 'response');
  const body = cm.content as {
    kind: string;
    data: Record<string, string>;
    metadata: { resourceVersion: string };
  };
  assert.equal(body.kind, 'ConfigMap');
  assert.deepEqual(body.data, { a: '1' });
  assert.equal(cm.header.resourceversion, body.metadata.resourceVersion);
  const secret = await call('edge-1', request('query', 'node/edge-1/default/secret/app-key', null));
  assert.equal((secret.content as { kind: string }).kind, 'Secret');

  const unreferenced = await call(
    'edge-1',
    request('query', 'node/edge-1/default/configmap/other-cfg', null),
  );
  assert.equal(unreferenced.route.operation, 'error');
  assert.match(
    String(unreferenced.content),
    /no pod of node "edge-1" references configmap default\/other-cfg/,
  );
  const otherNode = await call('edge-2', request('query', 'node/edge-2/default/configmap/app-cfg', null));
  assert.equal(otherNode.route.operation, 'error');
});

test('pod delete from the edge removes a pod of that node, with the uid as precondition', async () => {
  const pod = await api.createNamespacedPod({
    namespace: 'default',
    body: {
      metadata: { name: 'finished' },
      spec: { nodeName: 'edge-1', containers: [{ name: 'c', image: 'x' }] },
    },
  });
  const wrongUid = await call('edge-1', request('delete', 'node/edge-1/default/pod/finished', 'not-the-uid'));
  assert.equal((wrongUid.content as ObjectResp<unknown>).Err?.ErrStatus.code, 409, 'the precondition failed');
  const foreign = await call(
    'edge-2',
    request('delete', 'node/edge-2/default/pod/finished', pod.metadata?.uid),
  );
  assert.equal(foreign.route.operation, 'error');
  const ok = await call('edge-1', request('delete', 'node/edge-1/default/pod/finished', pod.metadata?.uid));
  assert.equal((ok.content as ObjectResp<unknown>).Err, null);
  assert.notEqual((await f.kubectl(['get', 'pod', 'finished'])).code, 0, 'the pod is gone');
});
