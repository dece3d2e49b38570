import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseYaml } from 'yaml';
import { expectApiError } from '../expect-api-error.ts';
import { patchMetaFor, type PatchMeta } from './patch-meta.ts';
import { applyStrategicMergePatch } from './strategic-merge-patch.ts';

const POD = patchMetaFor('', 'Pod');
const NODE = patchMetaFor('', 'Node');
const DEPLOYMENT = patchMetaFor('apps', 'Deployment');

/** A generic meta in the shape of apimachinery's patch_test.go MergeItem. */
const MERGE_ITEM: PatchMeta = {
  fields: {
    mergingList: { strategy: 'merge', mergeKey: 'name' },
    mergingIntList: { strategy: 'merge' },
    retainKeysMap: { strategy: 'retainKeys' },
    retainKeysMergingList: { strategy: 'merge,retainKeys', mergeKey: 'name' },
    replacingItem: { strategy: 'replace' },
  },
};

/** Names of a list's items, to check order. */
function names(list: unknown): unknown[] {
  return (list as { name?: unknown; type?: unknown }[]).map((item) => item.name ?? item.type);
}

const deployment = () => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
  spec: {
    replicas: 1,
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        containers: [
          { name: 'nginx', image: 'nginx:2', env: [{ name: 'A', value: '1' }] },
          { name: 'side', image: 'busybox' },
        ],
      },
    },
  },
});

test("kubectl apply's patch updates one container, drops its env and deletes another by name", () => {
  // The SMP kubectl apply sends (kubectl-contract.md §3).
  const patch = {
    spec: {
      template: {
        spec: {
          '$setElementOrder/containers': [{ name: 'nginx' }],
          containers: [
            { env: null, image: 'nginx:3', name: 'nginx' },
            { $patch: 'delete', name: 'side' },
          ],
        },
      },
    },
  };
  const result = applyStrategicMergePatch(deployment(), patch, DEPLOYMENT);
  const expected = deployment();
  expected.spec.template.spec.containers = [{ name: 'nginx', image: 'nginx:3' }];
  assert.deepEqual(result, expected);
  assert.doesNotMatch(JSON.stringify(result), /\$/);
});

test('a container in the patch merges into the container with the same name', () => {
  const result = applyStrategicMergePatch(
    deployment(),
    { spec: { template: { spec: { containers: [{ name: 'side', args: ['sleep'] }] } } } },
    DEPLOYMENT,
  ) as ReturnType<typeof deployment>;
  assert.deepEqual(result.spec.template.spec.containers, [
    { name: 'nginx', image: 'nginx:2', env: [{ name: 'A', value: '1' }] },
    { name: 'side', image: 'busybox', args: ['sleep'] },
  ]);
});

test('a new container is added, ahead of server-only containers as kube orders it', () => {
  const result = applyStrategicMergePatch(
    deployment(),
    { spec: { template: { spec: { containers: [{ name: 'log', image: 'fluent' }] } } } },
    DEPLOYMENT,
  ) as ReturnType<typeof deployment>;
  // patch.go mergeSortedSlice places a patch item not in the live list before server-only items.
  assert.deepEqual(names(result.spec.template.spec.containers), ['log', 'nginx', 'side']);
});

test('$setElementOrder puts a new container where the patch wants it', () => {
  const result = applyStrategicMergePatch(
    deployment(),
    {
      spec: {
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'nginx' }, { name: 'side' }, { name: 'log' }],
            containers: [{ name: 'log', image: 'fluent' }],
          },
        },
      },
    },
    DEPLOYMENT,
  ) as ReturnType<typeof deployment>;
  assert.deepEqual(names(result.spec.template.spec.containers), ['nginx', 'side', 'log']);
});

test('$setElementOrder alone reorders a list without changing its items', () => {
  const original = {
    status: {
      conditions: [
        { type: 'B', status: 'True' },
        { type: 'A', status: 'False' },
      ],
    },
  };
  const result = applyStrategicMergePatch(
    original,
    { status: { '$setElementOrder/conditions': [{ type: 'A' }, { type: 'B' }] } },
    POD,
  );
  assert.deepEqual(result, {
    status: {
      conditions: [
        { type: 'A', status: 'False' },
        { type: 'B', status: 'True' },
      ],
    },
  });
});

test('$setElementOrder interleaves server-only items by their live position (patch_test.go)', () => {
  // "merge lists of maps": live [1, 2], order [4, 1, 2, 3], patch adds 4 and 3.
  const result = applyStrategicMergePatch(
    {
      mergingList: [
        { name: 1, other: 'a' },
        { name: 2, value: 2, other: 'b' },
      ],
    },
    {
      '$setElementOrder/mergingList': [{ name: 4 }, { name: 1 }, { name: 2 }, { name: 3 }],
      mergingList: [
        { name: 4, value: 4 },
        { name: 3, value: 3 },
      ],
    },
    MERGE_ITEM,
  );
  assert.deepEqual(result, {
    mergingList: [
      { name: 4, value: 4 },
      { name: 1, other: 'a' },
      { name: 2, value: 2, other: 'b' },
      { name: 3, value: 3 },
    ],
  });
});

test('$setElementOrder naming an item the list lacks is ignored (patch_test.go)', () => {
  const result = applyStrategicMergePatch(
    { mergingList: [{ name: 1 }, { name: 3 }] },
    {
      '$setElementOrder/mergingList': [{ name: 3 }, { name: 2 }, { name: 1 }],
      mergingList: [
        { name: 3, value: 3 },
        { name: 1, value: 1 },
      ],
    },
    MERGE_ITEM,
  );
  assert.deepEqual(result, {
    mergingList: [
      { name: 3, value: 3 },
      { name: 1, value: 1 },
    ],
  });
});

test('a patch list out of $setElementOrder order is a 400', () => {
  const err = expectApiError(() =>
    applyStrategicMergePatch(
      { mergingList: [{ name: 1 }, { name: 3 }, { name: 2 }] },
      {
        '$setElementOrder/mergingList': [{ name: 1 }, { name: 2 }, { name: 3 }],
        mergingList: [
          { name: 3, value: 3 },
          { name: 1, value: 1 },
        ],
      },
      MERGE_ITEM,
    ),
  );
  assert.equal(err.code, 400);
  assert.match(err.message, /doesn't match \$setElementOrder list/);
});

test('without $setElementOrder the patch order wins over the live order (patch_test.go)', () => {
  const result = applyStrategicMergePatch(
    { mergingList: [{ name: 1 }, { name: 2, value: 'b' }, { name: 3 }] },
    {
      mergingList: [
        { name: 3, value: 'c' },
        { name: 1, value: 'a' },
      ],
    },
    MERGE_ITEM,
  );
  assert.deepEqual(result, {
    mergingList: [
      { name: 2, value: 'b' },
      { name: 3, value: 'c' },
      { name: 1, value: 'a' },
    ],
  });
});

test('env: null removes the env list of that container only', () => {
  const result = applyStrategicMergePatch(
    deployment(),
    { spec: { template: { spec: { containers: [{ name: 'nginx', env: null }] } } } },
    DEPLOYMENT,
  ) as ReturnType<typeof deployment>;
  assert.deepEqual(result.spec.template.spec.containers[0], { name: 'nginx', image: 'nginx:2' });
});

test('env entries merge by name inside a container', () => {
  const result = applyStrategicMergePatch(
    deployment(),
    {
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: 'nginx',
                env: [
                  { name: 'A', value: '2' },
                  { name: 'B', value: '3' },
                ],
              },
            ],
          },
        },
      },
    },
    DEPLOYMENT,
  ) as ReturnType<typeof deployment>;
  assert.deepEqual(result.spec.template.spec.containers[0]?.env, [
    { name: 'A', value: '2' },
    { name: 'B', value: '3' },
  ]);
});

test('node conditions merge by type and keep the ones not in the patch', () => {
  const node = {
    metadata: { name: 'edge-1' },
    status: {
      conditions: [
        { type: 'Ready', status: 'True', reason: 'KubeletReady' },
        { type: 'MemoryPressure', status: 'False' },
      ],
      addresses: [
        { type: 'InternalIP', address: '10.0.0.1' },
        { type: 'Hostname', address: 'edge-1' },
      ],
    },
  };
  const result = applyStrategicMergePatch(
    node,
    {
      status: {
        conditions: [{ type: 'Ready', status: 'False', reason: 'NodeStatusUnknown' }],
        addresses: [{ type: 'InternalIP', address: '10.0.0.9' }],
      },
    },
    NODE,
  );
  assert.deepEqual(result, {
    metadata: { name: 'edge-1' },
    status: {
      conditions: [
        { type: 'Ready', status: 'False', reason: 'NodeStatusUnknown' },
        { type: 'MemoryPressure', status: 'False' },
      ],
      addresses: [
        { type: 'InternalIP', address: '10.0.0.9' },
        { type: 'Hostname', address: 'edge-1' },
      ],
    },
  });
});

test('node taints and images have no merge key: the patch replaces them', () => {
  const node = {
    spec: { taints: [{ key: 'a', effect: 'NoSchedule' }] },
    status: { images: [{ names: ['nginx'] }] },
  };
  const result = applyStrategicMergePatch(
    node,
    { spec: { taints: [{ key: 'b', effect: 'NoExecute' }] }, status: { images: [{ names: ['busybox'] }] } },
    NODE,
  );
  assert.deepEqual(result, {
    spec: { taints: [{ key: 'b', effect: 'NoExecute' }] },
    status: { images: [{ names: ['busybox'] }] },
  });
});

test('pod tolerations and containerStatuses are replaced whole', () => {
  const pod = {
    spec: { tolerations: [{ key: 'a', operator: 'Exists' }] },
    status: {
      containerStatuses: [
        { name: 'a', ready: true },
        { name: 'b', ready: true },
      ],
    },
  };
  const result = applyStrategicMergePatch(
    pod,
    {
      spec: { tolerations: [{ key: 'b', operator: 'Exists' }] },
      status: { containerStatuses: [{ name: 'a', ready: false }] },
    },
    POD,
  );
  assert.deepEqual(result, {
    spec: { tolerations: [{ key: 'b', operator: 'Exists' }] },
    status: { containerStatuses: [{ name: 'a', ready: false }] },
  });
});

test('$patch: replace on a map replaces it with the patch content', () => {
  const result = applyStrategicMergePatch(
    { metadata: { labels: { a: '1', b: '2' } } },
    { metadata: { labels: { $patch: 'replace', c: '3' } } },
    POD,
  );
  assert.deepEqual(result, { metadata: { labels: { c: '3' } } });
});

test('$patch: delete on a map leaves it empty', () => {
  const result = applyStrategicMergePatch(
    { metadata: { labels: { a: '1' } } },
    { metadata: { labels: { $patch: 'delete' } } },
    POD,
  );
  assert.deepEqual(result, { metadata: { labels: {} } });
});

test('$patch: replace as a list item replaces the whole list', () => {
  const result = applyStrategicMergePatch(
    { spec: { containers: [{ name: 'a', image: 'x' }, { name: 'b' }] } },
    { spec: { containers: [{ name: 'c', image: 'y' }, { $patch: 'replace' }] } },
    POD,
  );
  assert.deepEqual(result, { spec: { containers: [{ name: 'c', image: 'y' }] } });
});

test('$patch: replace with no other item empties the list (patch_test.go)', () => {
  const result = applyStrategicMergePatch(
    { mergingList: [{ name: 1 }, { name: 2 }] },
    { mergingList: [{ $patch: 'replace' }] },
    MERGE_ITEM,
  );
  assert.deepEqual(result, { mergingList: [] });
});

test('$patch: delete removes every item with that merge key', () => {
  const result = applyStrategicMergePatch(
    { mergingList: [{ name: 1 }, { name: 1 }, { name: 2, value: 'a' }, { name: 3 }, { name: 3 }] },
    {
      mergingList: [
        { name: 1, $patch: 'delete' },
        { name: 3, $patch: 'delete' },
      ],
    },
    MERGE_ITEM,
  );
  assert.deepEqual(result, { mergingList: [{ name: 2, value: 'a' }] });
});

test('$patch: delete of an item that is not there is a no-op', () => {
  const result = applyStrategicMergePatch(
    { mergingList: [{ name: 'hello2' }] },
    { mergingList: [{ name: 'hello' }, { $patch: 'delete', name: 'doesntexist' }] },
    MERGE_ITEM,
  );
  assert.deepEqual(result, { mergingList: [{ name: 'hello' }, { name: 'hello2' }] });
});

test('$patch: delete without the merge key is a 400', () => {
  const err = expectApiError(() =>
    applyStrategicMergePatch(
      { mergingList: [{ name: 1 }] },
      { mergingList: [{ $patch: 'delete' }] },
      MERGE_ITEM,
    ),
  );
  assert.equal(err.code, 400);
  assert.match(
    err.message,
    /mergingList: map: \{"\$patch":"delete"\} does not contain declared merge key: name/,
  );
});

test('a list item without the merge key is a 400 naming the list', () => {
  const err = expectApiError(() =>
    applyStrategicMergePatch(
      { spec: { containers: [{ name: 'a' }] } },
      { spec: { containers: [{ image: 'b' }] } },
      POD,
    ),
  );
  assert.equal(err.code, 400);
  assert.match(
    err.message,
    /^spec\.containers: map: \{"image":"b"\} does not contain declared merge key: name$/,
  );
});

test('an unknown $patch value is a 400', () => {
  const err = expectApiError(() =>
    applyStrategicMergePatch({ metadata: {} }, { metadata: { $patch: 'explode' } }, POD),
  );
  assert.equal(err.code, 400);
  assert.match(err.message, /unknown patch type: "explode"/);
  const listErr = expectApiError(() =>
    applyStrategicMergePatch(
      { mergingList: [] },
      { mergingList: [{ name: 1, $patch: 'merge' }] },
      MERGE_ITEM,
    ),
  );
  assert.match(listErr.message, /merging lists cannot yet be specified in the patch/);
});

test('finalizers merge as a set of strings', () => {
  const result = applyStrategicMergePatch(
    { metadata: { finalizers: ['a', 'b'] } },
    { metadata: { finalizers: ['b', 'c', 'c'] } },
    POD,
  );
  assert.deepEqual(result, { metadata: { finalizers: ['a', 'b', 'c'] } });
});

test('$deleteFromPrimitiveList removes finalizers', () => {
  const result = applyStrategicMergePatch(
    { metadata: { finalizers: ['a', 'b', 'c', 'c'] } },
    { metadata: { '$deleteFromPrimitiveList/finalizers': ['c'] } },
    POD,
  );
  assert.deepEqual(result, { metadata: { finalizers: ['a', 'b'] } });
});

test('$deleteFromPrimitiveList on an absent list does not create it', () => {
  const result = applyStrategicMergePatch(
    { metadata: { name: 'x' } },
    { metadata: { '$deleteFromPrimitiveList/finalizers': ['c'] } },
    POD,
  );
  assert.deepEqual(result, { metadata: { name: 'x' } });
});

test('finalizers add, delete and reorder together (kubectl apply of a primitive list)', () => {
  // patch_test.go "add and delete items in lists of scalars", with the live list [1, 2, 3, 4].
  const result = applyStrategicMergePatch(
    { mergingIntList: [1, 2, 3, 4] },
    {
      '$setElementOrder/mergingIntList': [1, 2, 4],
      '$deleteFromPrimitiveList/mergingIntList': [3],
      mergingIntList: [4],
    },
    MERGE_ITEM,
  );
  assert.deepEqual(result, { mergingIntList: [1, 2, 4] });
});

test('$setElementOrder on a primitive list keeps server-only values in live order', () => {
  // patch_test.go "delete items in lists of scalars": live [1, 2, 3, 4].
  const result = applyStrategicMergePatch(
    { mergingIntList: [1, 2, 3, 4] },
    { '$setElementOrder/mergingIntList': [1, 2], '$deleteFromPrimitiveList/mergingIntList': [3] },
    MERGE_ITEM,
  );
  assert.deepEqual(result, { mergingIntList: [1, 2, 4] });
});

test('a merged primitive list follows the patch order (patch_test.go)', () => {
  assert.deepEqual(
    applyStrategicMergePatch({ mergingIntList: [1, 2, 3] }, { mergingIntList: [3, 1] }, MERGE_ITEM),
    {
      mergingIntList: [2, 3, 1],
    },
  );
});

test('$retainKeys clears the keys it does not list (Deployment strategy)', () => {
  // kubectl sends this when switching a Deployment from RollingUpdate to Recreate.
  const result = applyStrategicMergePatch(
    deployment(),
    { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } },
    DEPLOYMENT,
  ) as ReturnType<typeof deployment>;
  assert.deepEqual(result.spec.strategy, { type: 'Recreate' });
});

test('$retainKeys on volumes keeps only the listed volume source', () => {
  const result = applyStrategicMergePatch(
    {
      spec: {
        volumes: [
          { name: 'data', emptyDir: {} },
          { name: 'cfg', configMap: { name: 'c' } },
        ],
      },
    },
    { spec: { volumes: [{ name: 'data', $retainKeys: ['name', 'hostPath'], hostPath: { path: '/d' } }] } },
    POD,
  );
  assert.deepEqual(result, {
    spec: {
      volumes: [
        { name: 'data', hostPath: { path: '/d' } },
        { name: 'cfg', configMap: { name: 'c' } },
      ],
    },
  });
});

test('a patch key missing from $retainKeys is a 422', () => {
  const err = expectApiError(() =>
    applyStrategicMergePatch(
      { retainKeysMap: { name: 'a' } },
      { retainKeysMap: { $retainKeys: ['name'], value: 'b' } },
      MERGE_ITEM,
    ),
  );
  assert.equal(err.code, 422);
  assert.equal(err.reason, 'Invalid');
  assert.match(err.message, /retainKeysMap: patch content doesn't match retainKeys list: "value"/);
});

test('$retainKeys that is not a list is a 400', () => {
  const err = expectApiError(() =>
    applyStrategicMergePatch({ retainKeysMap: {} }, { retainKeysMap: { $retainKeys: 'name' } }, MERGE_ITEM),
  );
  assert.equal(err.code, 400);
});

test('a field tagged replace takes the patch map whole', () => {
  const result = applyStrategicMergePatch(
    { replacingItem: { a: 1, b: 2 } },
    { replacingItem: { c: 3 } },
    MERGE_ITEM,
  );
  assert.deepEqual(result, { replacingItem: { c: 3 } });
});

test('an empty list in the patch leaves a merged list unchanged (patch_test.go)', () => {
  const original = { spec: { containers: [{ name: 'a' }] } };
  assert.deepEqual(applyStrategicMergePatch(original, { spec: { containers: [] } }, POD), original);
});

test('ownerReferences merge by uid', () => {
  const result = applyStrategicMergePatch(
    { metadata: { ownerReferences: [{ uid: 'u1', kind: 'ReplicaSet', name: 'rs1' }] } },
    {
      metadata: {
        ownerReferences: [
          { uid: 'u1', controller: true },
          { uid: 'u2', kind: 'Node', name: 'n' },
        ],
      },
    },
    POD,
  );
  assert.deepEqual(result, {
    metadata: {
      ownerReferences: [
        { uid: 'u1', kind: 'ReplicaSet', name: 'rs1', controller: true },
        { uid: 'u2', kind: 'Node', name: 'n' },
      ],
    },
  });
});

test('container ports merge by containerPort and volumeMounts by mountPath', () => {
  const result = applyStrategicMergePatch(
    {
      spec: {
        containers: [
          { name: 'a', ports: [{ containerPort: 80 }], volumeMounts: [{ mountPath: '/d', name: 'd' }] },
        ],
      },
    },
    {
      spec: {
        containers: [
          {
            name: 'a',
            ports: [{ containerPort: 80, name: 'http' }, { containerPort: 443 }],
            volumeMounts: [{ mountPath: '/d', readOnly: true }],
          },
        ],
      },
    },
    POD,
  );
  assert.deepEqual(result, {
    spec: {
      containers: [
        {
          name: 'a',
          ports: [{ containerPort: 80, name: 'http' }, { containerPort: 443 }],
          volumeMounts: [{ mountPath: '/d', name: 'd', readOnly: true }],
        },
      ],
    },
  });
});

test('service ports merge by port', () => {
  const result = applyStrategicMergePatch(
    { spec: { ports: [{ port: 80, targetPort: 8080 }, { port: 443 }] } },
    { spec: { ports: [{ port: 80, targetPort: 9090 }] } },
    patchMetaFor('', 'Service'),
  );
  assert.deepEqual(result, { spec: { ports: [{ port: 80, targetPort: 9090 }, { port: 443 }] } });
});

test('null deletes a map key and nulls for absent keys are ignored', () => {
  const result = applyStrategicMergePatch(
    { metadata: { labels: { a: '1', b: '2' } } },
    { metadata: { labels: { a: null, z: null } } },
    POD,
  );
  assert.deepEqual(result, { metadata: { labels: { b: '2' } } });
});

test('directives and nulls inside a newly added subtree do not survive', () => {
  const result = applyStrategicMergePatch(
    { metadata: { name: 'p' } },
    {
      spec: {
        '$setElementOrder/containers': [{ name: 'a' }],
        containers: [
          { name: 'a', image: 'x', env: null, ports: [{ containerPort: 1 }, { $patch: 'replace' }] },
        ],
        nodeSelector: { $patch: 'replace', zone: 'z', gone: null },
      },
    },
    POD,
  );
  assert.deepEqual(result, {
    metadata: { name: 'p' },
    spec: {
      containers: [{ name: 'a', image: 'x', ports: [{ containerPort: 1 }] }],
      nodeSelector: { zone: 'z' },
    },
  });
});

test('a list of lists is a 422 and mixed item types are a 400', () => {
  assert.equal(
    expectApiError(() =>
      applyStrategicMergePatch({ mergingIntList: [[1]] }, { mergingIntList: [[2]] }, MERGE_ITEM),
    ).code,
    422,
  );
  assert.equal(
    expectApiError(() =>
      applyStrategicMergePatch({ mergingIntList: [1] }, { mergingIntList: [{ a: 1 }] }, MERGE_ITEM),
    ).code,
    400,
  );
});

test('a patch that is not an object is a 400', () => {
  const err = expectApiError(() => applyStrategicMergePatch({}, [{ op: 'add' }], POD));
  assert.equal(err.code, 400);
  assert.match(err.message, /strategic merge patch must be a JSON object/);
});

test('without patch metadata it behaves as a JSON merge patch', () => {
  const result = applyStrategicMergePatch(
    { spec: { items: [{ name: 'a' }, { name: 'b' }], keep: 1, drop: 2 } },
    { spec: { items: [{ name: 'c' }], drop: null } },
    undefined,
  );
  assert.deepEqual(result, { spec: { items: [{ name: 'c' }], keep: 1 } });
});

test('the inputs are not mutated and the result shares no objects with them', () => {
  const original = deployment();
  const patch = {
    spec: {
      template: {
        spec: {
          containers: [
            { name: 'nginx', image: 'nginx:9' },
            { $patch: 'delete', name: 'side' },
          ],
        },
      },
    },
  };
  const patchCopy = structuredClone(patch);
  const result = applyStrategicMergePatch(original, patch, DEPLOYMENT) as ReturnType<typeof deployment>;
  assert.deepEqual(original, deployment());
  assert.deepEqual(patch, patchCopy);
  assert.notEqual(result.metadata, original.metadata);
  assert.notEqual(
    result.spec.template.spec.containers[0]?.env,
    original.spec.template.spec.containers[0]?.env,
  );
});

test('a __proto__ key cannot reach a prototype', () => {
  const patch = JSON.parse('{"metadata": {"labels": {"__proto__": {"polluted": "yes"}}}}') as unknown;
  applyStrategicMergePatch({ metadata: { labels: {} } }, patch, POD);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

// Cases copied from k8s.io/apimachinery pkg/util/strategicpatch/patch_test.go
// (strategicMergePatchRawTestCases): applying the three-way patch to the live object ("current")
// is what the server does, so our result must equal theirs ("result"). The MergeItem test type's
// tags are in MERGE_ITEM_NESTED below.
const MERGE_ITEM_NESTED: PatchMeta = {
  fields: {
    ...MERGE_ITEM.fields,
    mergingList: { strategy: 'merge', mergeKey: 'name', items: MERGE_ITEM },
    retainKeysMap: { strategy: 'retainKeys', fields: MERGE_ITEM.fields },
  },
};

const KUBE_CASES: { description: string; current: string; patch: string; result: string }[] = [
  {
    description: 'merge lists of maps',
    current: 'mergingList: [{name: 1, other: a}, {name: 2, value: 2, other: b}]',
    patch:
      '{$setElementOrder/mergingList: [{name: 4}, {name: 1}, {name: 2}, {name: 3}], mergingList: [{name: 4, value: 4}, {name: 3, value: 3}]}',
    result:
      'mergingList: [{name: 4, value: 4}, {name: 1, other: a}, {name: 2, value: 2, other: b}, {name: 3, value: 3}]',
  },
  {
    description: 'add field to map in merging list with conflict',
    current: 'mergingList: [{name: 1, other: a}, {name: 3, value: 2, other: b}]',
    patch:
      '{$setElementOrder/mergingList: [{name: 1}, {name: 2}], mergingList: [{name: 1, value: 1}, {name: 2, value: 2}]}',
    result:
      'mergingList: [{name: 1, value: 1, other: a}, {name: 2, value: 2}, {name: 3, value: 2, other: b}]',
  },
  {
    description: 'add duplicate field to map in merging list with conflict',
    current: 'mergingList: [{name: 1, value: 1, other: a}, {name: 2, value: 3, other: b}]',
    patch: '{$setElementOrder/mergingList: [{name: 1}, {name: 2}], mergingList: [{name: 2, value: 2}]}',
    result: 'mergingList: [{name: 1, value: 1, other: a}, {name: 2, value: 2, other: b}]',
  },
  {
    description: 'delete map from merging list',
    current: 'mergingList: [{name: 1}, {name: 2, other: b}]',
    patch: '{$setElementOrder/mergingList: [{name: 2}], mergingList: [{name: 1, $patch: delete}]}',
    result: 'mergingList: [{name: 2, other: b}]',
  },
  {
    description: 'delete missing map from merging list with conflict',
    current: 'mergingList: [{name: 3, other: a}]',
    patch: '{$setElementOrder/mergingList: [{name: 2}], mergingList: [{name: 2}, {name: 1, $patch: delete}]}',
    result: 'mergingList: [{name: 2}, {name: 3, other: a}]',
  },
  {
    description: 'add map and delete map from merging list',
    current: 'mergingList: [{name: 1}, {name: 2, other: b}, {name: 4, other: c}]',
    patch:
      '{$setElementOrder/mergingList: [{name: 2}, {name: 3}], mergingList: [{name: 3}, {name: 1, $patch: delete}]}',
    result: 'mergingList: [{name: 2, other: b}, {name: 4, other: c}, {name: 3}]',
  },
  {
    description: 'add map and delete map from merging list with conflict',
    current: 'mergingList: [{name: 1, other: a}, {name: 4, other: c}]',
    patch:
      '{$setElementOrder/mergingList: [{name: 2}, {name: 3}], mergingList: [{name: 2}, {name: 3}, {name: 1, $patch: delete}]}',
    result: 'mergingList: [{name: 4, other: c}, {name: 2}, {name: 3}]',
  },
  {
    description: 'delete field from map in merging list',
    current: 'mergingList: [{name: 1, value: 1, other: a}, {name: 2, value: 2, other: b}]',
    patch: '{$setElementOrder/mergingList: [{name: 1}, {name: 2}], mergingList: [{name: 1, value: null}]}',
    result: 'mergingList: [{name: 1, other: a}, {name: 2, value: 2, other: b}]',
  },
  {
    description: 'replace non merging list nested in merging list',
    current:
      'mergingList: [{name: 1, other: a, nonMergingList: [{name: 1}, {name: 2, value: 2}]}, {name: 2, other: b}]',
    patch:
      '{$setElementOrder/mergingList: [{name: 1}, {name: 2}], mergingList: [{name: 1, nonMergingList: [{name: 1, value: 1}]}]}',
    result: 'mergingList: [{name: 1, other: a, nonMergingList: [{name: 1, value: 1}]}, {name: 2, other: b}]',
  },
  {
    description: 'set elements order in a list with server-only items',
    current:
      'mergingList: [{name: 1, other: a}, {name: 3, value: 3}, {name: 4, value: 4}, {name: 2, value: 2}, {name: 9}]',
    patch: '{$setElementOrder/mergingList: [{name: 4}, {name: 2}, {name: 3}, {name: 1}]}',
    result:
      'mergingList: [{name: 4, value: 4}, {name: 2, value: 2}, {name: 3, value: 3}, {name: 1, other: a}, {name: 9}]',
  },
  {
    description: 'set elements order in a list with server-only items 2',
    current:
      'mergingList: [{name: 1, other: a}, {name: 2, value: 2}, {name: 9}, {name: 3, value: 3}, {name: 4, value: 4}]',
    patch: '{$setElementOrder/mergingList: [{name: 2}, {name: 1}, {name: 4}, {name: 3}]}',
    result:
      'mergingList: [{name: 2, value: 2}, {name: 1, other: a}, {name: 9}, {name: 4, value: 4}, {name: 3, value: 3}]',
  },
  {
    description: 'set elements order in a list with server-only items 3',
    current:
      'mergingList: [{name: 1, other: a}, {name: 2, value: 2}, {name: 7}, {name: 9}, {name: 8}, {name: 3, value: 3}, {name: 4, value: 4}]',
    patch: '{$setElementOrder/mergingList: [{name: 2}, {name: 1}, {name: 4}, {name: 3}]}',
    result:
      'mergingList: [{name: 2, value: 2}, {name: 1, other: a}, {name: 7}, {name: 9}, {name: 8}, {name: 4, value: 4}, {name: 3, value: 3}]',
  },
  {
    description: 'add an item in a int list and preserve order',
    current: 'mergingIntList: [1, 2]',
    patch: '{$setElementOrder/mergingIntList: [3, 1, 2], mergingIntList: [3]}',
    result: 'mergingIntList: [3, 1, 2]',
  },
  {
    description: 'add multiple items in a int list and preserve order',
    current: 'mergingIntList: [1, 2]',
    patch: '{$setElementOrder/mergingIntList: [1, 4, 2, 3], mergingIntList: [4, 3]}',
    result: 'mergingIntList: [1, 4, 2, 3]',
  },
  {
    description: 'delete an item in a int list and preserve order',
    current: 'mergingIntList: [1, 2, 3]',
    patch: '{$setElementOrder/mergingIntList: [2, 1], $deleteFromPrimitiveList/mergingIntList: [3]}',
    result: 'mergingIntList: [2, 1]',
  },
  {
    description: 'add and delete an item in a int list and preserve order',
    current: 'mergingIntList: [1, 2, 3]',
    patch:
      '{$setElementOrder/mergingIntList: [4, 2, 1], mergingIntList: [4], $deleteFromPrimitiveList/mergingIntList: [3]}',
    result: 'mergingIntList: [4, 2, 1]',
  },
  {
    description: 'set elements order in a int list with server-only items 2',
    current: 'mergingIntList: [1, 2, 9, 3, 4]',
    patch: '{$setElementOrder/mergingIntList: [2, 1, 4, 3]}',
    result: 'mergingIntList: [2, 1, 9, 4, 3]',
  },
  {
    description: 'set elements order in a int list with server-only items 3',
    current: 'mergingIntList: [1, 2, 7, 9, 8, 3, 4]',
    patch: '{$setElementOrder/mergingIntList: [2, 1, 4, 3]}',
    result: 'mergingIntList: [2, 1, 7, 9, 8, 4, 3]',
  },
  {
    description: 'behavior of set element order for a merging list with duplicate',
    current: 'mergingList: [{name: 1}, {name: 2, value: dup1}, {name: 3}, {name: 2, value: dup2}, {name: 4}]',
    patch: '{$setElementOrder/mergingList: [{name: 2}, {name: 1}, {name: 4}, {name: 3}, {name: 2}]}',
    result: 'mergingList: [{name: 2, value: dup1}, {name: 2, value: dup2}, {name: 1}, {name: 4}, {name: 3}]',
  },
  {
    description: 'behavior of set element order for a merging int list with duplicate',
    current: 'mergingIntList: [1, 2, 3, 2, 4]',
    patch: '{$setElementOrder/mergingIntList: [2, 1, 4, 3, 2]}',
    result: 'mergingIntList: [2, 2, 1, 4, 3]',
  },
  {
    description: 'retainKeys map should clear defaulted field with conflict (discriminated union)',
    current: 'retainKeysMap: {name: type1, value: foo}',
    patch: '{retainKeysMap: {$retainKeys: [name, other], name: type2, other: bar}}',
    result: 'retainKeysMap: {name: type2, other: bar}',
  },
  {
    description: 'retainKeys map deletes a field and clears a field',
    current: 'retainKeysMap: {name: foo, value: bar, other: a}',
    patch: '{retainKeysMap: {$retainKeys: [name], value: null}}',
    result: 'retainKeysMap: {name: foo}',
  },
  {
    description: 'retainKeys map adds a field in a nested map',
    current: 'retainKeysMap: {name: foo, value: bar, simpleMap: {key1: a, key3: c}}',
    patch: '{retainKeysMap: {$retainKeys: [name, simpleMap, value], simpleMap: {key2: b}}}',
    result: 'retainKeysMap: {name: foo, value: bar, simpleMap: {key1: a, key2: b, key3: c}}',
  },
  {
    description: 'retainKeys map adds an item and deletes an item in nested merging int list',
    current: 'retainKeysMap: {name: foo, mergingIntList: [1, 2, 3, 4]}',
    patch:
      '{retainKeysMap: {$retainKeys: [mergingIntList, name], mergingIntList: [5], $deleteFromPrimitiveList/mergingIntList: [2], $setElementOrder/mergingIntList: [1, 3, 5]}}',
    result: 'retainKeysMap: {name: foo, mergingIntList: [1, 3, 5, 4]}',
  },
  {
    description: 'retainKeys map adds an item in nested merging list',
    current: 'retainKeysMap: {name: foo, mergingList: [{name: a}, {name: b}, {name: x}]}',
    patch:
      '{retainKeysMap: {$retainKeys: [mergingList, name], $setElementOrder/mergingList: [{name: a}, {name: b}, {name: c}], mergingList: [{name: c}]}}',
    result: 'retainKeysMap: {name: foo, mergingList: [{name: a}, {name: b}, {name: c}, {name: x}]}',
  },
  {
    description: 'retainKeys map deletes an item in nested merging list',
    current: 'retainKeysMap: {name: foo, mergingList: [{name: a}, {name: b}, {name: x}]}',
    patch:
      '{retainKeysMap: {$retainKeys: [mergingList, name], $setElementOrder/mergingList: [{name: a}], mergingList: [{name: b, $patch: delete}]}}',
    result: 'retainKeysMap: {name: foo, mergingList: [{name: a}, {name: x}]}',
  },
  {
    description: 'retainKeys list of maps clears a field with conflict',
    current: 'retainKeysMergingList: [{name: bar}, {name: foo, value: new, other: x}]',
    patch:
      '{$setElementOrder/retainKeysMergingList: [{name: bar}, {name: foo}], retainKeysMergingList: [{$retainKeys: [name, value], name: foo, value: modified}]}',
    result: 'retainKeysMergingList: [{name: bar}, {name: foo, value: modified}]',
  },
];

for (const { description, current, patch, result } of KUBE_CASES) {
  test(`patch_test.go: ${description}`, () => {
    assert.deepEqual(
      applyStrategicMergePatch(parseYaml(current), parseYaml(patch), MERGE_ITEM_NESTED),
      parseYaml(result),
    );
  });
}
