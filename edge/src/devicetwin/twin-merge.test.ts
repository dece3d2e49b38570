import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dealVersion, mergeTwins, valueTypeProblem, type MergeOutcome } from './twin-merge.ts';
import type { StoredTwin } from './stored-twin.ts';

const NOW = 1_000;

function ok(r: ReturnType<typeof mergeTwins>): MergeOutcome {
  assert.ok(r.ok, r.ok ? '' : r.reason);
  return r;
}

function twin(over: Partial<StoredTwin> = {}): StoredTwin {
  return { name: 'temp', description: '', optional: true, attrType: 'string', ...over };
}

test('dealVersion: an edge change increments edge; a cloud sync needs versions not older than stored', () => {
  assert.deepEqual(dealVersion({ cloud: 5, edge: 2 }, undefined, 'edge'), {
    ok: true,
    version: { cloud: 5, edge: 3 },
  });
  assert.deepEqual(dealVersion({ cloud: 5, edge: 0 }, { cloud: 6, edge: 0 }, 'cloud'), {
    ok: true,
    version: { cloud: 6, edge: 0 },
  });
  assert.deepEqual(dealVersion({ cloud: 5, edge: 0 }, { cloud: 5, edge: 0 }, 'cloud').ok, true);
  assert.match(
    JSON.stringify(dealVersion({ cloud: 7, edge: 0 }, { cloud: 6, edge: 0 }, 'cloud')),
    /Version not allowed/,
  );
  assert.match(
    JSON.stringify(dealVersion({ cloud: 5, edge: 1 }, { cloud: 6, edge: 0 }, 'cloud')),
    /version conflict/,
  );
  assert.match(
    JSON.stringify(dealVersion({ cloud: 0, edge: 0 }, undefined, 'cloud')),
    /be nil while syncing/,
  );
  assert.deepEqual(dealVersion({ cloud: 3, edge: 1 }, undefined, 'cloudDelete'), {
    ok: true,
    version: { cloud: 3, edge: 1 },
  });
});

test('every reported value from a mapper increments the actual edge version and is reported with the desired value', () => {
  const current = { temp: twin({ expected: '20', expectedVersion: { cloud: 4, edge: 0 } }) };
  const first = ok(mergeTwins(current, { temp: { actual: { value: '18' } } }, 'edge', NOW));
  assert.deepEqual(first.writes['temp']?.actualVersion, { cloud: 0, edge: 1 });
  assert.deepEqual(first.writes['temp']?.actualMeta, { timestamp: NOW });
  const second = ok(
    mergeTwins(
      first.writes,
      { temp: { actual: { value: '18', metadata: { timestamp: 900 } } } },
      'edge',
      NOW + 1,
    ),
  );
  assert.deepEqual(second.writes['temp']?.actualVersion, { cloud: 0, edge: 2 });
  // The mapper's read time is kept.
  assert.deepEqual(second.writes['temp']?.actualMeta, { timestamp: 900 });
  // The same value again is no document, but still a report (the mapper decided to report).
  assert.deepEqual(second.document, {});
  assert.deepEqual(second.report['temp'], {
    actual: { value: '18', metadata: { timestamp: 900 } },
    actual_version: { cloud: 0, edge: 2 },
    expected: { value: '20' },
    expected_version: { cloud: 4, edge: 0 },
    optional: true,
    metadata: { type: 'string' },
  });
  // The mapper's result has no versions.
  assert.equal(second.result['temp']?.actual_version, undefined);
  assert.equal(first.document['temp']?.current?.actual?.value, '18');
});

test('an edge desired value that equals the stored one changes nothing, so the cloud is not locked out', () => {
  const current = { temp: twin({ expected: '20', expectedVersion: { cloud: 4, edge: 0 } }) };
  const echo = ok(mergeTwins(current, { temp: { expected: { value: '20' } } }, 'edge', NOW));
  assert.deepEqual(echo.writes, {});
  // A later cloud change at edge version 0 is still applied.
  const cloud = ok(
    mergeTwins(
      current,
      { temp: { expected: { value: '25' }, expected_version: { cloud: 5, edge: 0 } } },
      'cloud',
      NOW,
    ),
  );
  assert.equal(cloud.writes['temp']?.expected, '25');
  assert.deepEqual(cloud.writes['temp']?.expectedVersion, { cloud: 5, edge: 0 });
});

test('a desired value changed on the edge wins over an older cloud sync, and the cloud is told', () => {
  const current = { temp: twin({ expected: '20', expectedVersion: { cloud: 4, edge: 0 } }) };
  const edge = ok(mergeTwins(current, { temp: { expected: { value: '22' } } }, 'edge', NOW));
  assert.deepEqual(edge.writes['temp']?.expectedVersion, { cloud: 4, edge: 1 });
  assert.equal(edge.report['temp']?.expected?.value, '22');

  const conflict = ok(
    mergeTwins(
      edge.writes,
      { temp: { expected: { value: '30' }, expected_version: { cloud: 5, edge: 0 } } },
      'cloud',
      NOW,
    ),
  );
  assert.deepEqual(conflict.writes, {});
  assert.match(conflict.refused['temp'] ?? '', /version conflict/);
  assert.equal(conflict.report['temp']?.expected?.value, '22');
  assert.deepEqual(conflict.report['temp']?.expected_version, { cloud: 4, edge: 1 });

  // The cloud, having seen edge version 1, can set it again.
  const after = ok(
    mergeTwins(
      edge.writes,
      { temp: { expected: { value: '30' }, expected_version: { cloud: 6, edge: 1 } } },
      'cloud',
      NOW,
    ),
  );
  assert.equal(after.writes['temp']?.expected, '30');
});

test('a stale or unversioned cloud sync is refused; a resent one at the same version writes nothing', () => {
  const current = { temp: twin({ expected: '20', expectedVersion: { cloud: 9, edge: 0 } }) };
  const stale = ok(
    mergeTwins(
      current,
      { temp: { expected: { value: '1' }, expected_version: { cloud: 8, edge: 0 } } },
      'cloud',
      NOW,
    ),
  );
  assert.match(stale.refused['temp'] ?? '', /Version not allowed/);
  assert.deepEqual(stale.writes, {});
  const bare = ok(mergeTwins(current, { temp: { expected: { value: '1' } } }, 'cloud', NOW));
  assert.match(bare.refused['temp'] ?? '', /nil/);
  const same = ok(
    mergeTwins(
      current,
      { temp: { expected: { value: '20' }, expected_version: { cloud: 9, edge: 0 } } },
      'cloud',
      NOW,
    ),
  );
  assert.deepEqual(same.writes, {});
  assert.deepEqual(same.report, {});
});

test('twins added from the cloud take its version; from the edge, edge version 1', () => {
  const cloud = ok(
    mergeTwins(
      {},
      {
        sp: { expected: { value: '7' }, expected_version: { cloud: 3, edge: 0 }, metadata: { type: 'int' } },
      },
      'cloud',
      NOW,
    ),
  );
  assert.deepEqual(cloud.writes['sp'], {
    name: 'sp',
    description: '',
    optional: true,
    attrType: 'int',
    expected: '7',
    expectedMeta: { timestamp: NOW },
    expectedVersion: { cloud: 3, edge: 0 },
  });
  assert.deepEqual(cloud.report, {});
  assert.deepEqual(cloud.document['sp']?.last, null);
  const noVersion = ok(mergeTwins({}, { sp: { expected: { value: '7' } } }, 'cloud', NOW));
  assert.deepEqual(noVersion.writes, {});

  const edge = ok(mergeTwins({}, { rpm: { actual: { value: '1200' }, optional: false } }, 'edge', NOW));
  assert.deepEqual(edge.writes['rpm']?.actualVersion, { cloud: 0, edge: 1 });
  assert.equal(edge.writes['rpm']?.optional, false);
  assert.equal(edge.report['rpm']?.actual?.value, '1200');
});

test('values are checked against the twin type: a 400 for a mapper, a refusal for the cloud', () => {
  assert.equal(valueTypeProblem('int', '42'), undefined);
  assert.match(valueTypeProblem('int', '4.2') ?? '', /not int/);
  assert.equal(valueTypeProblem('FLOAT', '-4.25'), undefined);
  assert.match(valueTypeProblem('float', 'abc') ?? '', /not float/);
  assert.equal(valueTypeProblem('boolean', 'true'), undefined);
  assert.match(valueTypeProblem('boolean', 'yes') ?? '', /true or false/);
  assert.match(valueTypeProblem('matrix', '1') ?? '', /not allowed/);

  const current = { on: twin({ name: 'on', attrType: 'boolean', actual: 'true' }), temp: twin() };
  const bad = mergeTwins(
    current,
    { temp: { actual: { value: '1' } }, on: { actual: { value: 'maybe' } } },
    'edge',
    NOW,
  );
  assert.equal(bad.ok, false);
  assert.ok(!bad.ok && bad.code === 400 && /twin "on": the bool value/.test(bad.reason));
  const cloud = ok(
    mergeTwins(
      current,
      { on: { expected: { value: 'maybe' }, expected_version: { cloud: 1, edge: 0 } } },
      'cloud',
      NOW,
    ),
  );
  assert.deepEqual(cloud.writes, {});
  assert.match(cloud.refused['on'] ?? '', /bool/);
});

test('deleting: a mapper deletes optional twins only; the cloud deletes by metadata type deleted', () => {
  const current = {
    a: twin({ name: 'a', actual: '1', actualVersion: { cloud: 0, edge: 3 } }),
    b: twin({ name: 'b', optional: false, actual: '2' }),
  };
  const del = ok(mergeTwins(current, { a: null }, 'edge', NOW));
  assert.equal(del.writes['a']?.attrType, 'deleted');
  assert.equal(del.writes['a']?.actual, undefined);
  assert.deepEqual(del.writes['a']?.actualVersion, { cloud: 0, edge: 4 });
  assert.equal(del.result['a'], null);
  assert.deepEqual(del.document['a']?.current, null);
  assert.equal(del.report['a']?.metadata?.type, 'deleted');

  const notOptional = mergeTwins(current, { b: null }, 'edge', NOW);
  assert.ok(!notOptional.ok && /not optional/.test(notOptional.reason));
  const missing = mergeTwins(current, { c: null }, 'edge', NOW);
  assert.ok(!missing.ok && /does not exist/.test(missing.reason));

  const cloudDel = ok(
    mergeTwins(
      current,
      { b: { metadata: { type: 'deleted' }, actual_version: { cloud: 1, edge: 0 } } },
      'cloud',
      NOW,
    ),
  );
  assert.equal(cloudDel.writes['b']?.attrType, 'deleted');

  // A deleted twin comes back with new values and the type given (string when none).
  const revived = ok(mergeTwins(del.writes, { a: { actual: { value: '5' } } }, 'edge', NOW));
  assert.equal(revived.writes['a']?.attrType, 'string');
  assert.equal(revived.writes['a']?.actual, '5');
  assert.equal(revived.document['a']?.last, null);
});

test('an invalid twin rejects the whole edge update: nothing is written', () => {
  const r = mergeTwins(
    {},
    { good: { actual: { value: '1' } }, bad: { actual: { value: 'x' }, metadata: { type: 'int' } } },
    'edge',
    NOW,
  );
  assert.equal(r.ok, false);
});
