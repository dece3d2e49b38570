import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject, ResourceType } from '../types.ts';
import { builtinResourceTypes, formatLabelSelector, summarizePod } from './builtin-resources.ts';
import { renderTable } from './table.ts';

const now = Date.parse('2024-05-01T12:00:00Z');

function type(plural: string, group = ''): ResourceType {
  const t = builtinResourceTypes().find((x) => x.plural === plural && x.group === group);
  assert.ok(t, `${plural}.${group} is built in`);
  return t;
}

/** The cells kubectl would print: column name → cell, wide columns included. */
function cells(t: ResourceType, obj: KubeObject): Record<string, unknown> {
  const table = renderTable(t, [obj], { now, includeObject: 'None', resourceVersion: '1' });
  const row = table.rows[0]?.cells ?? [];
  return Object.fromEntries(table.columnDefinitions.map((c, i) => [c.name, row[i]]));
}

const runningPod: KubeObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web-1', namespace: 'default', creationTimestamp: '2024-05-01T10:00:00Z' },
  spec: {
    nodeName: 'edge-1',
    containers: [
      { name: 'nginx', image: 'nginx:1.27' },
      { name: 'side', image: 'busybox' },
    ],
  },
  status: {
    phase: 'Running',
    podIP: '10.1.0.5',
    podIPs: [{ ip: '10.1.0.5' }],
    conditions: [{ type: 'Ready', status: 'True' }],
    containerStatuses: [
      {
        name: 'nginx',
        ready: true,
        restartCount: 0,
        state: { running: { startedAt: '2024-05-01T10:00:05Z' } },
      },
      {
        name: 'side',
        ready: true,
        restartCount: 2,
        state: { running: { startedAt: '2024-05-01T11:50:00Z' } },
        lastState: { terminated: { exitCode: 1, finishedAt: '2024-05-01T11:49:00Z' } },
      },
    ],
  },
};

test('pod columns are NAME READY STATUS RESTARTS AGE, then the wide IP NODE NOMINATED NODE READINESS GATES', () => {
  const t = type('pods');
  assert.deepEqual(
    t.columns.map((c) => [c.name, c.priority ?? 0]),
    [
      ['Name', 0],
      ['Ready', 0],
      ['Status', 0],
      ['Restarts', 0],
      ['Age', 0],
      ['IP', 1],
      ['Node', 1],
      ['Nominated Node', 1],
      ['Readiness Gates', 1],
    ],
  );
  assert.deepEqual(cells(t, runningPod), {
    Name: 'web-1',
    Ready: '2/2',
    Status: 'Running',
    Restarts: '2 (11m ago)',
    Age: '120m', // HumanDuration keeps minutes below 3h
    IP: '10.1.0.5',
    Node: 'edge-1',
    'Nominated Node': '<none>',
    'Readiness Gates': '<none>',
  });
});

test('pod STATUS shows a waiting reason like CrashLoopBackOff and counts only ready containers', () => {
  const pod: KubeObject = {
    ...runningPod,
    status: {
      phase: 'Running',
      containerStatuses: [
        { name: 'nginx', ready: true, restartCount: 0, state: { running: {} } },
        { name: 'side', ready: false, restartCount: 5, state: { waiting: { reason: 'CrashLoopBackOff' } } },
      ],
    },
  };
  assert.deepEqual(summarizePod(pod, now), { ready: '1/2', status: 'CrashLoopBackOff', restarts: '5' });
});

test('pod STATUS reports init progress and init failures as kubectl does', () => {
  const base: KubeObject = {
    metadata: { name: 'p' },
    spec: { initContainers: [{ name: 'i1' }, { name: 'i2' }], containers: [{ name: 'c' }] },
  };
  const progress = {
    ...base,
    status: {
      phase: 'Pending',
      initContainerStatuses: [
        { name: 'i1', state: { terminated: { exitCode: 0 } } },
        { name: 'i2', state: { running: {} } },
      ],
    },
  };
  assert.equal(summarizePod(progress, now).status, 'Init:1/2');
  const failing = {
    ...base,
    status: {
      phase: 'Pending',
      initContainerStatuses: [{ name: 'i1', state: { terminated: { exitCode: 3 } } }],
    },
  };
  assert.equal(summarizePod(failing, now).status, 'Init:ExitCode:3');
  const backoff = {
    ...base,
    status: {
      phase: 'Pending',
      initContainerStatuses: [{ name: 'i1', state: { waiting: { reason: 'ImagePullBackOff' } } }],
    },
  };
  assert.equal(summarizePod(backoff, now).status, 'Init:ImagePullBackOff');
});

test('a restartable init container (sidecar) counts towards READY', () => {
  const pod: KubeObject = {
    metadata: { name: 'p' },
    spec: { initContainers: [{ name: 'proxy', restartPolicy: 'Always' }], containers: [{ name: 'app' }] },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Initialized', status: 'True' }],
      initContainerStatuses: [{ name: 'proxy', started: true, ready: true, state: { running: {} } }],
      containerStatuses: [{ name: 'app', ready: true, state: { running: {} } }],
    },
  };
  assert.deepEqual(summarizePod(pod, now), { ready: '2/2', status: 'Running', restarts: '0' });
});

test('pod STATUS is Terminating once deletionTimestamp is set, Completed for a finished pod, Pending by default', () => {
  const deleting = {
    ...runningPod,
    metadata: { ...runningPod.metadata, deletionTimestamp: '2024-05-01T11:59:00Z' },
  };
  assert.equal(summarizePod(deleting, now).status, 'Terminating');
  const done: KubeObject = {
    metadata: { name: 'job-1' },
    spec: { containers: [{ name: 'c' }] },
    status: {
      phase: 'Succeeded',
      containerStatuses: [{ name: 'c', state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
    },
  };
  assert.equal(summarizePod(done, now).status, 'Completed');
  assert.equal(
    summarizePod({ ...done, metadata: { ...done.metadata, deletionTimestamp: 'x' } }, now).status,
    'Completed',
  );
  assert.deepEqual(summarizePod({ metadata: { name: 'new' }, spec: { containers: [{ name: 'c' }] } }, now), {
    ready: '0/1',
    status: 'Pending',
    restarts: '0',
  });
});

const edgeNode: KubeObject = {
  metadata: {
    name: 'edge-1',
    creationTimestamp: '2024-04-28T12:00:00Z',
    labels: {
      'node-role.kubernetes.io/edge': '',
      'node-role.kubernetes.io/agent': '',
      'kubernetes.io/hostname': 'edge-1',
    },
  },
  spec: {},
  status: {
    conditions: [
      { type: 'MemoryPressure', status: 'False' },
      { type: 'Ready', status: 'True' },
    ],
    addresses: [
      { type: 'Hostname', address: 'edge-1' },
      { type: 'InternalIP', address: '192.168.1.20' },
    ],
    nodeInfo: {
      kubeletVersion: 'v1.30.7-kubeedge-v1.20.0',
      osImage: 'Ubuntu 22.04.4 LTS',
      kernelVersion: '6.5.0-1025-raspi',
      containerRuntimeVersion: 'containerd://1.7.2',
    },
  },
};

test('node columns: STATUS from the Ready condition, ROLES from node-role labels, wide addresses and versions', () => {
  assert.deepEqual(cells(type('nodes'), edgeNode), {
    Name: 'edge-1',
    Status: 'Ready',
    Roles: 'agent,edge',
    Age: '3d',
    Version: 'v1.30.7-kubeedge-v1.20.0',
    'Internal-IP': '192.168.1.20',
    'External-IP': '<none>',
    'OS-Image': 'Ubuntu 22.04.4 LTS',
    'Kernel-Version': '6.5.0-1025-raspi',
    'Container-Runtime': 'containerd://1.7.2',
  });
});

test('node STATUS is NotReady, Unknown without a Ready condition, and adds SchedulingDisabled when cordoned', () => {
  const t = type('nodes');
  const notReady = {
    ...edgeNode,
    spec: { unschedulable: true },
    status: { conditions: [{ type: 'Ready', status: 'Unknown' }] },
  };
  assert.equal(cells(t, notReady)['Status'], 'NotReady,SchedulingDisabled');
  const fresh: KubeObject = { metadata: { name: 'n', labels: { 'kubernetes.io/role': 'master' } } };
  assert.deepEqual(
    [cells(t, fresh)['Status'], cells(t, fresh)['Roles'], cells(t, fresh)['OS-Image']],
    ['Unknown', 'master', '<unknown>'],
  );
});

test('service columns: TYPE, CLUSTER-IP, EXTERNAL-IP by type, PORT(S) with node ports, wide SELECTOR', () => {
  const t = type('services');
  const svc = (spec: Record<string, unknown>, status: Record<string, unknown> = {}): KubeObject => ({
    metadata: { name: 'web', creationTimestamp: '2024-05-01T11:00:00Z' },
    spec,
    status,
  });
  assert.deepEqual(
    cells(
      t,
      svc({
        clusterIP: '10.96.0.10',
        clusterIPs: ['10.96.0.10'],
        ports: [
          { port: 80, protocol: 'TCP' },
          { port: 53, protocol: 'UDP' },
        ],
        selector: { app: 'web', tier: 'fe' },
      }),
    ),
    {
      Name: 'web',
      Type: 'ClusterIP',
      'Cluster-IP': '10.96.0.10',
      'External-IP': '<none>',
      'Port(s)': '80/TCP,53/UDP',
      Age: '60m',
      Selector: 'app=web,tier=fe',
    },
  );
  const nodePort = cells(
    t,
    svc({ type: 'NodePort', clusterIP: '10.96.0.11', ports: [{ port: 80, nodePort: 30080 }] }),
  );
  assert.deepEqual([nodePort['Port(s)'], nodePort['Selector']], ['80:30080/TCP', '<none>']);
  assert.equal(cells(t, svc({ type: 'LoadBalancer', ports: [{ port: 443 }] }))['External-IP'], '<pending>');
  assert.equal(
    cells(
      t,
      svc(
        { type: 'LoadBalancer', ports: [{ port: 443 }] },
        { loadBalancer: { ingress: [{ ip: '203.0.113.7' }] } },
      ),
    )['External-IP'],
    '203.0.113.7',
  );
  const headless = cells(t, svc({ clusterIP: 'None', clusterIPs: ['None'] }));
  assert.deepEqual([headless['Cluster-IP'], headless['Port(s)']], ['None', '<none>']);
  assert.equal(
    cells(t, svc({ type: 'ExternalName', externalName: 'db.example.com' }))['External-IP'],
    'db.example.com',
  );
});

test('endpoints and endpointslices list three addresses, then "+ N more..."', () => {
  const ep: KubeObject = {
    metadata: { name: 'web' },
    subsets: [
      {
        addresses: [{ ip: '10.1.0.5' }, { ip: '10.1.0.6' }, { ip: '10.1.0.7' }, { ip: '10.1.0.8' }],
        ports: [{ port: 80 }],
      },
    ],
  };
  assert.equal(cells(type('endpoints'), ep)['Endpoints'], '10.1.0.5:80,10.1.0.6:80,10.1.0.7:80 + 1 more...');
  assert.equal(cells(type('endpoints'), { metadata: { name: 'none' } })['Endpoints'], '<none>');
  const slice: KubeObject = {
    metadata: { name: 'web-abc' },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 80 }],
    endpoints: [{ addresses: ['10.1.0.5'] }, { addresses: ['10.1.0.6'] }],
  };
  const c = cells(type('endpointslices', 'discovery.k8s.io'), slice);
  assert.deepEqual([c['AddressType'], c['Ports'], c['Endpoints']], ['IPv4', '80', '10.1.0.5,10.1.0.6']);
  assert.equal(
    cells(type('endpointslices', 'discovery.k8s.io'), { metadata: { name: 'e' } })['Ports'],
    '<unset>',
  );
});

test('event columns are LAST SEEN TYPE REASON OBJECT MESSAGE, with wide source, first seen and count', () => {
  const ev: KubeObject = {
    metadata: { name: 'web-1.17c', namespace: 'default' },
    involvedObject: { kind: 'Pod', name: 'web-1', namespace: 'default', fieldPath: 'spec.containers{nginx}' },
    reason: 'Pulled',
    message: 'Container image "nginx:1.27" already present on machine\n',
    type: 'Normal',
    source: { component: 'kubelet', host: 'edge-1' },
    firstTimestamp: '2024-05-01T11:00:00Z',
    lastTimestamp: '2024-05-01T11:58:00Z',
    count: 3,
  };
  const t = type('events');
  assert.deepEqual(
    t.columns.filter((col) => !col.priority).map((col) => col.name),
    ['Last Seen', 'Type', 'Reason', 'Object', 'Message'],
  );
  assert.deepEqual(cells(t, ev), {
    'Last Seen': '2m',
    Type: 'Normal',
    Reason: 'Pulled',
    Object: 'pod/web-1',
    Subobject: 'spec.containers{nginx}',
    Source: 'kubelet, edge-1',
    Message: 'Container image "nginx:1.27" already present on machine',
    'First Seen': '60m',
    Count: 3,
    Name: 'web-1.17c',
  });
});

test('deployments, daemonsets, leases, secrets, configmaps and service accounts print kube columns', () => {
  const deploy: KubeObject = {
    metadata: { name: 'web', creationTimestamp: '2024-05-01T11:59:30Z' },
    spec: {
      replicas: 3,
      selector: {
        matchLabels: { app: 'web' },
        matchExpressions: [{ key: 'tier', operator: 'In', values: ['fe', 'be'] }],
      },
      template: {
        spec: {
          containers: [
            { name: 'nginx', image: 'nginx:1.27' },
            { name: 'log', image: 'fluent-bit' },
          ],
        },
      },
    },
    status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
  };
  assert.deepEqual(cells(type('deployments', 'apps'), deploy), {
    Name: 'web',
    Ready: '2/3',
    'Up-to-date': 3,
    Available: 2,
    Age: '30s',
    Containers: 'nginx,log',
    Images: 'nginx:1.27,fluent-bit',
    Selector: 'app=web,tier in (be,fe)',
  });
  const ds: KubeObject = {
    metadata: { name: 'edge-agent' },
    spec: {
      selector: { matchLabels: { app: 'a' } },
      template: { spec: { nodeSelector: { 'node-role.kubernetes.io/edge': '' } } },
    },
    status: {
      desiredNumberScheduled: 2,
      currentNumberScheduled: 2,
      numberReady: 1,
      updatedNumberScheduled: 2,
      numberAvailable: 1,
    },
  };
  const dsCells = cells(type('daemonsets', 'apps'), ds);
  assert.deepEqual(
    [
      dsCells['Desired'],
      dsCells['Current'],
      dsCells['Ready'],
      dsCells['Up-to-date'],
      dsCells['Available'],
      dsCells['Node Selector'],
    ],
    [2, 2, 1, 2, 1, 'node-role.kubernetes.io/edge='],
  );
  assert.equal(
    cells(type('leases', 'coordination.k8s.io'), {
      metadata: { name: 'edge-1' },
      spec: { holderIdentity: 'edge-1' },
    })['Holder'],
    'edge-1',
  );
  const secret = cells(type('secrets'), { metadata: { name: 's' }, type: 'Opaque', data: { a: 'YQ==' } });
  assert.deepEqual([secret['Type'], secret['Data']], ['Opaque', 1]);
  assert.equal(
    cells(type('configmaps'), { metadata: { name: 'c' }, data: { a: '1' }, binaryData: { b: 'Yg==' } })[
      'Data'
    ],
    2,
  );
  assert.equal(cells(type('serviceaccounts'), { metadata: { name: 'default' } })['Secrets'], 0);
  assert.equal(
    cells(type('namespaces'), { metadata: { name: 'default' }, status: { phase: 'Active' } })['Status'],
    'Active',
  );
});

test('customresourcedefinitions print NAME and CREATED AT as an RFC 3339 date, like kube', () => {
  const t = type('customresourcedefinitions', 'apiextensions.k8s.io');
  const c = cells(t, {
    metadata: { name: 'devices.devices.kubeedge.io', creationTimestamp: '2024-01-01T00:00:00.000Z' },
  });
  assert.deepEqual(c, { Name: 'devices.devices.kubeedge.io', 'Created At': '2024-01-01T00:00:00Z' });
  assert.equal(t.columns[1]?.type, 'date');
});

test('formatLabelSelector renders requirements sorted by key, as metav1.LabelSelectorAsSelector does', () => {
  assert.equal(formatLabelSelector(undefined), '');
  assert.equal(
    formatLabelSelector({
      matchLabels: { z: '1' },
      matchExpressions: [
        { key: 'b', operator: 'NotIn', values: ['y', 'x'] },
        { key: 'a', operator: 'Exists' },
        { key: 'c', operator: 'DoesNotExist' },
      ],
    }),
    'a,b notin (x,y),!c,z=1',
  );
});

test("names, scopes, short names, categories, subresources and field selectors are kube's", () => {
  const all = builtinResourceTypes();
  const summary = Object.fromEntries(
    all.map((t) => [
      t.group ? `${t.plural}.${t.group}` : t.plural,
      [t.namespaced, t.shortNames.join(','), t.categories.join(','), t.statusSubresource],
    ]),
  );
  assert.deepEqual(summary, {
    namespaces: [false, 'ns', '', false],
    nodes: [false, 'no', '', true],
    pods: [true, 'po', 'all', true],
    configmaps: [true, 'cm', '', false],
    secrets: [true, '', '', false],
    services: [true, 'svc', 'all', true],
    endpoints: [true, 'ep', '', false],
    events: [true, 'ev', '', false],
    serviceaccounts: [true, 'sa', '', false],
    'endpointslices.discovery.k8s.io': [true, '', '', false],
    'leases.coordination.k8s.io': [true, '', '', false],
    'deployments.apps': [true, 'deploy', 'all', true],
    'daemonsets.apps': [true, 'ds', 'all', true],
    'customresourcedefinitions.apiextensions.k8s.io': [false, 'crd,crds', 'api-extensions', true],
  });
  // kubectl describe node sends spec.nodeName=N,status.phase!=Succeeded,status.phase!=Failed.
  assert.ok(type('pods').fieldSelectors.includes('spec.nodeName'));
  assert.ok(type('pods').fieldSelectors.includes('status.phase'));
  assert.ok(type('events').fieldSelectors.includes('involvedObject.uid'));
  assert.deepEqual(type('secrets').fieldSelectors, ['type']);
  assert.deepEqual(type('nodes').fieldSelectors, ['spec.unschedulable']);
  assert.deepEqual(type('namespaces').fieldSelectors, ['status.phase']);
});

test('every built-in has a schema with a description and top-level properties for kubectl explain', () => {
  for (const t of builtinResourceTypes()) {
    assert.ok(t.schema?.description, `${t.plural} has a description`);
    const props = Object.keys(t.schema.properties ?? {});
    for (const p of ['apiVersion', 'kind', 'metadata'])
      assert.ok(props.includes(p), `${t.plural} declares ${p}`);
  }
  assert.deepEqual(Object.keys(type('pods').schema?.properties ?? {}), [
    'apiVersion',
    'kind',
    'metadata',
    'spec',
    'status',
  ]);
  assert.ok(Object.keys(type('configmaps').schema?.properties ?? {}).includes('data'));
});
