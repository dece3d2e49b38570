/**
 * Structural-schema semantics for custom resources (and the top level of built-ins): validation
 * against an OpenAPI v3 schema, unknown-field detection, pruning and defaulting, as
 * apiextensions-apiserver does them. Messages follow kube-openapi's validator as converted by
 * apiextensions `pkg/apiserver/validation/validation.go` kubeOpenAPIResultToFieldErrors, e.g.
 * `spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"`.
 *
 * kube's order for a write is: decode (unknown fields → Strict: 400, Warn: warning), prune,
 * default, validate. `validateAgainstSchema` treats a `null` in a non-nullable field as absent,
 * as pruning removes those first, so its result does not depend on that order.
 */
import { badRequest } from '../status.ts';
import type { ApiError, StatusCause } from '../status.ts';
import type { JSONSchemaProps } from '../types.ts';
import { fieldInvalid, fieldNotSupported, fieldRequired, fieldTypeInvalid } from './builtin-validation.ts';

export interface SchemaValidationOptions {
  /**
   * Whether the request uses fieldValidation=Strict. Unknown fields are reported in every mode:
   * the caller turns them into a 400 (Strict, see `strictDecodingError`), warnings (Warn) or
   * nothing (Ignore); pruning drops them in all three.
   */
  strict: boolean;
}

export interface SchemaValidationResult {
  /** Causes for a 422 Invalid. */
  causes: StatusCause[];
  /** Paths of fields the schema does not know (`spec.foo`, `spec.items[0].bar`, `metadata.foo`). */
  unknownFields: string[];
}

/** The fields of metav1.ObjectMeta; anything else under `metadata` is an unknown field. */
export const OBJECT_META_FIELDS: ReadonlySet<string> = new Set([
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
]);

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const child = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`);
const preserves = (s: JSONSchemaProps): boolean => s['x-kubernetes-preserve-unknown-fields'] === true;
const embedded = (s: JSONSchemaProps): boolean => s['x-kubernetes-embedded-resource'] === true;
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

interface Walk {
  causes: StatusCause[];
  unknown: string[];
}

/**
 * Validates `obj` against `schema`. The root's apiVersion and kind are always allowed and its
 * metadata is checked against ObjectMeta's fields (kube validates metadata separately), as in
 * embedded resources (`x-kubernetes-embedded-resource`).
 */
export function validateAgainstSchema(
  obj: unknown,
  schema: JSONSchemaProps,
  options: SchemaValidationOptions,
): SchemaValidationResult {
  void options.strict; // reporting does not depend on it; see SchemaValidationOptions
  const walk: Walk = { causes: [], unknown: [] };
  if (!isObject(obj)) {
    walk.causes.push(fieldTypeInvalid('', typeName(obj), `body must be of type object: "${typeName(obj)}"`));
  } else {
    validateObject(obj, schema, '', walk, true, true);
  }
  return { causes: walk.causes, unknownFields: walk.unknown };
}

/** kube-openapi's name for a JSON value's type, as printed in type errors. */
function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'string') return 'string';
  return 'object';
}

function matchesType(v: unknown, type: string): boolean {
  switch (type) {
    case 'object':
      return isObject(v);
    case 'array':
      return Array.isArray(v);
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'boolean':
      return typeof v === 'boolean';
    default:
      return true;
  }
}

function validateMetadata(value: unknown, path: string, walk: Walk, trackUnknown: boolean): void {
  if (value === undefined || value === null) return;
  if (!isObject(value)) {
    walk.causes.push(
      fieldTypeInvalid(path, typeName(value), `${path} in body must be of type object: "${typeName(value)}"`),
    );
    return;
  }
  if (!trackUnknown) return;
  for (const k of Object.keys(value)) if (!OBJECT_META_FIELDS.has(k)) walk.unknown.push(child(path, k));
}

function validateObject(
  value: Json,
  schema: JSONSchemaProps,
  path: string,
  walk: Walk,
  trackUnknown: boolean,
  isRoot: boolean,
): void {
  const props = schema.properties ?? {};
  const resourceLike = isRoot || embedded(schema);
  for (const r of schema.required ?? []) {
    const v = value[r];
    if (v === undefined || (v === null && props[r]?.nullable !== true))
      walk.causes.push(fieldRequired(child(path, r)));
  }
  const ap = schema.additionalProperties;
  for (const [k, v] of Object.entries(value)) {
    const p = child(path, k);
    if (resourceLike && k === 'metadata') {
      validateMetadata(v, p, walk, trackUnknown);
      continue;
    }
    const ps = props[k] ?? (typeof ap === 'object' ? ap : undefined);
    if (ps !== undefined) {
      if (v === null && ps.nullable !== true) continue; // pruned by kube before validation
      validateValue(v, ps, p, walk, trackUnknown);
      continue;
    }
    if (resourceLike && (k === 'apiVersion' || k === 'kind')) continue;
    if (ap === true || preserves(schema)) continue;
    if (trackUnknown) walk.unknown.push(p);
  }
}

function validateValue(
  v: unknown,
  s: JSONSchemaProps,
  path: string,
  walk: Walk,
  trackUnknown: boolean,
): void {
  if (v === null) {
    if (s.nullable === true) return;
    const types = declaredTypes(s);
    if (types.length > 0) {
      walk.causes.push(
        fieldTypeInvalid(path, 'null', `${path} in body must be of type ${types.join(',')}: "null"`),
      );
    }
    return;
  }
  const types = declaredTypes(s);
  if (types.length > 0 && !types.some((t) => matchesType(v, t))) {
    const actual = typeName(v);
    walk.causes.push(
      fieldTypeInvalid(path, actual, `${path} in body must be of type ${types.join(',')}: "${actual}"`),
    );
    return;
  }

  if (s.enum !== undefined && !s.enum.some((e) => deepEqual(e, v))) {
    walk.causes.push(
      fieldNotSupported(
        path,
        v,
        s.enum.map((e) => (typeof e === 'string' ? e : JSON.stringify(e))),
      ),
    );
  }
  if (typeof v === 'number') validateNumber(v, s, path, walk);
  if (typeof v === 'string') validateString(v, s, path, walk);
  if (Array.isArray(v)) {
    const minItems = num(s['minItems']);
    const maxItems = num(s['maxItems']);
    if (minItems !== undefined && v.length < minItems) {
      walk.causes.push(
        fieldInvalid(path, v.length, `${path} in body should have at least ${minItems} items`),
      );
    }
    if (maxItems !== undefined && v.length > maxItems) {
      walk.causes.push({
        reason: 'FieldValueTooMany',
        field: path,
        message: `Too many: ${v.length}: must have at most ${maxItems} items`,
      });
    }
    if (s.items !== undefined) {
      const items = s.items;
      v.forEach((item, i) => validateValue(item, items, `${path}[${i}]`, walk, trackUnknown));
    }
  }

  // Value validations in allOf/anyOf/oneOf never declare fields (structural schemas), so they
  // are checked without unknown-field tracking.
  for (const sub of s.allOf ?? []) validateValue(v, sub, path, walk, false);
  if (s.anyOf !== undefined && s.anyOf.length > 0 && !s.anyOf.some((sub) => passes(v, sub, path))) {
    walk.causes.push(fieldInvalid(path, v, `${path} must validate at least one schema (anyOf)`));
  }
  if (
    s.oneOf !== undefined &&
    s.oneOf.length > 0 &&
    s.oneOf.filter((sub) => passes(v, sub, path)).length !== 1
  ) {
    walk.causes.push(fieldInvalid(path, v, `${path} must validate one and only one schema (oneOf)`));
  }

  if (isObject(v)) validateObject(v, s, path, walk, trackUnknown, false);
}

function passes(v: unknown, s: JSONSchemaProps, path: string): boolean {
  const w: Walk = { causes: [], unknown: [] };
  validateValue(v, s, path, w, false);
  return w.causes.length === 0;
}

function declaredTypes(s: JSONSchemaProps): string[] {
  // x-kubernetes-int-or-string is published as type [integer, string] (ConvertJSONSchemaProps).
  if (s['x-kubernetes-int-or-string'] === true) return ['integer', 'string'];
  return s.type ? [s.type] : [];
}

function validateNumber(v: number, s: JSONSchemaProps, path: string, walk: Walk): void {
  const exclusiveMin = s['exclusiveMinimum'] === true;
  const exclusiveMax = s['exclusiveMaximum'] === true;
  if (s.minimum !== undefined && (exclusiveMin ? v <= s.minimum : v < s.minimum)) {
    const op = exclusiveMin ? 'greater than' : 'greater than or equal to';
    walk.causes.push(fieldInvalid(path, v, `${path} in body should be ${op} ${s.minimum}`));
  }
  if (s.maximum !== undefined && (exclusiveMax ? v >= s.maximum : v > s.maximum)) {
    const op = exclusiveMax ? 'less than' : 'less than or equal to';
    walk.causes.push(fieldInvalid(path, v, `${path} in body should be ${op} ${s.maximum}`));
  }
  const multipleOf = num(s['multipleOf']);
  if (multipleOf !== undefined && multipleOf > 0 && !Number.isInteger(v / multipleOf)) {
    walk.causes.push(fieldInvalid(path, v, `${path} in body should be a multiple of ${multipleOf}`));
  }
}

function validateString(v: string, s: JSONSchemaProps, path: string, walk: Walk): void {
  // kube-openapi counts characters (runes), not bytes.
  const length = [...v].length;
  const maxLength = num(s['maxLength']);
  const minLength = num(s['minLength']);
  if (maxLength !== undefined && length > maxLength) {
    walk.causes.push({
      reason: 'FieldValueTooLong',
      field: path,
      message: `Too long: may not be longer than ${maxLength}`,
    });
  }
  if (minLength !== undefined && length < minLength) {
    walk.causes.push(fieldInvalid(path, v, `${path} in body should be at least ${minLength} chars long`));
  }
  const pattern = s['pattern'];
  if (typeof pattern === 'string') {
    let re: RegExp | undefined;
    try {
      re = new RegExp(pattern, 'u');
    } catch {
      re = undefined; // an uncompilable pattern is rejected when the CRD is created
    }
    if (re !== undefined && !re.test(v)) {
      walk.causes.push(fieldInvalid(path, v, `${path} in body should match '${pattern}'`));
    }
  }
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

// ---------------------------------------------------------------------------------------------

/**
 * A copy of `obj` without the fields `schema` does not declare (apiextensions
 * `pkg/apiserver/schema/pruning`): kept are the root's apiVersion/kind/metadata (metadata cut to
 * ObjectMeta's fields), declared properties, additionalProperties, and everything under
 * `x-kubernetes-preserve-unknown-fields`. A `null` in a non-nullable field without a default is
 * dropped too (PruneNonNullableNullsWithoutDefaults). The input is not modified.
 */
export function pruneUnknownFields<T>(obj: T, schema: JSONSchemaProps): T {
  if (!isObject(obj)) return structuredClone(obj);
  return pruneObject(obj, schema, true) as T;
}

function pruneMetadata(v: unknown): unknown {
  if (!isObject(v)) return structuredClone(v);
  const out: Json = {};
  for (const [k, x] of Object.entries(v)) if (OBJECT_META_FIELDS.has(k)) out[k] = structuredClone(x);
  return out;
}

function pruneObject(value: Json, schema: JSONSchemaProps, isRoot: boolean): Json {
  const props = schema.properties ?? {};
  const ap = schema.additionalProperties;
  const resourceLike = isRoot || embedded(schema);
  const out: Json = {};
  for (const [k, v] of Object.entries(value)) {
    if (resourceLike && k === 'metadata') {
      out[k] = pruneMetadata(v);
      continue;
    }
    const ps = props[k] ?? (typeof ap === 'object' ? ap : undefined);
    if (ps !== undefined) {
      if (v === null && ps.nullable !== true && ps['default'] === undefined) continue;
      out[k] = pruneValue(v, ps);
    } else if (resourceLike && (k === 'apiVersion' || k === 'kind')) {
      out[k] = structuredClone(v);
    } else if (ap === true || preserves(schema)) {
      out[k] = structuredClone(v);
    }
  }
  return out;
}

function pruneValue(v: unknown, s: JSONSchemaProps): unknown {
  if (isObject(v)) return pruneObject(v, s, false);
  if (Array.isArray(v) && s.items !== undefined) {
    const items = s.items;
    return v.map((x) => pruneValue(x, items));
  }
  return structuredClone(v);
}

/**
 * A copy of `obj` with schema `default`s filled in where a field is absent (or a non-nullable
 * null), recursively (apiextensions `pkg/apiserver/schema/defaulting`). The input is not modified.
 */
export function applySchemaDefaults<T>(obj: T, schema: JSONSchemaProps): T {
  return defaultValue(structuredClone(obj), schema) as T;
}

function defaultValue(v: unknown, s: JSONSchemaProps): unknown {
  if (isObject(v)) {
    const props = s.properties ?? {};
    for (const [k, ps] of Object.entries(props)) {
      const d = ps['default'];
      if (d !== undefined && (v[k] === undefined || (v[k] === null && ps.nullable !== true))) {
        v[k] = structuredClone(d);
      }
    }
    const ap = s.additionalProperties;
    for (const [k, x] of Object.entries(v)) {
      const ps = props[k] ?? (typeof ap === 'object' ? ap : undefined);
      if (ps !== undefined) v[k] = defaultValue(x, ps);
    }
  } else if (Array.isArray(v) && s.items !== undefined) {
    const items = s.items;
    return v.map((x) =>
      defaultValue(
        x === null && items['default'] !== undefined ? structuredClone(items['default']) : x,
        items,
      ),
    );
  }
  return v;
}

// ---------------------------------------------------------------------------------------------

/** The warning text kube sends per unknown field with fieldValidation=Warn: `unknown field "spec.foo"`. */
export const unknownFieldWarning = (path: string): string => `unknown field "${path}"`;

/**
 * The 400 kube returns with fieldValidation=Strict, e.g.
 * `Device in version "v1beta1" cannot be handled as a Device: strict decoding error: unknown field "spec.foo", unknown field "spec.bar"`.
 */
export function strictDecodingError(kind: string, version: string, unknownFields: string[]): ApiError {
  return badRequest(
    `${kind} in version "${version}" cannot be handled as a ${kind}: strict decoding error: ${unknownFields
      .map(unknownFieldWarning)
      .join(', ')}`,
  );
}
