import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject, ResourceType } from '../types.ts';
import { builtinResourceTypes } from './builtin-resources.ts';
import { ageSince, humanDuration, parseAcceptHeader, renderTable, wantsTable } from './table.ts';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;
const Y = 365 * D;

test('humanDuration matches apimachinery HumanDuration at each precision step', () => {
  const cases: [number, string][] = [
    [-3 * S, '<invalid>'],
    [-1500, '0s'], // up to 2s of clock skew reads as now
    [0, '0s'],
    [5 * S, '5s'],
    [119 * S, '119s'],
    [2 * M, '2m'],
    [3 * M + 2 * S, '3m2s'],
    [9 * M + 59 * S, '9m59s'],
    [10 * M + 30 * S, '10m'],
    [179 * M, '179m'],
    [3 * H, '3h'],
    [4 * H + 5 * M, '4h5m'],
    [7 * H + 59 * M, '7h59m'],
    [8 * H + 30 * M, '8h'],
    [47 * H, '47h'],
    [2 * D, '2d'],
    [3 * D + 4 * H, '3d4h'],
    [8 * D + 5 * H, '8d'],
    [729 * D, '729d'],
    [2 * Y, '2y'],
    [2 * Y + 30 * D, '2y30d'],
    [8 * Y + 100 * D, '8y'],
  ];
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, `${ms}ms`);
});

test('ageSince renders <unknown> for a missing or malformed timestamp', () => {
  const now = Date.parse('2024-05-01T12:00:00Z');
  assert.equal(ageSince(undefined, now), '<unknown>');
  assert.equal(ageSince('not a time', now), '<unknown>');
  assert.equal(ageSince('2024-05-01T11:55:00Z', now), '5m');
});

const now = Date.parse('2024-05-01T12:00:00Z');
const configmaps = (): ResourceType => {
  const t = builtinResourceTypes().find((x) => x.plural === 'configmaps');
  assert.ok(t);
  return t;
};
const cm = (name: string): KubeObject => ({
  metadata: {
    name,
    namespace: 'default',
    labels: { app: 'web' },
    creationTimestamp: '2024-05-01T11:55:00Z',
    managedFields: [{ manager: 'kubectl' }],
  },
  data: { a: '1', b: '2' },
});

test('renderTable returns the meta.k8s.io/v1 Table kubectl prints, with rendered ages', () => {
  const table = renderTable(configmaps(), [cm('one')], {
    now,
    includeObject: 'Metadata',
    resourceVersion: '108',
  });
  assert.equal(table.kind, 'Table');
  assert.equal(table.apiVersion, 'meta.k8s.io/v1');
  assert.deepEqual(table.metadata, { resourceVersion: '108' });
  assert.deepEqual(
    table.columnDefinitions.map((c) => [c.name, c.type, c.format, c.priority]),
    [
      ['Name', 'string', 'name', 0],
      ['Data', 'string', '', 0],
      ['Age', 'string', '', 0],
    ],
  );
  assert.ok(table.columnDefinitions.every((c) => typeof c.description === 'string'));
  assert.deepEqual(table.rows[0]?.cells, ['one', 2, '5m']);
});

test('row.object is PartialObjectMetadata by default, so -A and --show-labels work', () => {
  const table = renderTable(configmaps(), [cm('one')], {
    now,
    includeObject: 'Metadata',
    resourceVersion: '1',
  });
  const object = table.rows[0]?.object;
  assert.equal(object?.['kind'], 'PartialObjectMetadata');
  assert.equal(object?.['apiVersion'], 'meta.k8s.io/v1');
  assert.deepEqual(object?.['metadata'], {
    name: 'one',
    namespace: 'default',
    labels: { app: 'web' },
    creationTimestamp: '2024-05-01T11:55:00Z',
  });
});

test('includeObject=Object (kubectl --sort-by) embeds the full object with its TypeMeta', () => {
  const table = renderTable(configmaps(), [cm('one')], {
    now,
    includeObject: 'Object',
    resourceVersion: '1',
  });
  const object = table.rows[0]?.object;
  assert.equal(object?.['kind'], 'ConfigMap');
  assert.equal(object?.['apiVersion'], 'v1');
  assert.deepEqual(object?.['data'], { a: '1', b: '2' });
});

test('includeObject=None leaves rows without object; continue and remainingItemCount pass through', () => {
  const table = renderTable(configmaps(), [cm('one'), cm('two')], {
    now,
    includeObject: 'None',
    resourceVersion: '9',
    continueToken: 'abc',
    remainingItemCount: 3,
  });
  assert.deepEqual(table.metadata, { resourceVersion: '9', continue: 'abc', remainingItemCount: 3 });
  assert.equal(table.rows.length, 2);
  assert.ok(table.rows.every((r) => !('object' in r)));
});

test('a cell that throws renders null instead of failing the list', () => {
  const type: ResourceType = {
    ...configmaps(),
    columns: [
      {
        name: 'Boom',
        type: 'string',
        cell: () => {
          throw new Error('bad object');
        },
      },
    ],
  };
  const table = renderTable(type, [cm('one')], { now, includeObject: 'None', resourceVersion: '1' });
  assert.deepEqual(table.rows[0]?.cells, [null]);
});

test('wantsTable: kubectl get asks for a Table first; -o yaml, describe and client-node do not', () => {
  assert.equal(
    wantsTable(
      'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json',
    ),
    true,
  );
  assert.equal(wantsTable('application/json;as=Table;v=v1beta1;g=meta.k8s.io'), true);
  assert.equal(wantsTable('application/json'), false);
  assert.equal(wantsTable('application/vnd.kubernetes.protobuf,application/json'), false);
  assert.equal(wantsTable(''), false);
  assert.equal(wantsTable('application/json, application/json;as=Table;v=v1;g=meta.k8s.io'), false);
  assert.equal(
    wantsTable('application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json'),
    false,
  );
});

test('parseAcceptHeader orders by q, keeping the client order for ties, and drops q=0', () => {
  const ranges = parseAcceptHeader('text/plain;q=0.5, application/json;as="Table";v=v1, */*;q=0');
  assert.deepEqual(
    ranges.map((r) => [r.mediaType, r.params['as'], r.q]),
    [
      ['application/json', 'Table', 1],
      ['text/plain', undefined, 0.5],
    ],
  );
});
