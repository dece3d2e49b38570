import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StatusCause } from '../status.ts';
import type { JSONSchemaProps } from '../types.ts';
import {
  applySchemaDefaults,
  pruneUnknownFields,
  strictDecodingError,
  unknownFieldWarning,
  validateAgainstSchema,
} from './schema-validation.ts';

const lines = (causes: StatusCause[]): string[] => causes.map((c) => `${c.field}: ${c.message}`);

/** A KubeEdge-like Widget schema: typed spec, free-form status, int-or-string, enum, bounds. */
const schema: JSONSchemaProps = {
  type: 'object',
  properties: {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata: { type: 'object' },
    spec: {
      type: 'object',
      required: ['replicas'],
      properties: {
        replicas: { type: 'integer', minimum: 0, maximum: 10 },
        mode: { type: 'string', enum: ['Auto', 'Manual'] },
        port: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
        ratio: { type: 'number', minimum: 0, exclusiveMinimum: true },
        name: { type: 'string', maxLength: 5, pattern: '^[a-z]+$' },
        note: { type: 'string', nullable: true },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        items: {
          type: 'array',
          maxItems: 2,
          items: {
            type: 'object',
            required: ['key'],
            properties: { key: { type: 'string' }, value: { type: 'boolean' } },
          },
        },
        extra: {
          type: 'object',
          'x-kubernetes-preserve-unknown-fields': true,
          properties: { known: { type: 'integer' } },
        },
        template: {
          type: 'object',
          'x-kubernetes-embedded-resource': true,
          properties: { spec: { type: 'object', properties: { image: { type: 'string' } } } },
        },
        flag: { type: 'boolean', default: true },
      },
    },
    status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
  },
};

const widget = (
  spec: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): Record<string, unknown> => ({
  apiVersion: 'example.com/v1',
  kind: 'Widget',
  metadata: { name: 'w1', namespace: 'default', labels: { a: 'b' } },
  spec,
  ...extra,
});

test('a valid object has no causes and no unknown fields', () => {
  const obj = widget(
    {
      replicas: 3,
      mode: 'Auto',
      port: 'http',
      ratio: 0.5,
      name: 'abc',
      note: null,
      labels: { x: 'y' },
      items: [{ key: 'k', value: true }],
      extra: { known: 1, anything: { goes: [1, 2] } },
      template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { image: 'nginx' } },
    },
    { status: { whatever: 1 } },
  );
  assert.deepEqual(validateAgainstSchema(obj, schema, { strict: true }), { causes: [], unknownFields: [] });
});

test('a missing required field is "Required value" at its path', () => {
  const r = validateAgainstSchema(widget({}), schema, { strict: true });
  assert.deepEqual(lines(r.causes), ['spec.replicas: Required value']);
  assert.equal(r.causes[0]?.reason, 'FieldValueRequired');
});

test('a wrong type is reported as kube does: Invalid value: "<type>": <path> in body must be of type <t>', () => {
  const r = validateAgainstSchema(widget({ replicas: 'three', items: [{ key: 1 }], port: true }), schema, {
    strict: true,
  });
  assert.deepEqual(lines(r.causes), [
    'spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"',
    'spec.items[0].key: Invalid value: "integer": spec.items[0].key in body must be of type string: "integer"',
    'spec.port: Invalid value: "boolean": spec.port in body must be of type integer,string: "boolean"',
  ]);
  assert.equal(r.causes[0]?.reason, 'FieldValueTypeInvalid');
  assert.deepEqual(lines(validateAgainstSchema(widget({ replicas: 1.5 }), schema, { strict: true }).causes), [
    'spec.replicas: Invalid value: "number": spec.replicas in body must be of type integer: "number"',
  ]);
});

test('enum, bounds, length, pattern and maxItems use kube-openapi wording', () => {
  const r = validateAgainstSchema(
    widget({
      replicas: 11,
      mode: 'Sometimes',
      ratio: 0,
      name: 'TooLongName',
      items: [{ key: 'a' }, { key: 'b' }, { key: 'c' }],
    }),
    schema,
    { strict: true },
  );
  assert.deepEqual(lines(r.causes), [
    'spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10',
    'spec.mode: Unsupported value: "Sometimes": supported values: "Auto", "Manual"',
    'spec.ratio: Invalid value: 0: spec.ratio in body should be greater than 0',
    'spec.name: Too long: may not be longer than 5',
    'spec.name: Invalid value: "TooLongName": spec.name in body should match \'^[a-z]+$\'',
    'spec.items: Too many: 3: must have at most 2 items',
  ]);
  assert.deepEqual(lines(validateAgainstSchema(widget({ replicas: -1 }), schema, { strict: true }).causes), [
    'spec.replicas: Invalid value: -1: spec.replicas in body should be greater than or equal to 0',
  ]);
});

test('unknown fields are collected as paths, in every mode, without failing validation', () => {
  const obj = widget(
    {
      replicas: 1,
      foo: 1,
      items: [{ key: 'k', bar: 2 }],
      labels: { ok: 'x' },
      template: { kind: 'Pod', spec: { image: 'x', cmd: [] } },
    },
    { extra: true, metadata: { name: 'w1', bogus: 1 } },
  );
  const strict = validateAgainstSchema(obj, schema, { strict: true });
  assert.deepEqual(strict.causes, []);
  // In the object's key order.
  assert.deepEqual(strict.unknownFields, [
    'metadata.bogus',
    'spec.foo',
    'spec.items[0].bar',
    'spec.template.spec.cmd',
    'extra',
  ]);
  // Warn mode reads the same list to send warnings; Ignore simply does not use it.
  assert.deepEqual(validateAgainstSchema(obj, schema, { strict: false }).unknownFields, strict.unknownFields);
});

test('x-kubernetes-preserve-unknown-fields keeps unknown fields without reporting them', () => {
  const r = validateAgainstSchema(
    widget({ replicas: 1, extra: { known: 'x', free: { form: true } } }, { status: { any: ['thing'] } }),
    schema,
    {
      strict: true,
    },
  );
  assert.deepEqual(r.unknownFields, []);
  // Known properties under preserve-unknown-fields are still validated.
  assert.deepEqual(lines(r.causes), [
    'spec.extra.known: Invalid value: "string": spec.extra.known in body must be of type integer: "string"',
  ]);
});

test('null is allowed when nullable, and otherwise treated as absent (kube prunes it before validating)', () => {
  assert.deepEqual(
    validateAgainstSchema(widget({ replicas: 1, note: null, mode: null }), schema, { strict: true }).causes,
    [],
  );
  assert.deepEqual(
    lines(validateAgainstSchema(widget({ replicas: null }), schema, { strict: true }).causes),
    ['spec.replicas: Required value'],
  );
});

test('pruneUnknownFields drops undeclared fields and non-nullable nulls, keeps TypeMeta, metadata and preserved trees', () => {
  const obj = widget(
    {
      replicas: 1,
      foo: 1,
      mode: null,
      note: null,
      items: [{ key: 'k', bar: 2 }],
      extra: { known: 1, free: { form: true } },
      template: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'p', junk: 1 },
        spec: { image: 'x', cmd: [] },
      },
    },
    { status: { any: 1 }, extra: true, metadata: { name: 'w1', namespace: 'default', bogus: 1 } },
  );
  const before = structuredClone(obj);
  assert.deepEqual(pruneUnknownFields(obj, schema), {
    apiVersion: 'example.com/v1',
    kind: 'Widget',
    metadata: { name: 'w1', namespace: 'default' },
    spec: {
      replicas: 1,
      note: null,
      items: [{ key: 'k' }],
      extra: { known: 1, free: { form: true } },
      template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { image: 'x' } },
    },
    status: { any: 1 },
  });
  assert.deepEqual(obj, before, 'the input is not modified');
});

test('an object schema without properties prunes everything below it', () => {
  const s: JSONSchemaProps = { type: 'object', properties: { spec: { type: 'object' } } };
  assert.deepEqual(pruneUnknownFields({ apiVersion: 'a/v1', kind: 'K', metadata: {}, spec: { a: 1 } }, s), {
    apiVersion: 'a/v1',
    kind: 'K',
    metadata: {},
    spec: {},
  });
});

test('applySchemaDefaults fills absent fields from `default`', () => {
  const out = applySchemaDefaults(widget({ replicas: 1 }), schema);
  assert.equal((out['spec'] as Record<string, unknown>)['flag'], true);
  const kept = applySchemaDefaults(widget({ replicas: 1, flag: false }), schema);
  assert.equal((kept['spec'] as Record<string, unknown>)['flag'], false);
});

test('strict mode errors and warnings are worded as kube-apiserver words them', () => {
  const err = strictDecodingError('Widget', 'v1', ['spec.foo', 'spec.bar']);
  assert.equal(err.code, 400);
  assert.equal(err.reason, 'BadRequest');
  assert.equal(
    err.message,
    'Widget in version "v1" cannot be handled as a Widget: strict decoding error: unknown field "spec.foo", unknown field "spec.bar"',
  );
  assert.equal(unknownFieldWarning('spec.foo'), 'unknown field "spec.foo"');
});
