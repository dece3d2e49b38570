import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { InvalidInputError } from '@edgeproof/core';
import { parseAllDocuments } from 'yaml';
import {
  COMMAND_ARGS_OPERATORS,
  IMAGE_COMPONENTS,
  MANIFEST_CONDITIONS,
  OVERRIDER_OPERATORS,
  PROPERTY_ACCESS_MODES,
  PROPERTY_TYPES,
  crdManifestPaths,
  exampleManifestPaths,
  kubeEdgeCrds,
  parseCrdManifest,
} from './index.ts';
import type {
  CustomResourceDefinition,
  Device,
  DeviceModel,
  EdgeApplication,
  JSONSchemaProps,
  KubeObject,
  ModelProperty,
  NodeGroup,
} from './index.ts';

// What KubeEdge's own manifests say (sources cited at the top of each file in crds/manifests/).
const EXPECTED = [
  {
    name: 'devices.devices.kubeedge.io',
    kind: 'Device',
    singular: 'device',
    scope: 'Namespaced',
    version: 'v1beta1',
    shortNames: [],
    status: false,
  },
  {
    name: 'devicemodels.devices.kubeedge.io',
    kind: 'DeviceModel',
    singular: 'devicemodel',
    scope: 'Namespaced',
    version: 'v1beta1',
    shortNames: [],
    status: false,
  },
  {
    name: 'devicestatuses.devices.kubeedge.io',
    kind: 'DeviceStatus',
    singular: 'devicestatus',
    scope: 'Namespaced',
    version: 'v1beta1',
    shortNames: [],
    status: false,
  },
  {
    name: 'objectsyncs.reliablesyncs.kubeedge.io',
    kind: 'ObjectSync',
    singular: 'objectsync',
    scope: 'Namespaced',
    version: 'v1alpha1',
    shortNames: [],
    status: true,
  },
  {
    name: 'clusterobjectsyncs.reliablesyncs.kubeedge.io',
    kind: 'ClusterObjectSync',
    singular: 'clusterobjectsync',
    scope: 'Cluster',
    version: 'v1alpha1',
    shortNames: [],
    status: true,
  },
  {
    name: 'nodegroups.apps.kubeedge.io',
    kind: 'NodeGroup',
    singular: 'nodegroup',
    scope: 'Cluster',
    version: 'v1alpha1',
    shortNames: ['ng'],
    status: true,
  },
  {
    name: 'edgeapplications.apps.kubeedge.io',
    kind: 'EdgeApplication',
    singular: 'edgeapplication',
    scope: 'Namespaced',
    version: 'v1alpha1',
    shortNames: ['eapp'],
    status: true,
  },
] as const;

// ---------------------------------------------------------------------------------------------
// Test helpers: a structural-schema check and a minimal instance check. The full validator
// (defaults, pruning, CEL) lives in cloud; these only keep the manifests and examples honest.
// ---------------------------------------------------------------------------------------------

const INT_OR_STRING_ANY_OF = [{ type: 'integer' }, { type: 'string' }];

/**
 * Problems that make a schema non-structural, after the rules of
 * https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#specifying-a-structural-schema
 */
function structuralProblems(node: JSONSchemaProps, path: string): string[] {
  const problems: string[] = [];
  const intOrString = node['x-kubernetes-int-or-string'] === true;
  const preserve = node['x-kubernetes-preserve-unknown-fields'];
  if (preserve !== undefined && preserve !== true)
    problems.push(`${path}: preserve-unknown-fields must be true`);
  if (node.type === undefined && !intOrString && preserve !== true) problems.push(`${path}: no type`);
  if (intOrString && node.type !== undefined) problems.push(`${path}: int-or-string with a type`);
  if (node.anyOf !== undefined && !(intOrString && isDeepEqual(node.anyOf, INT_OR_STRING_ANY_OF))) {
    problems.push(`${path}: anyOf other than the int-or-string pattern`);
  }
  for (const junctor of ['allOf', 'oneOf', 'not'] as const) {
    if (node[junctor] !== undefined) problems.push(`${path}: ${junctor} is not used by KubeEdge's CRDs`);
  }
  if (node.properties !== undefined && node.additionalProperties !== undefined) {
    problems.push(`${path}: both properties and additionalProperties`);
  }
  if (node.additionalProperties === false) problems.push(`${path}: additionalProperties: false`);
  if ((node.properties !== undefined || node.additionalProperties !== undefined) && node.type !== 'object') {
    problems.push(`${path}: properties on a non-object`);
  }
  if (node.type === 'array' && node.items === undefined) problems.push(`${path}: array without items`);
  if (node.items !== undefined && node.type !== 'array') problems.push(`${path}: items on a non-array`);
  if (node['x-kubernetes-list-map-keys'] !== undefined && node['x-kubernetes-list-type'] !== 'map') {
    problems.push(`${path}: list-map-keys without list-type map`);
  }
  for (const key of node.required ?? []) {
    if (node.properties?.[key] === undefined) problems.push(`${path}: required "${key}" is not a property`);
  }
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    problems.push(...structuralProblems(child, `${path}.${key}`));
  }
  if (typeof node.additionalProperties === 'object') {
    problems.push(...structuralProblems(node.additionalProperties, `${path}.*`));
  }
  if (node.items !== undefined) problems.push(...structuralProblems(node.items, `${path}[]`));
  return problems;
}

function isDeepEqual(a: unknown, b: unknown): boolean {
  try {
    assert.deepEqual(a, b);
    return true;
  } catch {
    return false;
  }
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Problems of `value` against a schema: types, enums, `required`, unknown fields. */
function instanceProblems(value: unknown, node: JSONSchemaProps, path: string): string[] {
  if (node['x-kubernetes-int-or-string'] === true) {
    return typeof value === 'string' || Number.isInteger(value) ? [] : [`${path}: not an int or string`];
  }
  const problems: string[] = [];
  switch (node.type) {
    case 'object':
      if (!isMapping(value)) return [`${path}: not a mapping`];
      for (const key of node.required ?? []) {
        if (!(key in value)) problems.push(`${path}: missing required "${key}"`);
      }
      for (const [key, child] of Object.entries(value)) {
        const childSchema =
          node.properties?.[key] ??
          (typeof node.additionalProperties === 'object' ? node.additionalProperties : undefined);
        if (childSchema !== undefined)
          problems.push(...instanceProblems(child, childSchema, `${path}.${key}`));
        else if (node['x-kubernetes-preserve-unknown-fields'] !== true) {
          problems.push(`${path}: unknown field "${key}"`);
        }
      }
      break;
    case 'array':
      if (!Array.isArray(value)) return [`${path}: not a list`];
      value.forEach((item, i) => {
        if (node.items !== undefined) problems.push(...instanceProblems(item, node.items, `${path}[${i}]`));
      });
      break;
    case 'string':
      if (typeof value !== 'string') return [`${path}: not a string`];
      if (node.pattern !== undefined && !new RegExp(node.pattern).test(value)) {
        problems.push(`${path}: does not match ${node.pattern}`);
      }
      break;
    case 'integer':
      if (!Number.isInteger(value)) return [`${path}: not an integer`];
      break;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) return [`${path}: not a number`];
      break;
    case 'boolean':
      if (typeof value !== 'boolean') return [`${path}: not a boolean`];
      break;
    case undefined:
      break; // preserve-unknown-fields without a type: anything goes
  }
  if (node.enum !== undefined && !node.enum.includes(value)) {
    problems.push(`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(node.enum)}`);
  }
  if (node.minimum !== undefined && typeof value === 'number' && value < node.minimum) {
    problems.push(`${path}: below ${node.minimum}`);
  }
  return problems;
}

/** Problems of a whole object against its CRD: metadata and scope as the API server sees them. */
function objectProblems(object: KubeObject, crd: CustomResourceDefinition): string[] {
  const version = crd.spec.versions.find((v) => `${crd.spec.group}/${v.name}` === object.apiVersion);
  if (version === undefined) return [`${object.apiVersion} is not a version of ${crd.metadata.name}`];
  const schema = version.schema?.openAPIV3Schema;
  if (schema === undefined) return [`${crd.metadata.name} ${version.name} has no schema`];
  const problems: string[] = [];
  const { metadata, ...rest } = object;
  if (typeof metadata.name !== 'string' || metadata.name === '') problems.push('metadata.name is missing');
  if (crd.spec.scope === 'Cluster' && metadata.namespace !== undefined) {
    problems.push('metadata.namespace is set on a cluster-scoped object');
  }
  for (const field of ['labels', 'annotations'] as const) {
    const map = metadata[field];
    if (map !== undefined && !Object.values(map).every((v) => typeof v === 'string')) {
      problems.push(`metadata.${field} values must be strings`);
    }
  }
  // metadata is validated by the API server itself; the schema restricts everything else.
  const { metadata: _metadataSchema, ...properties } = schema.properties ?? {};
  problems.push(...instanceProblems(rest, { ...schema, properties }, ''));
  return problems;
}

/** The schema node at `path` in the storage version ('[]' steps into items). */
function schemaAt(crd: CustomResourceDefinition, path: string[]): JSONSchemaProps {
  const version = crd.spec.versions.find((v) => v.storage);
  let node = version?.schema?.openAPIV3Schema;
  for (const step of path) node = step === '[]' ? node?.items : node?.properties?.[step];
  assert.ok(node, `${crd.metadata.name}: no schema at ${path.join('.')}`);
  return node;
}

function crdNamed(crds: CustomResourceDefinition[], name: string): CustomResourceDefinition {
  const crd = crds.find((c) => c.metadata.name === name);
  assert.ok(crd, `no CRD ${name}`);
  return crd;
}

function crdFor(crds: CustomResourceDefinition[], object: KubeObject): CustomResourceDefinition {
  const crd = crds.find(
    (c) => c.spec.names.kind === object.kind && object.apiVersion.startsWith(`${c.spec.group}/`),
  );
  assert.ok(crd, `no CRD serves ${object.apiVersion} ${object.kind}`);
  return crd;
}

function loadExamples(): { file: string; object: KubeObject }[] {
  return exampleManifestPaths().flatMap((path) =>
    parseAllDocuments(readFileSync(path, 'utf8')).map((doc) => {
      assert.deepEqual(doc.errors, [], `${basename(path)} is not valid YAML`);
      return { file: basename(path), object: doc.toJS() as KubeObject };
    }),
  );
}

// ---------------------------------------------------------------------------------------------

describe('kubeEdgeCrds', () => {
  const crds = kubeEdgeCrds();

  it('loads one CRD per manifest file, the seven KubeEdge CRDs edgeproof serves', () => {
    assert.equal(crds.length, crdManifestPaths().length);
    assert.deepEqual(crds.map((c) => c.metadata.name).sort(), EXPECTED.map((e) => e.name).sort());
  });

  const PRINTER_COLUMNS: Record<string, string[] | undefined> = {
    'devices.devices.kubeedge.io': ['Node', 'Model', 'Protocol', 'Age'],
    'devicestatuses.devices.kubeedge.io': ['State', 'Reported', 'Reason', 'Age'],
  };

  for (const e of EXPECTED) {
    it(`gives ${e.name} KubeEdge's group, names, short names, scope and version`, () => {
      const crd = crdNamed(crds, e.name);
      const plural = e.name.split('.')[0] ?? '';
      assert.equal(crd.apiVersion, 'apiextensions.k8s.io/v1');
      assert.equal(crd.kind, 'CustomResourceDefinition');
      assert.equal(crd.spec.group, e.name.slice(plural.length + 1));
      assert.deepEqual(crd.spec.names, {
        kind: e.kind,
        listKind: `${e.kind}List`,
        plural,
        singular: e.singular,
        ...(e.shortNames.length > 0 ? { shortNames: [...e.shortNames] } : {}),
      });
      assert.equal(crd.spec.scope, e.scope);
      assert.deepEqual(
        crd.spec.versions.map((v) => [v.name, v.served, v.storage]),
        [[e.version, true, true]],
      );
    });

    it(`gives ${e.name} KubeEdge's subresources and printer columns only where edgeproof adds them`, () => {
      const version = crd0(crdNamed(crds, e.name));
      assert.deepEqual(version.subresources, e.status ? { status: {} } : undefined);
      // Deliberate difference: Device and DeviceStatus get columns so kubectl shows node and live values.
      const columns = version.additionalPrinterColumns?.map((c) => c.name);
      const expected = PRINTER_COLUMNS[e.name];
      assert.deepEqual(columns, expected);
    });
  }

  for (const crd of crds) {
    it(`has a structural schema for ${crd.metadata.name}`, () => {
      for (const version of crd.spec.versions) {
        const schema = version.schema?.openAPIV3Schema;
        assert.ok(schema);
        assert.equal(schema.type, 'object');
        assert.deepEqual(schema.properties?.metadata, { type: 'object' });
        assert.deepEqual(schema.properties?.apiVersion?.type, 'string');
        assert.deepEqual(schema.properties?.kind?.type, 'string');
        assert.deepEqual(structuralProblems(schema, version.name), []);
      }
    });

    it(`has exactly one storage version for ${crd.metadata.name}`, () => {
      assert.equal(crd.spec.versions.filter((v) => v.storage).length, 1);
    });
  }

  it('keeps the free-form fields KubeEdge keeps', () => {
    const preserved = (crd: string, path: string[]) =>
      assert.equal(schemaAt(crdNamed(crds, crd), path)['x-kubernetes-preserve-unknown-fields'], true);
    const device = 'devices.devices.kubeedge.io';
    preserved(device, ['spec', 'protocol', 'configData']);
    preserved(device, ['spec', 'properties', '[]', 'visitors', 'configData']);
    preserved(device, ['spec', 'properties', '[]', 'pushMethod', 'anomalyDetection']);
    preserved(device, ['status']);
    preserved('devicestatuses.devices.kubeedge.io', ['status', 'extensions']);
    preserved('edgeapplications.apps.kubeedge.io', ['spec', 'workloadTemplate', 'manifests', '[]']);
  });

  it('declares the same value sets as the exported constants', () => {
    const enumAt = (crd: string, path: string[]) => schemaAt(crdNamed(crds, crd), path).enum;
    const model = 'devicemodels.devices.kubeedge.io';
    assert.deepEqual(enumAt(model, ['spec', 'properties', '[]', 'type']), [...PROPERTY_TYPES]);
    assert.deepEqual(enumAt(model, ['spec', 'properties', '[]', 'accessMode']), [...PROPERTY_ACCESS_MODES]);
    const eapp = 'edgeapplications.apps.kubeedge.io';
    for (const target of ['targetNodeGroups', 'targetNodeLabels']) {
      const overriders = ['spec', 'workloadScope', target, '[]', 'overriders'];
      const image = [...overriders, 'imageOverriders', '[]'];
      assert.deepEqual(enumAt(eapp, [...image, 'component']), [...IMAGE_COMPONENTS]);
      assert.deepEqual(enumAt(eapp, [...image, 'operator']), [...OVERRIDER_OPERATORS]);
      assert.deepEqual(enumAt(eapp, [...overriders, 'envOverriders', '[]', 'operator']), [
        ...OVERRIDER_OPERATORS,
      ]);
      for (const list of ['commandOverriders', 'argsOverriders']) {
        assert.deepEqual(enumAt(eapp, [...overriders, list, '[]', 'operator']), [...COMMAND_ARGS_OPERATORS]);
      }
    }
    assert.deepEqual(enumAt(eapp, ['status', 'workloadStatus', '[]', 'conditions']), [
      ...MANIFEST_CONDITIONS,
    ]);
  });

  it('returns fresh objects, with YAML aliases expanded into independent copies', () => {
    const first = crdNamed(kubeEdgeCrds(), 'edgeapplications.apps.kubeedge.io');
    const scope = ['spec', 'workloadScope'];
    const groupOverriders = schemaAt(first, [...scope, 'targetNodeGroups', '[]', 'overriders']);
    const labelOverriders = schemaAt(first, [...scope, 'targetNodeLabels', '[]', 'overriders']);
    assert.deepEqual(groupOverriders, labelOverriders);
    assert.notEqual(groupOverriders, labelOverriders);
    first.spec.group = 'changed.example.com';
    assert.equal(crdNamed(kubeEdgeCrds(), first.metadata.name).spec.group, 'apps.kubeedge.io');
  });
});

function crd0(crd: CustomResourceDefinition) {
  const version = crd.spec.versions[0];
  assert.ok(version);
  return version;
}

describe('crdManifestPaths', () => {
  it('lists YAML files that each cite the KubeEdge source they were written from', () => {
    const paths = crdManifestPaths();
    assert.equal(paths.length, EXPECTED.length);
    for (const path of paths) {
      assert.match(path, /\/crds\/manifests\/[a-z0-9_]+\.yaml$/);
      assert.match(
        readFileSync(path, 'utf8'),
        /^# Source: kubeedge\/kubeedge \S+\.yaml @ [0-9a-f]{8}/m,
        path,
      );
    }
  });
});

describe('parseCrdManifest', () => {
  const good = readFileSync(crdManifestPaths()[0] ?? '', 'utf8');
  const rejects = (text: string, problem: RegExp) =>
    assert.throws(
      () => parseCrdManifest(text, 'broken.yaml'),
      (err: unknown) => {
        assert.ok(err instanceof InvalidInputError);
        assert.equal(err.code, 'EINVALID');
        assert.match(err.message, /^broken\.yaml: /);
        assert.match(err.message, problem);
        return true;
      },
    );

  it('accepts a shipped manifest', () => {
    assert.equal(parseCrdManifest(good, 'good.yaml').kind, 'CustomResourceDefinition');
  });

  it('rejects invalid YAML, naming the file', () => {
    rejects('spec: [unclosed', /not valid YAML/);
  });

  it('rejects a file with no document or with several', () => {
    rejects('# only a comment\n', /no YAML document/);
    rejects(`${good}\n---\n${good}`, /2 YAML documents/);
  });

  it('rejects something that is not a v1 CustomResourceDefinition', () => {
    rejects('- a\n- b\n', /\(document\) must be a mapping/);
    rejects(good.replace('apiextensions.k8s.io/v1', 'apiextensions.k8s.io/v1beta1'), /apiVersion/);
    rejects(good.replace('kind: CustomResourceDefinition', 'kind: ConfigMap'), /kind is "ConfigMap"/);
  });

  it('rejects a name that is not <plural>.<group>', () => {
    rejects(
      good.replace(/^ {2}name: \S+$/m, '  name: wrong.example.com'),
      /metadata\.name is "wrong\.example\.com"/,
    );
  });

  it('rejects an unknown scope and a version set without exactly one storage version', () => {
    rejects(good.replace(/^ {2}scope: \S+$/m, '  scope: Global'), /spec\.scope is "Global"/);
    rejects(good.replace('storage: true', 'storage: false'), /0 storage versions/);
    rejects(good.replace(/^ {2}versions:$/m, '  versions: []\n  oldVersions:'), /spec\.versions is empty/);
  });
});

describe('example manifests', () => {
  const crds = kubeEdgeCrds();
  const examples = loadExamples();

  it('cover a Modbus and an OPC UA DeviceModel + Device, a NodeGroup and an EdgeApplication', () => {
    const summary = examples.map(({ object }) => {
      const protocol =
        object.kind === 'Device'
          ? (object as Device).spec.protocol?.protocolName
          : object.kind === 'DeviceModel'
            ? (object as DeviceModel).spec.protocol
            : undefined;
      return protocol === undefined ? object.kind : `${object.kind}/${protocol}`;
    });
    assert.deepEqual(summary.sort(), [
      'Device/modbus',
      'Device/opcua',
      'DeviceModel/modbus',
      'DeviceModel/opcua',
      'EdgeApplication',
      'NodeGroup',
    ]);
  });

  for (const { file, object } of examples) {
    it(`${file}: ${object.kind} is served by a CRD and satisfies its schema`, () => {
      const crd = crdFor(crds, object);
      assert.ok(
        crd.spec.versions.some((v) => v.served && `${crd.spec.group}/${v.name}` === object.apiVersion),
        `${object.apiVersion} is not a served version of ${crd.metadata.name}`,
      );
      assert.deepEqual(objectProblems(object, crd), []);
    });
  }

  it('reference each other consistently: models, properties, protocols, node groups', () => {
    const of = <T>(kind: string) => examples.filter((e) => e.object.kind === kind).map((e) => e.object as T);
    const models = of<DeviceModel>('DeviceModel');
    for (const device of of<Device>('Device')) {
      const where = `Device ${device.metadata.name}`;
      const model = models.find(
        (m) =>
          m.metadata.name === device.spec.deviceModelRef?.name &&
          m.metadata.namespace === device.metadata.namespace,
      );
      assert.ok(model, `${where}: its DeviceModel is not among the examples`);
      assert.equal(device.spec.protocol?.protocolName, model.spec.protocol, `${where}: protocol`);
      const names = (device.spec.properties ?? []).map((p) => p.name);
      for (const property of device.spec.properties ?? []) {
        const modelProperty: ModelProperty | undefined = model.spec.properties?.find(
          (p) => p.name === property.name,
        );
        assert.ok(modelProperty, `${where}: property ${property.name} is not in the model`);
        assert.equal(
          property.visitors?.protocolName,
          model.spec.protocol,
          `${where}: ${property.name} visitor`,
        );
        if (property.desired !== undefined) {
          assert.equal(
            modelProperty.accessMode,
            'ReadWrite',
            `${where}: ${property.name} has a desired value`,
          );
        }
      }
      for (const method of device.spec.methods ?? []) {
        for (const name of method.propertyNames ?? [])
          assert.ok(names.includes(name), `${where}: method ${name}`);
      }
    }
    const groups = of<NodeGroup>('NodeGroup').map((g) => g.metadata.name);
    for (const app of of<EdgeApplication>('EdgeApplication')) {
      for (const target of app.spec.workloadScope.targetNodeGroups ?? []) {
        assert.ok(groups.includes(target.name), `EdgeApplication ${app.metadata.name}: group ${target.name}`);
      }
    }
  });
});

describe('the structural check used above', () => {
  it('reports nodes without a type, mixed properties and additionalProperties, and free anyOf', () => {
    const problems = structuralProblems(
      {
        type: 'object',
        required: ['absent'],
        properties: {
          untyped: { description: 'no type' },
          mixed: { type: 'object', properties: {}, additionalProperties: { type: 'string' } },
          either: { anyOf: [{ type: 'string' }, { type: 'boolean' }] },
          list: { type: 'array' },
          free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
          quantity: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
        },
      },
      'root',
    );
    assert.deepEqual(problems, [
      'root: required "absent" is not a property',
      'root.untyped: no type',
      'root.mixed: both properties and additionalProperties',
      'root.either: no type',
      'root.either: anyOf other than the int-or-string pattern',
      'root.list: array without items',
    ]);
  });
});

describe('the instance check used above', () => {
  const crds = kubeEdgeCrds();
  const model = (): DeviceModel => ({
    apiVersion: 'devices.kubeedge.io/v1beta1',
    kind: 'DeviceModel',
    metadata: { name: 'm', namespace: 'default' },
    spec: { protocol: 'modbus', properties: [{ name: 't', type: 'INT', accessMode: 'ReadOnly' }] },
  });

  it('accepts a valid object and rejects wrong enums, types, unknown fields and missing required fields', () => {
    const modelCrd = crdNamed(crds, 'devicemodels.devices.kubeedge.io');
    assert.deepEqual(objectProblems(model(), modelCrd), []);
    const badType = { ...model(), spec: { properties: [{ name: 't', type: 'int' }] } };
    assert.match(objectProblems(badType, modelCrd).join(), /"int" is not one of/);
    const badMinimum = { ...model(), spec: { properties: [{ name: 't', minimum: 0 }] } };
    assert.match(objectProblems(badMinimum, modelCrd).join(), /minimum: not a string/);
    const unknown = { ...model(), spec: { protocolConfigData: {} } };
    assert.match(objectProblems(unknown, modelCrd).join(), /unknown field "protocolConfigData"/);

    const device: Device = {
      apiVersion: 'devices.kubeedge.io/v1beta1',
      kind: 'Device',
      metadata: { name: 'd' },
      spec: { properties: [{ name: 't', desired: { metadata: { timestamp: '1' } } as never }] },
    };
    assert.match(
      objectProblems(device, crdNamed(crds, 'devices.devices.kubeedge.io')).join(),
      /desired: missing required "value"/,
    );

    const eapp = {
      apiVersion: 'apps.kubeedge.io/v1alpha1',
      kind: 'EdgeApplication',
      metadata: { name: 'a' },
    };
    const eappCrd = crdNamed(crds, 'edgeapplications.apps.kubeedge.io');
    assert.match(objectProblems({ ...eapp, spec: {} }, eappCrd).join(), /missing required "workloadScope"/);

    const group = { apiVersion: 'apps.kubeedge.io/v1alpha1', kind: 'NodeGroup', spec: {} };
    const ngCrd = crdNamed(crds, 'nodegroups.apps.kubeedge.io');
    assert.match(
      objectProblems({ ...group, metadata: { name: 'g', namespace: 'x' } }, ngCrd).join(),
      /cluster-scoped/,
    );
  });

  it('accepts a Device in the shape of KubeEdge v1beta1 mapper samples, legacy status twins included', () => {
    // Same shape as kubeedge/mappers-go mappers/kubeedge-v1.15.0/modbus/resource/modbus-instance.yaml:
    // serial configData, cycles in nanoseconds, an MQTT push, and `status.twins` with observedDesired,
    // which v1.23 keeps because Device.status preserves unknown fields.
    const text = `
apiVersion: devices.kubeedge.io/v1beta1
kind: Device
metadata:
  name: rtu-01
  labels: {model: rtu-model}
spec:
  deviceModelRef: {name: rtu-model}
  protocol:
    protocolName: modbus
    configData: {slaveID: 1, serialPort: '/dev/ttyS0', baudRate: 9600, dataBits: 8, parity: even, stopBits: 1}
  nodeName: edge-node
  properties:
    - name: level
      visitors:
        protocolName: modbus
        configData: {register: InputRegister, offset: 4, limit: 1, scale: 1, isSwap: true, isRegisterSwap: true}
      reportCycle: 10000000000
      collectCycle: 10000000000
      reportToCloud: true
      pushMethod:
        mqtt: {address: 'tcp://127.0.0.1:1883', topic: level, qos: 0, retained: false}
        dbMethod:
          influxdb2:
            influxdb2ClientConfig: {url: 'http://127.0.0.1:8086', org: o, bucket: b}
            influxdb2DataConfig: {measurement: m, tag: {unit: cm}, fieldKey: level}
status:
  twins:
    - propertyName: level
      reported: {metadata: {timestamp: '1550049403598', type: int}, value: '20'}
      observedDesired: {metadata: {timestamp: '1550049403598', type: int}, value: '20'}
`;
    const object = parseAllDocuments(text)[0]?.toJS() as KubeObject;
    assert.deepEqual(objectProblems(object, crdNamed(crds, 'devices.devices.kubeedge.io')), []);
  });
});
