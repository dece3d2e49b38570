import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fieldValue, matchesFieldSelector, parseFieldSelector } from './field-selector.ts';
import { findResource, type ServedResource } from './resources.ts';
import { ApiError } from '@edgeproof/core';

function resource(group: string, plural: string): ServedResource {
  const r = findResource(group, 'v1', plural);
  assert.ok(r, plural);
  return r;
}
const pods = resource('', 'pods');
const nodes = resource('', 'nodes');
const events = resource('', 'events');

const pod = {
  metadata: { name: 'web', namespace: 'default' },
  spec: { nodeName: 'edge-1' },
  status: { phase: 'Running' },
};

test('parses =, == and != terms and the escapes of fields.ParseSelector', () => {
  assert.deepEqual(parseFieldSelector('', pods), []);
  assert.deepEqual(
    parseFieldSelector('spec.nodeName=edge-1,status.phase!=Failed,metadata.name==a\\,b\\=c\\\\', pods),
    [
      { field: 'spec.nodeName', equal: true, value: 'edge-1' },
      { field: 'status.phase', equal: false, value: 'Failed' },
      { field: 'metadata.name', equal: true, value: 'a,b=c\\' },
    ],
  );
  assert.deepEqual(parseFieldSelector('spec.nodeName=', pods), [
    { field: 'spec.nodeName', equal: true, value: '' },
  ]);
});

test('matches like kube: a missing field is the empty string, absent booleans are false', () => {
  const selects = (text: string, object: Record<string, unknown>, r = pods): boolean =>
    matchesFieldSelector(parseFieldSelector(text, r), object);
  assert.equal(selects('spec.nodeName=edge-1', pod), true);
  assert.equal(selects('spec.nodeName=edge-2', pod), false);
  assert.equal(selects('spec.nodeName=edge-1,status.phase!=Succeeded,status.phase!=Failed', pod), true);
  assert.equal(selects('metadata.namespace=default,metadata.name=web', pod), true);
  assert.equal(selects('status.podIP=', pod), true);
  assert.equal(selects('spec.unschedulable=false', { metadata: { name: 'n' } }, nodes), true);
  assert.equal(
    selects('spec.unschedulable=true', { metadata: { name: 'n' }, spec: { unschedulable: true } }, nodes),
    true,
  );
  assert.equal(selects('metadata.namespace=', { metadata: { name: 'n' } }, nodes), true);
  // Event `source` falls back to reportingController (event strategy.go).
  assert.equal(fieldValue({ reportingController: 'edged' }, 'source'), 'edged');
  assert.equal(
    fieldValue({ source: { component: 'kubelet' }, reportingController: 'x' }, 'source'),
    'kubelet',
  );
  assert.equal(
    selects(
      'involvedObject.name=web,involvedObject.kind=Pod',
      { involvedObject: { name: 'web', kind: 'Pod' } },
      events,
    ),
    true,
  );
});

test('a malformed term or a field the kind cannot be selected by is a 400', () => {
  const cases: [string, ServedResource, RegExp][] = [
    ['spec.nodeName', pods, /"spec.nodeName" is not field=value/],
    ['=x', pods, /is not field=value/],
    ['spec.foo=x', pods, /^field label not supported: spec.foo$/],
    ['spec.nodeName=x', nodes, /^field label not supported: spec.nodeName$/],
    ['metadata.name=a=b', pods, /write '=' in a value as \\=/],
    ['metadata.name=a\\x', pods, /only \\\\, \\, and \\= are escapes/],
  ];
  for (const [text, r, message] of cases) {
    assert.throws(
      () => parseFieldSelector(text, r),
      (err: unknown) => err instanceof ApiError && err.code === 400 && message.test(err.message),
      text,
    );
  }
});
