import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ageOf, humanDuration } from './age.ts';
import { podSummary } from './columns.ts';
import { findResource, type ServedResource } from './resources.ts';
import { parseIncludeObject, renderTable, wantsTable } from './table.ts';
import { ApiError } from '@edgeproof/core';

const NOW = Date.UTC(2026, 0, 2);
const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

function resource(group: string, version: string, plural: string): ServedResource {
  const r = findResource(group, version, plural);
  assert.ok(r, plural);
  return r;
}

test('ages read as apimachinery HumanDuration renders them', () => {
  const cases: [number, string][] = [
    [-3 * S, '<invalid>'],
    [-1500, '0s'],
    [0, '0s'],
    [119 * S, '119s'],
    [2 * M, '2m'],
    [3 * M + 20 * S, '3m20s'],
    [12 * M, '12m'],
    [179 * M, '179m'],
    [4 * H + 5 * M, '4h5m'],
    [5 * H, '5h'],
    [20 * H, '20h'],
    [3 * D + 4 * H, '3d4h'],
    [3 * D, '3d'],
    [30 * D, '30d'],
    [2 * 365 * D + 30 * D, '2y30d'],
    [9 * 365 * D, '9y'],
  ];
  for (const [ms, text] of cases) assert.equal(humanDuration(ms), text, String(ms));
  assert.equal(ageOf(new Date(NOW - 5 * M).toISOString(), NOW), '5m');
  assert.equal(ageOf(undefined, NOW), '<unknown>');
  assert.equal(ageOf('not a time', NOW), '<unknown>');
});

test('wantsTable follows the first JSON range of the Accept header, as kubectl get sends it', () => {
  const kubectlGet =
    'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
  assert.equal(wantsTable(kubectlGet), true);
  assert.equal(wantsTable('application/json;as=Table;v=v1beta1;g=meta.k8s.io'), true);
  assert.equal(wantsTable('application/json'), false);
  assert.equal(wantsTable(undefined), false);
  assert.equal(wantsTable('application/vnd.kubernetes.protobuf,application/json'), false);
  assert.equal(
    wantsTable('application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json'),
    false,
  );
});

test('pod rows have READY, STATUS, RESTARTS and AGE cells and carry PartialObjectMetadata', () => {
  const pods = resource('', 'v1', 'pods');
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web',
      namespace: 'default',
      creationTimestamp: new Date(NOW - 90 * S).toISOString(),
      labels: { app: 'web' },
      managedFields: [{ manager: 'x' }],
    },
    spec: { nodeName: 'edge-1', containers: [{ name: 'a' }, { name: 'b' }] },
    status: {
      phase: 'Running',
      podIP: '10.0.0.7',
      containerStatuses: [
        { name: 'a', ready: true, restartCount: 1, state: { running: {} } },
        { name: 'b', ready: false, restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } } },
      ],
    },
  };
  const table = renderTable(pods, [pod], { now: NOW, resourceVersion: '42', includeObject: 'Metadata' });
  assert.equal(table.kind, 'Table');
  assert.equal(table.apiVersion, 'meta.k8s.io/v1');
  assert.deepEqual(table.metadata, { resourceVersion: '42' });
  assert.deepEqual(
    table.columnDefinitions.map((c) => [c.name, c.priority]),
    [
      ['Name', 0],
      ['Ready', 0],
      ['Status', 0],
      ['Restarts', 0],
      ['Age', 0],
      ['IP', 1],
      ['Node', 1],
    ],
  );
  assert.equal(table.columnDefinitions[0]?.format, 'name');
  assert.deepEqual(table.rows[0]?.cells, [
    'web',
    '1/2',
    'CrashLoopBackOff',
    '4',
    '90s',
    '10.0.0.7',
    'edge-1',
  ]);
  assert.deepEqual(table.rows[0]?.object, {
    kind: 'PartialObjectMetadata',
    apiVersion: 'meta.k8s.io/v1',
    metadata: {
      name: 'web',
      namespace: 'default',
      creationTimestamp: pod.metadata.creationTimestamp,
      labels: { app: 'web' },
    },
  });
  const full = renderTable(pods, [pod], { now: NOW, resourceVersion: '42', includeObject: 'Object' });
  assert.equal(full.rows[0]?.object, pod);
  const none = renderTable(pods, [pod], { now: NOW, resourceVersion: '42', includeObject: 'None' });
  assert.equal(none.rows[0]?.object, undefined);
});

test('pod STATUS follows printPod: init containers, terminated reasons, Terminating', () => {
  assert.deepEqual(podSummary({}), { ready: '0/0', status: 'Pending', restarts: 0 });
  assert.equal(
    podSummary({
      spec: { containers: [{}] },
      status: {
        phase: 'Pending',
        initContainerStatuses: [{ state: { terminated: { exitCode: 0 } } }, { state: { running: {} } }],
      },
    }).status,
    'Init:1/2',
  );
  assert.equal(
    podSummary({
      status: { initContainerStatuses: [{ state: { waiting: { reason: 'ImagePullBackOff' } } }] },
    }).status,
    'Init:ImagePullBackOff',
  );
  assert.equal(
    podSummary({
      status: { phase: 'Failed', containerStatuses: [{ state: { terminated: { exitCode: 2 } } }] },
    }).status,
    'ExitCode:2',
  );
  assert.equal(
    podSummary({
      status: { phase: 'Succeeded', containerStatuses: [{ state: { terminated: { reason: 'Completed' } } }] },
    }).status,
    'Completed',
  );
  assert.equal(
    podSummary({ metadata: { deletionTimestamp: '2026-01-01T00:00:00Z' }, status: { phase: 'Running' } })
      .status,
    'Terminating',
  );
  assert.equal(podSummary({ status: { phase: 'Running', reason: 'Evicted' } }).status, 'Evicted');
});

test('node, configmap and secret columns; other kinds get NAME and AGE; bad objects give null cells', () => {
  const nodes = resource('', 'v1', 'nodes');
  const node = {
    metadata: {
      name: 'edge-1',
      creationTimestamp: new Date(NOW - 3 * D).toISOString(),
      labels: { 'node-role.kubernetes.io/edge': '', 'node-role.kubernetes.io/agent': '' },
    },
    spec: { unschedulable: true },
    status: { conditions: [{ type: 'Ready', status: 'False' }], nodeInfo: { kubeletVersion: 'v1.32.4' } },
  };
  const nodeTable = renderTable(nodes, [node, { metadata: { name: 'bare' } }], {
    now: NOW,
    resourceVersion: '1',
    includeObject: 'Metadata',
  });
  assert.deepEqual(
    nodeTable.columnDefinitions.map((c) => c.name),
    ['Name', 'Status', 'Roles', 'Age', 'Version'],
  );
  assert.deepEqual(nodeTable.rows[0]?.cells, [
    'edge-1',
    'NotReady,SchedulingDisabled',
    'agent,edge',
    '3d',
    'v1.32.4',
  ]);
  assert.deepEqual(nodeTable.rows[1]?.cells, ['bare', 'Unknown', '<none>', '<unknown>', '']);

  const cm = renderTable(
    resource('', 'v1', 'configmaps'),
    [{ metadata: { name: 'c' }, data: { a: '1' }, binaryData: { b: '' } }],
    {
      now: NOW,
      resourceVersion: '1',
      includeObject: 'None',
    },
  );
  assert.deepEqual(cm.rows[0]?.cells, ['c', 2, '<unknown>']);
  const secret = renderTable(
    resource('', 'v1', 'secrets'),
    [{ metadata: { name: 's' }, type: 'Opaque', data: { k: 'dg==' } }],
    {
      now: NOW,
      resourceVersion: '1',
      includeObject: 'None',
    },
  );
  assert.deepEqual(secret.rows[0]?.cells, ['s', 'Opaque', 1, '<unknown>']);
  const devices = renderTable(
    resource('devices.kubeedge.io', 'v1beta1', 'devices'),
    [{ metadata: { name: 'd' } }],
    {
      now: NOW,
      resourceVersion: '1',
      includeObject: 'None',
    },
  );
  assert.deepEqual(
    devices.columnDefinitions.map((c) => c.name),
    ['Name', 'Age'],
  );

  // A malformed object (metadata is a string) fails its cells, not the table.
  const broken = renderTable(
    resource('', 'v1', 'pods'),
    [{ metadata: 'x', status: { containerStatuses: 'y' } }],
    {
      now: NOW,
      resourceVersion: '1',
      includeObject: 'None',
    },
  );
  assert.equal(broken.rows[0]?.cells.length, 7);
});

test('includeObject accepts None, Metadata and Object; anything else is a 400', () => {
  assert.equal(parseIncludeObject(null), 'Metadata');
  assert.equal(parseIncludeObject('Object'), 'Object');
  assert.throws(
    () => parseIncludeObject('All'),
    (e: unknown) => e instanceof ApiError && e.code === 400,
  );
});
