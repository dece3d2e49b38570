/**
 * OpenAPI v3 documents, as much as kubectl reads (kubectl-contract.md §3, §6):
 * - `apply`/`create`/`replace` send `fieldValidation=Strict` only when the group-version's document
 *   has, for the kind, a PATCH operation carrying `x-kubernetes-group-version-kind` and a
 *   `fieldValidation` query parameter (kubectl `resource/query_param_verifier_v3.go`);
 * - `explain` looks the kind up in `components.schemas` by `x-kubernetes-group-version-kind` and
 *   needs `description` and `properties`.
 * Component names follow kube (`io.k8s.api.core.v1.Pod`; for CRDs the reversed group,
 * `io.kubeedge.devices.v1beta1.Device`). The index's `?hash=` is the document's SHA-512, as
 * kube-openapi's handler3 computes it, so a new CRD changes it and kubectl refetches.
 */
import { API_VERSION_DESCRIPTION, KIND_DESCRIPTION, METADATA_DESCRIPTION } from './schema-descriptions.ts';
import { createHash } from 'node:crypto';
import type { JSONSchemaProps, ResourceType } from '../types.ts';

export type OpenApiDocument = Record<string, unknown>;

export interface OpenApiV3Index {
  paths: Record<string, { serverRelativeURL: string }>;
}

export interface OpenApiV3GroupVersion {
  /** The index key and URL path below /openapi/v3/: `api/v1`, `apis/apps/v1`. */
  path: string;
  document: OpenApiDocument;
  /** Upper-case hex SHA-512 of the serialized document; also usable as an ETag. */
  hash: string;
}

const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';
const PATCH = 'io.k8s.apimachinery.pkg.apis.meta.v1.Patch';
const STATUS = 'io.k8s.apimachinery.pkg.apis.meta.v1.Status';
const ref = (name: string): { $ref: string } => ({ $ref: `#/components/schemas/${name}` });

/** `api/v1` for the core group, `apis/<group>/<version>` otherwise. */
export function groupVersionPath(t: Pick<ResourceType, 'group' | 'version'>): string {
  return t.group === '' ? `api/${t.version}` : `apis/${t.group}/${t.version}`;
}

/** Well-known built-in groups whose packages are not `io.k8s.api.<first label of group>`. */
const BUILTIN_PACKAGES: Record<string, string> = {
  '': 'io.k8s.api.core',
  'apiextensions.k8s.io': 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions',
  'apiregistration.k8s.io': 'io.k8s.kube-aggregator.pkg.apis.apiregistration',
};

/** The components.schemas name kube gives a kind. */
export function schemaName(t: Pick<ResourceType, 'group' | 'version' | 'kind' | 'crdName'>): string {
  if (t.crdName === undefined) {
    const pkg =
      BUILTIN_PACKAGES[t.group] ??
      (t.group === '' || t.group.endsWith('.k8s.io') || !t.group.includes('.')
        ? `io.k8s.api.${t.group.split('.')[0] ?? t.group}`
        : t.group.split('.').reverse().join('.'));
    return `${pkg}.${t.version}.${t.kind}`;
  }
  // apiextensions-apiserver builder: reversed group, then version and kind.
  return `${t.group.split('.').reverse().join('.')}.${t.version}.${t.kind}`;
}

/** A compact ObjectMeta, so `kubectl explain <kind>.metadata` has something to show. */
function objectMetaSchema(): JSONSchemaProps {
  const s = (description: string, type = 'string'): JSONSchemaProps => ({ type, description });
  return {
    type: 'object',
    description:
      'ObjectMeta is metadata that all persisted resources must have, which includes all objects users must create.',
    properties: {
      annotations: {
        ...s('Annotations is an unstructured key value map stored with a resource.', 'object'),
        additionalProperties: { type: 'string' },
      },
      creationTimestamp: {
        ...s('CreationTimestamp is a timestamp representing the server time when this object was created.'),
        format: 'date-time',
      },
      deletionGracePeriodSeconds: {
        ...s('Number of seconds allowed for this object to gracefully terminate.', 'integer'),
        format: 'int64',
      },
      deletionTimestamp: {
        ...s('DeletionTimestamp is RFC 3339 date and time at which this resource will be deleted.'),
        format: 'date-time',
      },
      finalizers: {
        ...s('Must be empty before the object is deleted from the registry.', 'array'),
        items: { type: 'string' },
      },
      generateName: s(
        'GenerateName is an optional prefix, used by the server, to generate a unique name ONLY IF the Name field has not been provided.',
      ),
      generation: {
        ...s('A sequence number representing a specific generation of the desired state.', 'integer'),
        format: 'int64',
      },
      labels: {
        ...s(
          'Map of string keys and values that can be used to organize and categorize (scope and select) objects.',
          'object',
        ),
        additionalProperties: { type: 'string' },
      },
      managedFields: {
        ...s(
          'ManagedFields maps workflow-id and version to the set of fields that are managed by that workflow.',
          'array',
        ),
        items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      },
      name: s('Name must be unique within a namespace.'),
      namespace: s('Namespace defines the space within which each name must be unique.'),
      ownerReferences: {
        ...s('List of objects depended by this object.', 'array'),
        items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      },
      resourceVersion: s('An opaque value that represents the internal version of this object.'),
      uid: s('UID is the unique in time and space value for this object.'),
    },
  };
}

function kindSchema(t: ResourceType): JSONSchemaProps {
  const base: JSONSchemaProps = structuredClone(
    t.schema ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
  );
  const properties: Record<string, JSONSchemaProps> = { ...(base.properties ?? {}) };
  properties['apiVersion'] = properties['apiVersion'] ?? {
    type: 'string',
    description: API_VERSION_DESCRIPTION,
  };
  properties['kind'] = properties['kind'] ?? { type: 'string', description: KIND_DESCRIPTION };
  // As kube publishes CRDs: metadata is a reference to ObjectMeta, not the CRD's own stub.
  properties['metadata'] = { description: METADATA_DESCRIPTION, allOf: [ref(OBJECT_META)], default: {} };
  return {
    ...base,
    type: 'object',
    description:
      base.description ??
      `${t.kind} is a ${t.crdName ? 'custom resource' : 'resource'} of ${t.group || 'core'}/${t.version}.`,
    properties,
    'x-kubernetes-group-version-kind': [{ group: t.group, kind: t.kind, version: t.version }],
  };
}

const capitalize = (s: string): string => (s ? s[0]?.toUpperCase() + s.slice(1) : s);

/** kube operationId style: patchCoreV1NamespacedPod, patchAppsV1NamespacedDeployment, patchDevicesKubeedgeIoV1beta1NamespacedDevice. */
function operationId(verb: string, t: ResourceType, suffix = ''): string {
  const group =
    t.group === ''
      ? 'Core'
      : t.group
          .replace(/\.k8s\.io$/, '')
          .split(/[.-]/)
          .map(capitalize)
          .join('');
  return `${verb}${group}${capitalize(t.version)}${t.namespaced ? 'Namespaced' : ''}${t.kind}${suffix}`;
}

const queryParam = (name: string, description: string, type = 'string'): Record<string, unknown> => ({
  name,
  in: 'query',
  description,
  schema: { type, uniqueItems: true },
});
const DRY_RUN = queryParam(
  'dryRun',
  'When present, indicates that modifications should not be persisted. Valid values are: - All: all dry run stages will be processed',
);
const FIELD_MANAGER = queryParam(
  'fieldManager',
  'fieldManager is a name associated with the actor or entity that is making these changes.',
);
const FIELD_VALIDATION = queryParam(
  'fieldValidation',
  'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore - Warn - Strict',
);
const FORCE = queryParam(
  'force',
  'Force is going to "force" Apply requests. It must be unset for non-apply patch requests.',
  'boolean',
);

function pathParams(t: ResourceType): Record<string, unknown>[] {
  const ps: Record<string, unknown>[] = [
    {
      name: 'name',
      in: 'path',
      description: `name of the ${t.kind}`,
      required: true,
      schema: { type: 'string', uniqueItems: true },
    },
  ];
  if (t.namespaced) {
    ps.push({
      name: 'namespace',
      in: 'path',
      description: 'object name and auth scope, such as for teams and projects',
      required: true,
      schema: { type: 'string', uniqueItems: true },
    });
  }
  return ps;
}

function jsonResponse(schema: string, description = 'OK'): Record<string, unknown> {
  return { description, content: { 'application/json': { schema: ref(schema) } } };
}

function operation(
  t: ResourceType,
  action: string,
  verb: string,
  description: string,
  parameters: Record<string, unknown>[],
  responses: Record<string, unknown>,
  extra: Record<string, unknown> = {},
  suffix = '',
): Record<string, unknown> {
  return {
    description,
    operationId: operationId(verb, t, suffix),
    parameters,
    ...extra,
    responses: { ...responses, '401': { description: 'Unauthorized' } },
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': { group: t.group, kind: t.kind, version: t.version },
  };
}

function patchBody(t: ResourceType): Record<string, unknown> {
  // Custom resources do not support strategic merge patch (kube answers 415).
  const types = [
    'application/apply-patch+yaml',
    'application/json-patch+json',
    'application/merge-patch+json',
  ];
  if (t.crdName === undefined) types.push('application/strategic-merge-patch+json');
  return {
    requestBody: {
      content: Object.fromEntries(types.map((c) => [c, { schema: ref(PATCH) }])),
      required: true,
    },
  };
}

function objectBody(name: string): Record<string, unknown> {
  return { requestBody: { content: { '*/*': { schema: ref(name) } }, required: true } };
}

/** Item, collection and status paths of one kind, each with kube's operations. */
function kindPaths(t: ResourceType): Record<string, unknown> {
  const name = schemaName(t);
  const prefix = `/${groupVersionPath(t)}`;
  const collection = t.namespaced ? `${prefix}/namespaces/{namespace}/${t.plural}` : `${prefix}/${t.plural}`;
  const nsParam = t.namespaced ? pathParams(t).slice(1) : [];
  const item = pathParams(t);
  const writeParams = [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION];
  const paths: Record<string, unknown> = {
    [collection]: {
      get: operation(t, 'list', 'list', `list or watch objects of kind ${t.kind}`, [...nsParam], {
        '200': jsonResponse(name),
      }),
      post: operation(
        t,
        'post',
        'create',
        `create a ${t.kind}`,
        [...nsParam, ...writeParams],
        { '200': jsonResponse(name), '201': jsonResponse(name, 'Created') },
        objectBody(name),
      ),
    },
    [`${collection}/{name}`]: {
      get: operation(t, 'get', 'read', `read the specified ${t.kind}`, item, { '200': jsonResponse(name) }),
      put: operation(
        t,
        'put',
        'replace',
        `replace the specified ${t.kind}`,
        [...item, ...writeParams],
        { '200': jsonResponse(name), '201': jsonResponse(name, 'Created') },
        objectBody(name),
      ),
      patch: operation(
        t,
        'patch',
        'patch',
        `partially update the specified ${t.kind}`,
        [...item, ...writeParams, FORCE],
        { '200': jsonResponse(name), '201': jsonResponse(name, 'Created') },
        patchBody(t),
      ),
      delete: operation(t, 'delete', 'delete', `delete a ${t.kind}`, [...item, DRY_RUN], {
        '200': jsonResponse(STATUS),
        '202': jsonResponse(STATUS, 'Accepted'),
      }),
    },
  };
  if (t.statusSubresource) {
    paths[`${collection}/{name}/status`] = {
      get: operation(
        t,
        'get',
        'read',
        `read status of the specified ${t.kind}`,
        item,
        { '200': jsonResponse(name) },
        {},
        'Status',
      ),
      put: operation(
        t,
        'put',
        'replace',
        `replace status of the specified ${t.kind}`,
        [...item, ...writeParams],
        { '200': jsonResponse(name) },
        objectBody(name),
        'Status',
      ),
      patch: operation(
        t,
        'patch',
        'patch',
        `partially update status of the specified ${t.kind}`,
        [...item, ...writeParams, FORCE],
        { '200': jsonResponse(name) },
        patchBody(t),
        'Status',
      ),
    };
  }
  return paths;
}

/** The OpenAPI v3 document of one group-version, from the types it serves. */
export function openApiV3Document(types: ResourceType[]): OpenApiDocument {
  const sorted = [...types].sort((a, b) => (a.plural < b.plural ? -1 : a.plural > b.plural ? 1 : 0));
  const paths: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {
    [OBJECT_META]: objectMetaSchema(),
    [PATCH]: {
      type: 'object',
      description: 'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.',
    },
    [STATUS]: {
      type: 'object',
      description: "Status is a return value for calls that don't return other objects.",
      'x-kubernetes-preserve-unknown-fields': true,
    },
  };
  for (const t of sorted) {
    Object.assign(paths, kindPaths(t));
    schemas[schemaName(t)] = kindSchema(t);
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.0' },
    paths,
    components: { schemas },
  };
}

/** Upper-case hex SHA-512 of the serialized document, as kube-openapi handler3 computes the hash. */
export function openApiV3Hash(document: OpenApiDocument): string {
  return createHash('sha512').update(JSON.stringify(document)).digest('hex').toUpperCase();
}

/** Every group-version's document and hash, keyed by its path (`api/v1`, `apis/apps/v1`). */
export function openApiV3Documents(types: ResourceType[]): Map<string, OpenApiV3GroupVersion> {
  const byPath = new Map<string, ResourceType[]>();
  for (const t of types) {
    const path = groupVersionPath(t);
    byPath.set(path, [...(byPath.get(path) ?? []), t]);
  }
  const out = new Map<string, OpenApiV3GroupVersion>();
  for (const path of [...byPath.keys()].sort()) {
    const document = openApiV3Document(byPath.get(path) ?? []);
    out.set(path, { path, document, hash: openApiV3Hash(document) });
  }
  return out;
}

/** `GET /openapi/v3`: `{"paths":{"api/v1":{"serverRelativeURL":"/openapi/v3/api/v1?hash=…"},…}}`. */
export function openApiV3Index(types: ResourceType[]): OpenApiV3Index {
  const paths: OpenApiV3Index['paths'] = {};
  for (const gv of openApiV3Documents(types).values()) {
    paths[gv.path] = { serverRelativeURL: `/openapi/v3/${gv.path}?hash=${gv.hash}` };
  }
  return { paths };
}
