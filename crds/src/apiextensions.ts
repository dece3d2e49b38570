// The parts of apiextensions.k8s.io/v1 CustomResourceDefinition that edgeproof reads, with the
// field names of k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1/types.go and
// types_jsonschema.go. Types only.
import type { CRD_SCOPES } from './constants.ts';
import type { KubeObject } from './types.ts';

/** Whether a custom resource lives in a namespace or at cluster level. */
export type CrdScope = (typeof CRD_SCOPES)[number];

/** One node of an OpenAPI v3 schema as a CRD may use it (apiextensions/v1 JSONSchemaProps). */
export type JSONSchemaProps = {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  format?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  required?: string[];
  properties?: Record<string, JSONSchemaProps>;
  additionalProperties?: JSONSchemaProps | boolean;
  items?: JSONSchemaProps;
  anyOf?: JSONSchemaProps[];
  allOf?: JSONSchemaProps[];
  oneOf?: JSONSchemaProps[];
  not?: JSONSchemaProps;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  minProperties?: number;
  maxProperties?: number;
  nullable?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-validations'?: { rule: string; message?: string; messageExpression?: string }[];
};

/** An extra `kubectl get` column (apiextensions/v1 CustomResourceColumnDefinition). */
export type CustomResourceColumnDefinition = {
  name: string;
  type: 'integer' | 'number' | 'string' | 'boolean' | 'date';
  jsonPath: string;
  format?: string;
  description?: string;
  priority?: number;
};

/** Subresources a version enables; `status: {}` splits `.status` off the main resource. */
export type CustomResourceSubresources = {
  status?: Record<string, never>;
  scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath?: string };
};

/** One served version of a custom resource (apiextensions/v1 CustomResourceDefinitionVersion). */
export type CustomResourceDefinitionVersion = {
  name: string;
  served: boolean;
  storage: boolean;
  deprecated?: boolean;
  deprecationWarning?: string;
  schema?: { openAPIV3Schema?: JSONSchemaProps };
  subresources?: CustomResourceSubresources;
  additionalPrinterColumns?: CustomResourceColumnDefinition[];
};

/** The names a custom resource answers to (apiextensions/v1 CustomResourceDefinitionNames). */
export type CustomResourceDefinitionNames = {
  kind: string;
  plural: string;
  listKind?: string;
  singular?: string;
  shortNames?: string[];
  categories?: string[];
};

/** What a CustomResourceDefinition declares (apiextensions/v1 CustomResourceDefinitionSpec). */
export type CustomResourceDefinitionSpec = {
  group: string;
  names: CustomResourceDefinitionNames;
  scope: CrdScope;
  versions: CustomResourceDefinitionVersion[];
  conversion?: { strategy: 'None' | 'Webhook'; webhook?: Record<string, unknown> };
  preserveUnknownFields?: boolean;
};

/** A CustomResourceDefinition object as read from a manifest. */
export type CustomResourceDefinition = KubeObject<CustomResourceDefinitionSpec> & {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
};
