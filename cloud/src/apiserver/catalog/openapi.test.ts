import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject, ResourceType } from '../types.ts';
import { builtinResourceTypes } from './builtin-resources.ts';
import { resourceTypesFromCrd } from './crd-resource-types.ts';
import {
  groupVersionPath,
  openApiV3Document,
  openApiV3Documents,
  openApiV3Index,
  schemaName,
} from './openapi.ts';

type Json = Record<string, unknown>;
const rec = (v: unknown): Json => (typeof v === 'object' && v !== null ? (v as Json) : {});

const widgetCrd: KubeObject = {
  metadata: { name: 'widgets.example.com' },
  spec: {
    group: 'example.com',
    scope: 'Namespaced',
    names: { plural: 'widgets', kind: 'Widget' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: 'object',
            description: 'A widget.',
            properties: {
              metadata: { type: 'object' },
              spec: { type: 'object', properties: { size: { type: 'integer' } } },
            },
          },
        },
      },
    ],
  },
};
const deviceCrd: KubeObject = {
  metadata: { name: 'devices.devices.kubeedge.io' },
  spec: {
    group: 'devices.kubeedge.io',
    scope: 'Namespaced',
    names: { plural: 'devices', kind: 'Device' },
    versions: [
      { name: 'v1beta1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } },
    ],
  },
};

/** kubectl's check (query_param_verifier_v3.go): some PATCH op carries the GVK and a fieldValidation query parameter. */
function supportsFieldValidation(doc: Json, gvk: { group: string; version: string; kind: string }): boolean {
  return Object.values(rec(doc['paths'])).some((item) => {
    const patch = rec(rec(item)['patch']);
    const ext = rec(patch['x-kubernetes-group-version-kind']);
    if (ext['group'] !== gvk.group || ext['version'] !== gvk.version || ext['kind'] !== gvk.kind)
      return false;
    const params = Array.isArray(patch['parameters']) ? (patch['parameters'] as Json[]) : [];
    return params.some((p) => p['name'] === 'fieldValidation' && p['in'] === 'query');
  });
}

/** kubectl explain's lookup: a components.schemas entry listing the GVK, with description and properties. */
function explainSchema(doc: Json, gvk: { group: string; version: string; kind: string }): Json | undefined {
  return Object.values(rec(rec(doc['components'])['schemas']))
    .map(rec)
    .find((s) => {
      const list = Array.isArray(s['x-kubernetes-group-version-kind'])
        ? (s['x-kubernetes-group-version-kind'] as Json[])
        : [];
      return list.some(
        (g) => g['group'] === gvk.group && g['version'] === gvk.version && g['kind'] === gvk.kind,
      );
    });
}

function byGroupVersion(types: ResourceType[]): Map<string, ResourceType[]> {
  const m = new Map<string, ResourceType[]>();
  for (const t of types) m.set(groupVersionPath(t), [...(m.get(groupVersionPath(t)) ?? []), t]);
  return m;
}

test('every kind has a PATCH operation with its GVK and the fieldValidation parameter, so kubectl sends Strict', () => {
  const types = [...builtinResourceTypes(), ...resourceTypesFromCrd(widgetCrd)];
  for (const [, gvTypes] of byGroupVersion(types)) {
    const doc = openApiV3Document(gvTypes);
    assert.equal(doc['openapi'], '3.0.0');
    for (const t of gvTypes) {
      assert.ok(
        supportsFieldValidation(doc, { group: t.group, version: t.version, kind: t.kind }),
        `${t.kind} PATCH`,
      );
    }
  }
});

test('item paths follow the REST layout, namespaced or not, with status subresources', () => {
  const core = builtinResourceTypes().filter((t) => t.group === '');
  const paths = Object.keys(rec(openApiV3Document(core)['paths']));
  for (const p of [
    '/api/v1/namespaces/{namespace}/configmaps/{name}',
    '/api/v1/namespaces/{namespace}/pods/{name}/status',
    '/api/v1/nodes/{name}',
    '/api/v1/namespaces/{name}',
    '/api/v1/namespaces/{namespace}/configmaps',
  ]) {
    assert.ok(paths.includes(p), p);
  }
  const patch = rec(
    rec(rec(openApiV3Document(core)['paths'])['/api/v1/namespaces/{namespace}/configmaps/{name}'])['patch'],
  );
  assert.equal(patch['operationId'], 'patchCoreV1NamespacedConfigMap');
  assert.deepEqual(patch['x-kubernetes-group-version-kind'], { group: '', kind: 'ConfigMap', version: 'v1' });
  const contentTypes = Object.keys(rec(rec(patch['requestBody'])['content']));
  assert.ok(contentTypes.includes('application/strategic-merge-patch+json'));
});

test('custom resources do not advertise strategic merge patch', () => {
  const doc = openApiV3Document(resourceTypesFromCrd(widgetCrd));
  const patch = rec(
    rec(rec(doc['paths'])['/apis/example.com/v1/namespaces/{namespace}/widgets/{name}'])['patch'],
  );
  assert.equal(patch['operationId'], 'patchExampleComV1NamespacedWidget');
  assert.deepEqual(Object.keys(rec(rec(patch['requestBody'])['content'])).sort(), [
    'application/apply-patch+yaml',
    'application/json-patch+json',
    'application/merge-patch+json',
  ]);
});

test('components.schemas are named like kube and hold what kubectl explain needs', () => {
  const pod = builtinResourceTypes().find((t) => t.plural === 'pods');
  const deploy = builtinResourceTypes().find((t) => t.plural === 'deployments');
  const crd = builtinResourceTypes().find((t) => t.plural === 'customresourcedefinitions');
  const device = resourceTypesFromCrd(deviceCrd)[0];
  assert.ok(pod && deploy && crd && device);
  assert.equal(schemaName(pod), 'io.k8s.api.core.v1.Pod');
  assert.equal(schemaName(deploy), 'io.k8s.api.apps.v1.Deployment');
  assert.equal(
    schemaName(crd),
    'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition',
  );
  assert.equal(schemaName(device), 'io.kubeedge.devices.v1beta1.Device');
  assert.equal(
    schemaName({ group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', crdName: undefined }),
    'io.k8s.api.coordination.v1.Lease',
  );

  const doc = openApiV3Document(builtinResourceTypes().filter((t) => t.group === ''));
  const podSchema = rec(rec(rec(doc['components'])['schemas'])['io.k8s.api.core.v1.Pod']);
  assert.deepEqual(podSchema['x-kubernetes-group-version-kind'], [{ group: '', kind: 'Pod', version: 'v1' }]);
  assert.match(String(podSchema['description']), /collection of containers/);
  assert.deepEqual(Object.keys(rec(podSchema['properties'])), [
    'apiVersion',
    'kind',
    'metadata',
    'spec',
    'status',
  ]);
  // metadata points at ObjectMeta, which the document carries, so explain pods.metadata resolves.
  assert.deepEqual(rec(rec(podSchema['properties'])['metadata'])['allOf'], [
    { $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' },
  ]);
  assert.ok(rec(rec(doc['components'])['schemas'])['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta']);
  assert.ok(explainSchema(doc, { group: '', version: 'v1', kind: 'ConfigMap' }));

  const crdDoc = openApiV3Document(resourceTypesFromCrd(widgetCrd));
  const widget = explainSchema(crdDoc, { group: 'example.com', version: 'v1', kind: 'Widget' });
  assert.equal(widget?.['description'], 'A widget.');
  assert.deepEqual(rec(rec(rec(widget?.['properties'])['spec'])['properties'])['size'], { type: 'integer' });
});

test('every $ref in a document resolves within it', () => {
  const docs = openApiV3Documents([...builtinResourceTypes(), ...resourceTypesFromCrd(widgetCrd)]);
  for (const { path, document } of docs.values()) {
    const schemas = rec(rec(document['components'])['schemas']);
    const refs = JSON.stringify(document).match(/"#\/components\/schemas\/[^"]+"/g) ?? [];
    for (const r of refs) assert.ok(schemas[r.slice('"#/components/schemas/'.length, -1)], `${path}: ${r}`);
  }
});

test('the index lists each group-version with a content hash that changes when a CRD is added', () => {
  const builtins = builtinResourceTypes();
  const before = openApiV3Index(builtins);
  assert.deepEqual(Object.keys(before.paths), [
    'api/v1',
    'apis/apiextensions.k8s.io/v1',
    'apis/apps/v1',
    'apis/coordination.k8s.io/v1',
    'apis/discovery.k8s.io/v1',
  ]);
  const url = before.paths['api/v1']?.serverRelativeURL ?? '';
  assert.match(url, /^\/openapi\/v3\/api\/v1\?hash=[0-9A-F]{128}$/);
  // Stable for the same types (kubectl caches by URL), whatever their order.
  assert.deepEqual(openApiV3Index([...builtins].reverse()), before);

  const after = openApiV3Index([...builtins, ...resourceTypesFromCrd(widgetCrd)]);
  assert.ok(after.paths['apis/example.com/v1']);
  assert.equal(after.paths['api/v1']?.serverRelativeURL, url);

  const twoKinds = openApiV3Index([
    ...builtins,
    ...resourceTypesFromCrd(widgetCrd),
    ...resourceTypesFromCrd({
      ...widgetCrd,
      metadata: { name: 'gadgets.example.com' },
      spec: { ...rec(widgetCrd['spec']), names: { plural: 'gadgets', kind: 'Gadget' } },
    }),
  ]);
  assert.notEqual(
    twoKinds.paths['apis/example.com/v1']?.serverRelativeURL,
    after.paths['apis/example.com/v1']?.serverRelativeURL,
  );
});
