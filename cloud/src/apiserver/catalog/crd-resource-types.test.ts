import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { exampleManifestPaths, kubeEdgeCrds } from '@edgeproof/crds';
import type { StatusCause } from '../status.ts';
import type { KubeObject } from '../types.ts';
import { evaluateJsonPath, parseJsonPath, resourceTypesFromCrd, validateCrd } from './crd-resource-types.ts';
import { pruneUnknownFields, validateAgainstSchema } from './schema-validation.ts';
import { renderTable } from './table.ts';

const now = Date.parse('2024-05-01T12:00:00Z');
const lines = (causes: StatusCause[]): string[] => causes.map((c) => `${c.field}: ${c.message}`);

/** A small KubeEdge-like Device CRD: two versions, printer columns, status subresource. */
function deviceCrd(): KubeObject {
  const schema = {
    type: 'object',
    description: 'Device is the Schema for the devices API',
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { type: 'object' },
      spec: {
        type: 'object',
        properties: {
          deviceModelRef: { type: 'object', properties: { name: { type: 'string' } } },
          nodeName: { type: 'string' },
          protocol: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
          replicas: { type: 'integer' },
          properties: {
            type: 'array',
            items: { type: 'object', properties: { name: { type: 'string' }, value: { type: 'string' } } },
          },
        },
      },
      status: {
        type: 'object',
        properties: {
          lastOnlineTime: { type: 'string' },
          online: { type: 'boolean' },
          conditions: {
            type: 'array',
            items: { type: 'object', properties: { type: { type: 'string' }, status: { type: 'string' } } },
          },
        },
      },
    },
  };
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'devices.devices.kubeedge.io' },
    spec: {
      group: 'devices.kubeedge.io',
      scope: 'Namespaced',
      names: { plural: 'devices', kind: 'Device', shortNames: ['dev'], categories: ['kubeedge'] },
      versions: [
        {
          name: 'v1alpha2',
          served: true,
          storage: false,
          schema: { openAPIV3Schema: schema },
        },
        {
          name: 'v1beta1',
          served: true,
          storage: true,
          subresources: { status: {} },
          selectableFields: [{ jsonPath: '.spec.nodeName' }],
          schema: { openAPIV3Schema: schema },
          additionalPrinterColumns: [
            { name: 'Node', type: 'string', jsonPath: '.spec.nodeName' },
            { name: 'Model', type: 'string', jsonPath: '.spec.deviceModelRef.name' },
            { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
            { name: 'Online', type: 'boolean', jsonPath: '.status.online' },
            { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
            { name: 'First-Prop', type: 'string', priority: 1, jsonPath: '.spec.properties[0].name' },
            { name: 'Protocol', type: 'string', priority: 1, jsonPath: '.spec.protocol' },
            { name: 'Last-Online', type: 'date', jsonPath: '.status.lastOnlineTime' },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
        },
        { name: 'v1alpha1', served: false, storage: false, schema: { openAPIV3Schema: schema } },
      ],
    },
  };
}

test('one resource type per served version, with the CRD names, scope and subresources', () => {
  const types = resourceTypesFromCrd(deviceCrd());
  assert.deepEqual(
    types.map((t) => t.version),
    ['v1alpha2', 'v1beta1'],
  );
  const t = types[1];
  assert.ok(t);
  assert.deepEqual(
    {
      group: t.group,
      plural: t.plural,
      singular: t.singular,
      kind: t.kind,
      listKind: t.listKind,
      namespaced: t.namespaced,
      shortNames: t.shortNames,
      categories: t.categories,
      statusSubresource: t.statusSubresource,
      crdName: t.crdName,
      storageVersion: t.storageVersion,
      fieldSelectors: t.fieldSelectors,
      tracksGeneration: t.tracksGeneration,
    },
    {
      group: 'devices.kubeedge.io',
      plural: 'devices',
      singular: 'device',
      kind: 'Device',
      listKind: 'DeviceList',
      namespaced: true,
      shortNames: ['dev'],
      categories: ['kubeedge'],
      statusSubresource: true,
      crdName: 'devices.devices.kubeedge.io',
      storageVersion: 'v1beta1',
      fieldSelectors: ['spec.nodeName'],
      tracksGeneration: true,
    },
  );
  assert.equal(t.schema?.description, 'Device is the Schema for the devices API');
  assert.equal(types[0]?.statusSubresource, false);
});

test('printer columns render like kube: strings, filters, booleans, integers, JSON for objects, dates as ages', () => {
  const t = resourceTypesFromCrd(deviceCrd())[1];
  assert.ok(t);
  const device: KubeObject = {
    apiVersion: 'devices.kubeedge.io/v1beta1',
    kind: 'Device',
    metadata: { name: 'thermo-01', namespace: 'default', creationTimestamp: '2024-05-01T11:00:00Z' },
    spec: {
      nodeName: 'edge-1',
      deviceModelRef: { name: 'thermometer' },
      replicas: 2,
      properties: [{ name: 'temperature' }],
      protocol: { protocolName: 'modbus', configData: { slaveID: 1 } },
    },
    status: {
      online: true,
      lastOnlineTime: '2024-05-01T11:59:30Z',
      conditions: [
        { type: 'Synced', status: 'False' },
        { type: 'Ready', status: 'True' },
      ],
    },
  };
  const table = renderTable(t, [device], { now, includeObject: 'Object', resourceVersion: '5' });
  assert.deepEqual(
    table.columnDefinitions.map((c) => [c.name, c.type, c.priority]),
    [
      ['Name', 'string', 0],
      ['Node', 'string', 0],
      ['Model', 'string', 0],
      ['Ready', 'string', 0],
      ['Online', 'boolean', 0],
      ['Replicas', 'integer', 0],
      ['First-Prop', 'string', 1],
      ['Protocol', 'string', 1],
      ['Last-Online', 'date', 0],
      ['Age', 'date', 0],
    ],
  );
  assert.equal(
    table.columnDefinitions[1]?.description,
    'Custom resource definition column (in JSONPath format): .spec.nodeName',
  );
  assert.deepEqual(table.rows[0]?.cells, [
    'thermo-01',
    'edge-1',
    'thermometer',
    'True',
    true,
    2,
    'temperature',
    '{"configData":{"slaveID":1},"protocolName":"modbus"}',
    '30s',
    '60m',
  ]);
  assert.equal(table.rows[0]?.object?.['kind'], 'Device');
});

test('missing values and values of the wrong type render as null (kubectl prints <none>)', () => {
  const t = resourceTypesFromCrd(deviceCrd())[1];
  assert.ok(t);
  const bare: KubeObject = {
    metadata: { name: 'bare' },
    spec: { replicas: 'two' },
    status: { lastOnlineTime: 'yesterday' },
  };
  const row = renderTable(t, [bare], { now, includeObject: 'None', resourceVersion: '1' }).rows[0];
  assert.deepEqual(row?.cells, ['bare', null, null, null, null, null, null, null, '<invalid>', null]);
});

test('a version without printer columns gets NAME and AGE, as apiextensions defaults it', () => {
  const t = resourceTypesFromCrd(deviceCrd())[0];
  assert.ok(t);
  assert.deepEqual(
    t.columns.map((c) => c.name),
    ['Name', 'Age'],
  );
  const row = renderTable(t, [{ metadata: { name: 'd', creationTimestamp: '2024-05-01T11:58:00Z' } }], {
    now,
    includeObject: 'None',
    resourceVersion: '1',
  }).rows[0];
  assert.deepEqual(row?.cells, ['d', '2m']);
});

test('cluster-scoped CRDs and defaulted names', () => {
  const crd = deviceCrd();
  const spec = crd['spec'] as Record<string, unknown>;
  spec['scope'] = 'Cluster';
  spec['names'] = { plural: 'devices', kind: 'Device', singular: 'dev1ce', listKind: 'DeviceCollection' };
  const t = resourceTypesFromCrd(crd)[0];
  assert.deepEqual(
    [t?.namespaced, t?.singular, t?.listKind, t?.shortNames],
    [false, 'dev1ce', 'DeviceCollection', []],
  );
});

test('the JSONPath subset: fields, quoted keys, escaped dots, indexes, wildcards and filters', () => {
  const data = {
    metadata: { labels: { 'app.kubernetes.io/name': 'web' } },
    items: [
      { name: 'a', n: 1, tags: { x: 1 } },
      { name: 'b', n: 5 },
    ],
  };
  const run = (expr: string): unknown[] => evaluateJsonPath(parseJsonPath(expr), data);
  assert.deepEqual(run(".metadata.labels['app.kubernetes.io/name']"), ['web']);
  assert.deepEqual(run('.metadata.labels.app\\.kubernetes\\.io/name'), ['web']);
  assert.deepEqual(run('{.items[1].name}'), ['b']);
  assert.deepEqual(run('.items[-1].n'), [5]);
  assert.deepEqual(run('.items[*].name'), ['a', 'b']);
  assert.deepEqual(run('.items[?(@.n > 2)].name'), ['b']);
  assert.deepEqual(run(".items[?(@.name=='a')].n"), [1]);
  assert.deepEqual(run('.items[?(@.tags)].name'), ['a']);
  assert.deepEqual(run('.nope.deeper'), []);
  assert.throws(() => parseJsonPath('.items[0'), /unterminated/);
  assert.throws(() => parseJsonPath('..name'), /recursive descent/);
});

test('a valid CRD passes validateCrd', () => {
  assert.deepEqual(validateCrd(deviceCrd()), []);
});

test("validateCrd reports kube's CRD errors at kube's paths", () => {
  const crd: KubeObject = {
    metadata: { name: 'widgets.example.com' },
    spec: {
      group: 'example',
      scope: 'Global',
      names: { plural: 'Gadgets', kind: 'Gadget', listKind: 'Gadget', shortNames: ['g_1'] },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: { properties: { list: { type: 'array' } } },
                free: { 'x-kubernetes-preserve-unknown-fields': true },
              },
            },
          },
          additionalPrinterColumns: [{ name: 'X', type: 'text', jsonPath: 'spec.x' }],
        },
        { name: 'V2', served: true, storage: true },
        { name: 'v1', served: false, storage: false, schema: { openAPIV3Schema: { type: 'string' } } },
      ],
    },
  };
  assert.deepEqual(lines(validateCrd(crd)), [
    'metadata.name: Invalid value: "widgets.example.com": must be spec.names.plural+"."+spec.group',
    'spec.group: Invalid value: "example": should be a domain with at least one dot',
    'spec.scope: Unsupported value: "Global": supported values: "Cluster", "Namespaced"',
    "spec.names.plural: Invalid value: \"Gadgets\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
    "spec.names.shortNames[0]: Invalid value: \"g_1\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
    'spec.names.listKind: Invalid value: "Gadget": kind and listKind may not be the same',
    'spec.versions[0].schema.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields',
    'spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[list].items: Required value: must be specified',
    'spec.versions[0].additionalPrinterColumns[0].type: Unsupported value: "text": supported values: "boolean", "date", "integer", "number", "string"',
    'spec.versions[0].additionalPrinterColumns[0].jsonPath: Invalid value: "spec.x": must be a simple json path starting with .',
    "spec.versions[1].name: Invalid value: \"V2\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
    'spec.versions[1].schema.openAPIV3Schema: Required value: schemas are required',
    'spec.versions[2].schema.openAPIV3Schema.type: Invalid value: "string": must be object at the root',
    'spec.versions: Invalid value: "...": must contain unique version names',
    'spec.versions: Invalid value: "...": must have exactly one version marked as storage version',
  ]);
});

test('validateCrd requires group, scope, names and versions', () => {
  assert.deepEqual(lines(validateCrd({ metadata: { name: 'x' }, spec: {} })), [
    'metadata.name: Invalid value: "x": must be spec.names.plural+"."+spec.group',
    'spec.group: Required value',
    'spec.scope: Required value',
    'spec.names.plural: Required value',
    'spec.names.kind: Required value',
    'spec.versions: Required value: must have at least one version',
  ]);
});

test('every KubeEdge CRD shipped in crds/manifests is valid, and the examples validate without unknown fields', () => {
  const crds = kubeEdgeCrds() as unknown as KubeObject[];
  assert.ok(crds.length >= 5);
  const types = crds.flatMap((crd) => {
    assert.deepEqual(validateCrd(crd), [], crd.metadata.name);
    return resourceTypesFromCrd(crd);
  });
  for (const path of exampleManifestPaths()) {
    for (const doc of parseAllDocuments(readFileSync(path, 'utf8'))) {
      const obj = doc.toJS() as KubeObject;
      const t = types.find((x) => `${x.group}/${x.version}` === obj.apiVersion && x.kind === obj.kind);
      assert.ok(t?.schema, `${path}: ${obj.kind} is served`);
      assert.deepEqual(
        validateAgainstSchema(obj, t.schema, { strict: true }),
        { causes: [], unknownFields: [] },
        path,
      );
      assert.deepEqual(pruneUnknownFields(obj, t.schema), obj, `${path} loses nothing to pruning`);
    }
  }
});
