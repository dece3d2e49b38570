// What an edge node should hold (kubeedge-protocol.md §4.1), computed from informer objects: the
// references of every kind, the desired set, the operations, and the wire form of the content.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1ConfigMap, V1Node, V1Pod, V1Secret } from '@kubernetes/client-node';
import {
  deletionStub,
  desiredObjects,
  downstreamOperation,
  downstreamResource,
  podReferences,
  toWireJson,
  wireObject,
} from '../src/edgecontroller/downstream-desired.ts';
import { PodPlacementIndex } from '../src/edgecontroller/downstream-index.ts';

const meta = (name: string, uid: string, rv: string, namespace: string | undefined = 'default') => ({
  name,
  uid,
  resourceVersion: rv,
  ...(namespace ? { namespace } : {}),
});

/** A pod using every kind of reference. */
const everyReference: V1Pod = {
  metadata: meta('web', 'pod-uid', '20'),
  spec: {
    nodeName: 'edge-1',
    volumes: [
      { name: 'v1', configMap: { name: 'cm-volume' } },
      { name: 'v2', secret: { secretName: 'secret-volume' } },
      {
        name: 'v3',
        projected: {
          sources: [
            { configMap: { name: 'cm-projected' } },
            { secret: { name: 'secret-projected' } },
            { serviceAccountToken: { path: 'token' } },
          ],
        },
      },
      { name: 'v4', emptyDir: {} },
    ],
    initContainers: [{ name: 'init', envFrom: [{ configMapRef: { name: 'cm-init' } }] }],
    containers: [
      {
        name: 'app',
        envFrom: [{ configMapRef: { name: 'cm-envfrom' } }, { secretRef: { name: 'secret-envfrom' } }],
        env: [
          { name: 'A', valueFrom: { configMapKeyRef: { name: 'cm-env', key: 'a' } } },
          { name: 'B', valueFrom: { secretKeyRef: { name: 'secret-env', key: 'b' } } },
          { name: 'C', value: 'plain' },
          { name: 'D', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          // The same ConfigMap twice counts once.
          { name: 'E', valueFrom: { configMapKeyRef: { name: 'cm-volume', key: 'e' } } },
        ],
      },
    ],
    ephemeralContainers: [{ name: 'debug', envFrom: [{ secretRef: { name: 'secret-ephemeral' } }] }],
    imagePullSecrets: [{ name: 'regcred' }],
  },
};

test('podReferences finds volumes, projected sources, envFrom, env.valueFrom and imagePullSecrets', () => {
  assert.deepEqual(podReferences(everyReference), {
    configMaps: ['cm-envfrom', 'cm-env', 'cm-init', 'cm-projected', 'cm-volume'].sort(),
    secrets: [
      'regcred',
      'secret-envfrom',
      'secret-env',
      'secret-ephemeral',
      'secret-projected',
      'secret-volume',
    ].sort(),
  });
  assert.deepEqual(podReferences({ metadata: { name: 'bare' } }), { configMaps: [], secrets: [] });
});

const node: V1Node = { metadata: { name: 'edge-1', uid: 'node-uid', resourceVersion: '7' } };

test('desiredObjects: referenced configmaps and secrets that exist, then the node, then its pods', () => {
  const configMaps = new Map<string, V1ConfigMap>([
    ['default/cm-volume', { metadata: meta('cm-volume', 'cm1', '3') }],
    ['default/cm-env', { metadata: meta('cm-env', 'cm2', '4') }],
  ]);
  const secrets = new Map<string, V1Secret>([['default/regcred', { metadata: meta('regcred', 's1', '5') }]]);
  const elsewhere: V1Pod = {
    metadata: meta('other', 'pod-2', '9'),
    spec: { nodeName: 'edge-2', containers: [] },
  };
  const deleting: V1Pod = {
    metadata: { ...meta('old', 'pod-3', '21'), deletionTimestamp: new Date('2026-01-01T00:00:00Z') },
    spec: { nodeName: 'edge-1', containers: [] },
  };
  const desired = desiredObjects({
    node,
    pods: [everyReference, elsewhere, deleting],
    configMap: (ns, name) => configMaps.get(`${ns}/${name}`),
    secret: (ns, name) => secrets.get(`${ns}/${name}`),
  });
  assert.deepEqual(
    desired.map(
      (d) =>
        `${d.kind} ${d.namespace ?? '-'}/${d.name} ${d.uid} rv${d.resourceVersion}${d.deleting ? ' deleting' : ''}`,
    ),
    [
      'ConfigMap default/cm-env cm2 rv4',
      'ConfigMap default/cm-volume cm1 rv3',
      'Secret default/regcred s1 rv5',
      'Node -/edge-1 node-uid rv7',
      'Pod default/web pod-uid rv20',
      'Pod default/old pod-3 rv21 deleting',
    ],
  );
});

test('operations: pods and configmaps insert first, secrets always update, the node update, a deleting pod update', () => {
  assert.equal(downstreamOperation('Pod', true, false), 'insert');
  assert.equal(downstreamOperation('Pod', false, false), 'update');
  assert.equal(downstreamOperation('Pod', true, true), 'update');
  assert.equal(downstreamOperation('ConfigMap', true, false), 'insert');
  assert.equal(downstreamOperation('ConfigMap', false, false), 'update');
  assert.equal(downstreamOperation('Secret', true, false), 'update');
  assert.equal(downstreamOperation('Node', true, false), 'update');
});

test('resources are cloud form node/<n>/<ns|null>/<type>/<name>', () => {
  assert.equal(downstreamResource('edge-1', 'Pod', 'default', 'web'), 'node/edge-1/default/pod/web');
  assert.equal(downstreamResource('edge-1', 'Node', undefined, 'edge-1'), 'node/edge-1/null/node/edge-1');
  assert.equal(
    downstreamResource('edge-1', 'Secret', 'kube-system', 's'),
    'node/edge-1/kube-system/secret/s',
  );
  assert.equal(downstreamResource('edge-1', 'Service', 'default', 'svc'), 'node/edge-1/default/service/svc');
});

test('content is plain wire JSON with apiVersion and kind; Dates become RFC 3339', () => {
  const pod: V1Pod = {
    metadata: {
      ...meta('web', 'u', '1'),
      creationTimestamp: new Date('2026-03-04T05:06:07Z'),
    },
    spec: { nodeName: 'edge-1', containers: [{ name: 'c', image: 'nginx' }] },
    status: { startTime: new Date('2026-03-04T05:06:08.123Z') },
  };
  const [d] = desiredObjects({
    node,
    pods: [pod],
    configMap: () => undefined,
    secret: () => undefined,
  }).filter((x) => x.kind === 'Pod');
  assert.ok(d);
  const content = wireObject(d);
  assert.equal(content.apiVersion, 'v1');
  assert.equal(content.kind, 'Pod');
  assert.equal(content.metadata.creationTimestamp, '2026-03-04T05:06:07Z');
  assert.equal((content.status as { startTime: string }).startTime, '2026-03-04T05:06:08.123000Z');
  assert.deepEqual(JSON.parse(JSON.stringify(content)), content, 'survives a JSON round trip unchanged');
  assert.deepEqual(toWireJson({ a: undefined, b: [new Date(0)], c: null }), {
    b: ['1970-01-01T00:00:00Z'],
    c: null,
  });
});

test('a delete carries only TypeMeta, name, namespace and uid', () => {
  const base = { nodeName: 'edge-1', apiVersion: 'v1', resourceVersion: '9' };
  assert.deepEqual(deletionStub({ ...base, kind: 'Pod', namespace: 'default', name: 'web', uid: 'u1' }), {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', uid: 'u1' },
  });
  assert.deepEqual(deletionStub({ ...base, kind: 'Node', namespace: undefined, name: 'edge-1', uid: 'n1' }), {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'edge-1', uid: 'n1' },
  });
});

test('the placement index maps pods to nodes and references to nodes, and follows moves', () => {
  const index = new PodPlacementIndex();
  const pod = (name: string, nodeName: string | undefined, cm: string): V1Pod => ({
    metadata: meta(name, `${name}-uid`, '1'),
    spec: {
      ...(nodeName ? { nodeName } : {}),
      containers: [{ name: 'c', envFrom: [{ configMapRef: { name: cm } }] }],
    },
  });
  assert.deepEqual(index.upsert(pod('a', undefined, 'cfg')), [], 'unscheduled: on no node');
  assert.deepEqual(index.upsert(pod('a', 'edge-1', 'cfg')), ['edge-1']);
  assert.deepEqual(index.upsert(pod('b', 'edge-1', 'cfg')), ['edge-1']);
  assert.deepEqual(index.nodesReferencing('ConfigMap', 'default', 'cfg'), ['edge-1']);
  assert.deepEqual(index.nodesReferencing('Secret', 'default', 'cfg'), []);
  assert.deepEqual(index.nodesReferencing('ConfigMap', 'other-ns', 'cfg'), []);

  // b moves (a pod recreated elsewhere under its name): both nodes are affected.
  assert.deepEqual(index.upsert(pod('b', 'edge-2', 'other')).sort(), ['edge-1', 'edge-2']);
  assert.deepEqual(index.podsOn('edge-1'), [{ namespace: 'default', name: 'a' }]);
  assert.deepEqual(index.nodesReferencing('ConfigMap', 'default', 'other'), ['edge-2']);

  // The last reference from edge-1 goes with a.
  assert.deepEqual(index.remove(pod('a', 'edge-1', 'cfg')), ['edge-1']);
  assert.deepEqual(index.nodesReferencing('ConfigMap', 'default', 'cfg'), []);
  assert.deepEqual(index.podsOn('edge-1'), []);
  assert.deepEqual(index.remove(pod('never-seen', 'edge-1', 'cfg')), []);
});
