import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidInputError } from '../errors.ts';
import {
  NULL_NAMESPACE,
  addNodePrefix,
  buildCloudResource,
  buildEdgeResource,
  isClusterScoped,
  parseCloudResource,
  parseEdgeResource,
  splitNodePrefix,
  trimNodePrefix,
} from './resource.ts';
import type { ResourceRef } from './resource.ts';

function assertInvalid(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof InvalidInputError, `expected InvalidInputError, got ${String(err)}`);
    assert.match(err.message, message);
    return true;
  });
}

/** The resource as it appears, /-escaped, inside the regex sources below. */
function escape(resource: string): string {
  return resource.replaceAll('/', '\\/');
}

// Every edge-form resource of kubeedge-protocol.md §1.3, §4, §5.3 and §7, with what it parses to.
const EDGE_FORMS: Array<[string, string | undefined, ResourceRef]> = [
  [
    'default/pod/nginx',
    'insert',
    { kind: 'object', namespace: 'default', resourceType: 'pod', name: 'nginx' },
  ],
  [
    'null/node/edge-1',
    'update',
    { kind: 'object', namespace: NULL_NAMESPACE, resourceType: 'node', name: 'edge-1' },
  ],
  [
    'default/podpatch/nginx',
    'patch',
    { kind: 'object', namespace: 'default', resourceType: 'podpatch', name: 'nginx' },
  ],
  [
    'kube-node-lease/lease/edge-1',
    'update',
    { kind: 'object', namespace: 'kube-node-lease', resourceType: 'lease', name: 'edge-1' },
  ],
  [
    'null/persistentvolume/pv-1',
    'query',
    { kind: 'object', namespace: 'null', resourceType: 'persistentvolume', name: 'pv-1' },
  ],
  [
    'default/nodepatch/edge-1',
    'patch',
    { kind: 'object', namespace: 'default', resourceType: 'nodepatch', name: 'edge-1' },
  ],
  [
    'default/device/thermo',
    'insert',
    { kind: 'object', namespace: 'default', resourceType: 'device', name: 'thermo' },
  ],
  [
    'default/endpointslice/web-x7k',
    'insert',
    { kind: 'object', namespace: 'default', resourceType: 'endpointslice', name: 'web-x7k' },
  ],
  [
    'ignore/Application/ignore',
    'applicationResponse',
    { kind: 'object', namespace: 'ignore', resourceType: 'Application', name: 'ignore' },
  ],
  ['default/pod', 'query', { kind: 'collection', namespace: 'default', resourceType: 'pod' }],
  ['default/pod', 'response', { kind: 'collection', namespace: 'default', resourceType: 'pod' }],
  ['membership', 'update', { kind: 'twin', resource: 'membership' }],
  ['membership/detail', 'get', { kind: 'twin', resource: 'membership/detail' }],
  ['twin', 'response', { kind: 'twin', resource: 'twin' }],
  [
    'device/default/thermo/twin/edge_updated',
    'update',
    { kind: 'device', namespace: 'default', name: 'thermo', path: 'twin/edge_updated' },
  ],
  [
    'device/plant-a/pump-7/state/update',
    'update',
    { kind: 'device', namespace: 'plant-a', name: 'pump-7', path: 'state/update' },
  ],
  [
    'device/default/thermo/twin/cloud_updated',
    'update',
    { kind: 'device', namespace: 'default', name: 'thermo', path: 'twin/cloud_updated' },
  ],
  ['k8s/ca.crt', 'query', { kind: 'k8sCA' }],
];

test('edge-form resources parse to their parts and build back to the same string', () => {
  for (const [resource, operation, ref] of EDGE_FORMS) {
    assert.deepEqual(parseEdgeResource(resource, operation), ref, resource);
    assert.equal(buildEdgeResource(ref), resource, resource);
  }
});

test('cloud-form resources carry the node and round-trip', () => {
  for (const [rest, operation, ref] of EDGE_FORMS) {
    const resource = `node/edge-1/${rest}`;
    const parsed = parseCloudResource(resource, operation);
    assert.deepEqual(parsed, { ...ref, nodeId: 'edge-1' }, resource);
    assert.equal(buildCloudResource(parsed), resource, resource);
    assert.equal(trimNodePrefix(resource), rest, resource);
    assert.equal(addNodePrefix('edge-1', rest), resource, resource);
  }
});

test('parseCloudResource reads messagelayer indexes: 1 node, 2 namespace, 3 type, 4 name', () => {
  assert.deepEqual(parseCloudResource('node/edge-1/null/node/edge-1'), {
    kind: 'object',
    namespace: 'null',
    resourceType: 'node',
    name: 'edge-1',
    nodeId: 'edge-1',
  });
  assert.deepEqual(parseCloudResource('node/rpi-4/kube-system/configmap/kube-proxy'), {
    kind: 'object',
    namespace: 'kube-system',
    resourceType: 'configmap',
    name: 'kube-proxy',
    nodeId: 'rpi-4',
  });
});

test('trimNodePrefix gives what the edge sees (cloudhub TrimMessage, §1.3)', () => {
  assert.equal(trimNodePrefix('node/edge-1/default/pod/nginx'), 'default/pod/nginx');
  assert.equal(trimNodePrefix('node/edge-1/null/node/edge-1'), 'null/node/edge-1');
  assert.equal(trimNodePrefix('node/edge-1/membership'), 'membership');
  // Unprefixed resources pass through, as TrimMessage leaves them; so does a type that merely starts with "node".
  assert.equal(trimNodePrefix('default/pod/nginx'), 'default/pod/nginx');
  assert.equal(trimNodePrefix('nodepatch/x/y'), 'nodepatch/x/y');
  assertInvalid(() => trimNodePrefix('node/edge-1'), /"node\/edge-1" names a node but nothing on it/);
  assertInvalid(
    () => trimNodePrefix('node//default/pod/x'),
    /"node\/\/default\/pod\/x" has an empty node id/,
  );
});

test('addNodePrefix is what cloudhub PubToController does with the node_id header', () => {
  assert.equal(addNodePrefix('edge-1', 'default/podpatch/nginx'), 'node/edge-1/default/podpatch/nginx');
  assert.equal(
    addNodePrefix('edge-1', 'device/default/thermo/twin/edge_updated'),
    'node/edge-1/device/default/thermo/twin/edge_updated',
  );
  assertInvalid(() => addNodePrefix('', 'default/pod/x'), /node id "" must be non-empty/);
  assertInvalid(
    () => addNodePrefix('a/b', 'default/pod/x'),
    /node id "a\/b" must be non-empty and contain no "\/"/,
  );
  assertInvalid(() => addNodePrefix('edge-1', ''), /resource from node "edge-1" is empty/);
});

test('splitNodePrefix names the resource when it is not a cloud resource', () => {
  assert.deepEqual(splitNodePrefix('node/n/twin'), { nodeId: 'n', rest: 'twin' });
  assertInvalid(
    () => splitNodePrefix('default/pod/x'),
    /^resource "default\/pod\/x" is not a cloud resource/,
  );
  assertInvalid(
    () => parseCloudResource('nodes/edge-1/default/pod/x'),
    /"nodes\/edge-1\/default\/pod\/x" is not a cloud resource/,
  );
});

test('malformed resource strings are rejected with the resource named', () => {
  const cases: Array<[string, string | undefined, RegExp]> = [
    ['', 'insert', /^resource "" is malformed: it has an empty segment/],
    ['default', 'insert', /^resource "default" is malformed: expected <namespace>\/<type>\/<name>/],
    [
      'default/pod',
      'insert',
      /^resource "default\/pod" is malformed: .*only with operation query or response, not "insert"/,
    ],
    ['default/pod', undefined, /^resource "default\/pod" is malformed: .*not without one/],
    ['default//nginx', 'insert', /^resource "default\/\/nginx" is malformed: it has an empty segment/],
    ['default/pod/nginx/', 'insert', /empty segment/],
    ['/default/pod/nginx', 'insert', /empty segment/],
    ['default/pod/nginx/status', 'update', /^resource "default\/pod\/nginx\/status" is malformed: expected/],
    // Pre-v1.17 device ids were bare names (§7.2).
    [
      'device/thermo/twin/edge_updated',
      'update',
      /^resource "device\/thermo\/twin\/edge_updated" is malformed: device resources are device\/<namespace>\/<name>/,
    ],
  ];
  for (const [resource, operation, message] of cases) {
    assertInvalid(() => parseEdgeResource(resource, operation), message);
    if (resource === '') continue;
    const cloud = `node/n/${resource}`;
    const cloudMessage = new RegExp(
      message.source.replace(`resource "${escape(resource)}"`, `resource "${escape(cloud)}"`),
    );
    assertInvalid(() => parseCloudResource(cloud, operation), cloudMessage);
  }
});

test('building refuses segments that would change the shape of the string', () => {
  assertInvalid(
    () => buildEdgeResource({ kind: 'object', namespace: 'default', resourceType: 'pod', name: 'a/b' }),
    /segment "a\/b" .* must be non-empty and contain no "\/"/,
  );
  assertInvalid(
    () => buildEdgeResource({ kind: 'object', namespace: '', resourceType: 'pod', name: 'x' }),
    /segment ""/,
  );
  assertInvalid(
    () => buildEdgeResource({ kind: 'collection', namespace: 'default', resourceType: '' }),
    /segment ""/,
  );
  assertInvalid(
    () => buildEdgeResource({ kind: 'device', namespace: 'default', name: 'thermo', path: 'twin' }),
    /device resource path "twin" must be <kind>\/<action>/,
  );
  assertInvalid(
    () => buildEdgeResource({ kind: 'device', namespace: 'default', name: 'thermo', path: 'twin//x' }),
    /device resource path/,
  );
  assertInvalid(
    () => buildCloudResource({ kind: 'twin', resource: 'membership', nodeId: '' }),
    /node id "" must be non-empty/,
  );
});

test('the null namespace marks cluster-scoped objects and is kept as the literal string', () => {
  const ref = parseEdgeResource('null/node/edge-1', 'update');
  assert.equal(ref.kind, 'object');
  assert.ok(ref.kind === 'object' && isClusterScoped(ref.namespace));
  assert.equal(isClusterScoped('default'), false);
});
