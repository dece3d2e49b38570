/**
 * Shapes shared by every part of the embedded API server: stored objects and the description of
 * a servable resource type. Kept free of I/O so the catalog, storage and HTTP layers can all use it.
 */

import type { KubeObject } from '@edgeproof/core';

export type { KubeObject, ObjectMeta, OwnerReference } from '@edgeproof/core';

/** OpenAPI v3 schema (the subset CRDs use: apiextensions.k8s.io/v1 JSONSchemaProps). */
export interface JSONSchemaProps {
  type?: string;
  format?: string;
  description?: string;
  properties?: Record<string, JSONSchemaProps>;
  additionalProperties?: boolean | JSONSchemaProps;
  items?: JSONSchemaProps;
  required?: string[];
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  nullable?: boolean;
  allOf?: JSONSchemaProps[];
  anyOf?: JSONSchemaProps[];
  oneOf?: JSONSchemaProps[];
  $ref?: string;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  [key: string]: unknown;
}

export type ColumnType = 'string' | 'integer' | 'number' | 'boolean' | 'date';

/** One column of server-side Table output (meta.k8s.io/v1 TableColumnDefinition + how to fill it). */
export interface TableColumn {
  name: string;
  type: ColumnType;
  format?: string;
  description?: string;
  /** 0 = always shown; >0 = only with `-o wide` (kubectl-contract.md §2). */
  priority?: number;
  /** The cell for one object. `now` is the server clock, for rendering ages ("5m"). */
  cell: (obj: KubeObject, now: number) => string | number | boolean | null;
}

/**
 * Where a kind keeps what its Scale shows (apiextensions.k8s.io/v1 CustomResourceSubresourceScale),
 * as dotted paths without the leading dot.
 */
export interface ScaleSubresource {
  specReplicasPath: string;
  statusReplicasPath: string;
  /** A string label selector, or (for built-ins) a metav1.LabelSelector object. */
  labelSelectorPath?: string;
}

/** A resource type the server can serve: a built-in or one made from a CRD. */
export interface ResourceType {
  /** API group; '' for the core group. */
  group: string;
  version: string;
  /** Plural resource name in URLs, e.g. `pods`. */
  plural: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: string[];
  /** Whether `<plural>/status` is served. */
  statusSubresource: boolean;
  /** The `<plural>/scale` subresource (autoscaling/v1 Scale), when served. */
  scale?: ScaleSubresource;
  /** Server-side Table columns, Name first. */
  columns: TableColumn[];
  /** Schema used for validation and OpenAPI/explain; undefined = any object accepted. */
  schema?: JSONSchemaProps;
  /** Name of the CRD this type comes from; undefined for built-ins. */
  crdName?: string;
  /** Field paths (besides metadata.name/metadata.namespace) usable in field selectors. */
  fieldSelectors: string[];
  /** Whether a spec change bumps metadata.generation (true for kinds with a spec). */
  tracksGeneration: boolean;
  /** Other versions of the same group/kind that are served (CRDs with several versions). */
  storageVersion?: string;
}

/** `group/version`, or just `version` for the core group: the apiVersion string. */
export function apiVersionOf(t: Pick<ResourceType, 'group' | 'version'>): string {
  return t.group === '' ? t.version : `${t.group}/${t.version}`;
}
