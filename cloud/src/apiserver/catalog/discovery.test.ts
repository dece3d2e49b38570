import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../types.ts';
import { builtinResourceTypes } from './builtin-resources.ts';
import { resourceTypesFromCrd } from './crd-resource-types.ts';
import {
  aggregatedDiscovery,
  apiGroup,
  apiGroupList,
  apiResourceList,
  apiVersions,
  compareKubeVersions,
  negotiateDiscovery,
} from './discovery.ts';

type Json = Record<string, unknown>;

// The Accept headers kubectl sends for GET /api and /apis (kubectl-contract.md §1).
const KUBECTL_132 =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';
const KUBECTL_127 =
  'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';

test('kubectl 1.32 gets aggregated v2 with the exact Content-Type it checks', () => {
  assert.deepEqual(negotiateDiscovery(KUBECTL_132), {
    format: 'v2',
    contentType: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
  });
});

test('kubectl 1.27-1.31 never get v2: v2beta1 when asked for, legacy JSON otherwise', () => {
  assert.deepEqual(negotiateDiscovery(KUBECTL_127), {
    format: 'v2beta1',
    contentType: 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList',
  });
  assert.deepEqual(negotiateDiscovery('application/json'), {
    format: 'legacy',
    contentType: 'application/json',
  });
  assert.equal(negotiateDiscovery('').format, 'legacy');
  assert.equal(negotiateDiscovery('*/*').format, 'legacy');
  // client-node and curl ask for plain JSON first.
  assert.equal(negotiateDiscovery(`application/json, ${KUBECTL_132}`).format, 'legacy');
  assert.equal(
    negotiateDiscovery('application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList').format,
    'legacy',
  );
});

const widgetCrd = (versions: string[]): KubeObject => ({
  metadata: { name: 'widgets.example.com' },
  spec: {
    group: 'example.com',
    scope: 'Cluster',
    names: { plural: 'widgets', kind: 'Widget', shortNames: ['wd'], categories: ['all'] },
    versions: versions.map((name, i) => ({
      name,
      served: true,
      storage: i === 0,
      schema: { openAPIV3Schema: { type: 'object' } },
    })),
  },
});
const types = [...builtinResourceTypes(), ...resourceTypesFromCrd(widgetCrd(['v1alpha1', 'v1', 'v2beta1']))];

test('group versions are sorted as kube sorts them, preferred first', () => {
  const versions = [
    'foo10',
    'v1',
    'v12alpha1',
    'v3beta1',
    'v2',
    'foo1',
    'v10beta3',
    'v11alpha2',
    'v10',
    'v11beta2',
  ];
  assert.deepEqual([...versions].sort(compareKubeVersions), [
    'v10',
    'v2',
    'v1',
    'v11beta2',
    'v10beta3',
    'v3beta1',
    'v12alpha1',
    'v11alpha2',
    'foo1',
    'foo10',
  ]);
});

test('aggregated /api holds only the core group, named "", with responseKind and scope on every resource', () => {
  const doc = aggregatedDiscovery(types, 'api', 'v2');
  assert.equal(doc['kind'], 'APIGroupDiscoveryList');
  assert.equal(doc['apiVersion'], 'apidiscovery.k8s.io/v2');
  assert.deepEqual(doc['metadata'], {});
  const items = doc['items'] as Json[];
  assert.equal(items.length, 1);
  assert.deepEqual(items[0]?.['metadata'], { name: '' });
  const versions = items[0]?.['versions'] as Json[];
  assert.deepEqual(
    versions.map((v) => v['version']),
    ['v1'],
  );
  const resources = versions[0]?.['resources'] as Json[];
  const pods = resources.find((r) => r['resource'] === 'pods');
  assert.deepEqual(pods, {
    resource: 'pods',
    responseKind: { group: '', version: 'v1', kind: 'Pod' },
    scope: 'Namespaced',
    singularResource: 'pod',
    verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
    shortNames: ['po'],
    categories: ['all'],
    subresources: [
      {
        subresource: 'status',
        responseKind: { group: '', version: 'v1', kind: 'Pod' },
        verbs: ['get', 'patch', 'update'],
      },
    ],
  });
  const nodes = resources.find((r) => r['resource'] === 'nodes');
  assert.equal(nodes?.['scope'], 'Cluster');
  assert.ok(resources.every((r) => r['responseKind'] && r['scope']));
});

test('aggregated /apis lists groups by kube priority, CRD groups after, versions preferred first', () => {
  const doc = aggregatedDiscovery(types, 'apis', 'v2beta1');
  assert.equal(doc['apiVersion'], 'apidiscovery.k8s.io/v2beta1');
  const items = doc['items'] as Json[];
  assert.deepEqual(
    items.map((i) => (i['metadata'] as Json)['name']),
    ['apps', 'apiextensions.k8s.io', 'coordination.k8s.io', 'discovery.k8s.io', 'example.com'],
  );
  const widgets = items.at(-1);
  const versions = widgets?.['versions'] as Json[];
  assert.deepEqual(
    versions.map((v) => v['version']),
    ['v1', 'v2beta1', 'v1alpha1'],
  );
  assert.ok(versions.every((v) => v['freshness'] === 'Current'));
  const widget = (versions[0]?.['resources'] as Json[])[0];
  assert.deepEqual(widget, {
    resource: 'widgets',
    responseKind: { group: 'example.com', version: 'v1', kind: 'Widget' },
    scope: 'Cluster',
    singularResource: 'widget',
    verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
    shortNames: ['wd'],
    categories: ['all'],
  });
});

test('legacy discovery: APIVersions, APIGroupList, APIGroup and APIResourceList with subresources', () => {
  assert.deepEqual(apiVersions('10.0.0.1:6443'), {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '10.0.0.1:6443' }],
  });
  const list = apiGroupList(types);
  assert.equal(list['kind'], 'APIGroupList');
  const groups = list['groups'] as Json[];
  assert.deepEqual(groups.at(-1), {
    name: 'example.com',
    versions: [
      { groupVersion: 'example.com/v1', version: 'v1' },
      { groupVersion: 'example.com/v2beta1', version: 'v2beta1' },
      { groupVersion: 'example.com/v1alpha1', version: 'v1alpha1' },
    ],
    preferredVersion: { groupVersion: 'example.com/v1', version: 'v1' },
  });
  assert.ok(!groups.some((g) => g['name'] === ''));
  assert.equal(apiGroup('apps', types)?.['kind'], 'APIGroup');
  assert.deepEqual(apiGroup('apps', types)?.['preferredVersion'], { groupVersion: 'apps/v1', version: 'v1' });
  assert.equal(apiGroup('nope.example.com', types), undefined);

  const core = apiResourceList('v1', types);
  assert.equal(core?.['groupVersion'], 'v1');
  const resources = core?.['resources'] as Json[];
  assert.deepEqual(
    resources.find((r) => r['name'] === 'pods'),
    {
      name: 'pods',
      singularName: 'pod',
      namespaced: true,
      kind: 'Pod',
      verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
      shortNames: ['po'],
      categories: ['all'],
    },
  );
  assert.deepEqual(
    resources.find((r) => r['name'] === 'pods/status'),
    {
      name: 'pods/status',
      singularName: '',
      namespaced: true,
      kind: 'Pod',
      verbs: ['get', 'patch', 'update'],
    },
  );
  assert.ok(!('shortNames' in (resources.find((r) => r['name'] === 'secrets') ?? {})));
  const apps = apiResourceList('apps/v1', types)?.['resources'] as Json[];
  assert.deepEqual(
    apps.map((r) => r['name']),
    ['daemonsets', 'daemonsets/status', 'deployments', 'deployments/status', 'deployments/scale'],
  );
  // A scale subresource answers autoscaling/v1 Scale, which kubectl scale looks up here.
  assert.deepEqual(
    apps.find((r) => r['name'] === 'deployments/scale'),
    {
      name: 'deployments/scale',
      singularName: '',
      namespaced: true,
      group: 'autoscaling',
      version: 'v1',
      kind: 'Scale',
      verbs: ['get', 'patch', 'update'],
    },
  );
  assert.equal(apiResourceList('apps/v2', types), undefined);
});
