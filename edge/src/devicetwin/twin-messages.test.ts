import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildDelta, buildGetResult, formatLastOnline } from './twin-messages.ts';
import type { StoredTwin } from './stored-twin.ts';

function twin(name: string, over: Partial<StoredTwin>): StoredTwin {
  return { name, description: '', optional: true, attrType: 'string', ...over };
}

const base = { event_id: 'e', timestamp: 5 };

test('the delta names every twin whose desired value differs from the reported one (BuildDeviceTwinDelta)', () => {
  const twins = {
    differs: twin('differs', { expected: '25', actual: '20', expectedVersion: { cloud: 3, edge: 0 } }),
    unreported: twin('unreported', { expected: 'on' }),
    converged: twin('converged', { expected: '1', actual: '1' }),
    reportOnly: twin('reportOnly', { actual: '9' }),
    gone: twin('gone', { expected: '3', attrType: 'deleted' }),
  };
  const delta = buildDelta(base, twins);
  assert.deepEqual(delta?.delta, { differs: '25', unreported: 'on' });
  // The twin map holds every live twin with a desired value, without versions.
  assert.deepEqual(Object.keys(delta?.twin ?? {}).sort(), ['converged', 'differs', 'unreported']);
  assert.equal(delta?.twin['differs']?.expected_version, undefined);
  assert.equal(delta?.event_id, 'e');
});

test('no delta when everything converged', () => {
  assert.equal(
    buildDelta(base, { a: twin('a', { expected: '1', actual: '1' }), b: twin('b', { actual: '2' }) }),
    undefined,
  );
  assert.equal(buildDelta(base, {}), undefined);
});

test('get results leave deleted twins and versions out', () => {
  const r = buildGetResult(base, {
    a: twin('a', { actual: '1', actualVersion: { cloud: 0, edge: 4 } }),
    b: twin('b', { attrType: 'deleted' }),
  });
  assert.deepEqual(r, {
    event_id: 'e',
    timestamp: 5,
    twin: { a: { actual: { value: '1' }, optional: true, metadata: { type: 'string' } } },
  });
});

test('last_online is KubeEdge format, UTC', () => {
  assert.equal(formatLastOnline(Date.UTC(2026, 0, 2, 3, 4, 5, 678)), '2026-01-02 03:04:05');
});
