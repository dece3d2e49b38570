import { test } from 'node:test';
import assert from 'node:assert/strict';
import { durationFlag, labelsFlag, nodeNameFlag, parseFlags, positionalList } from './args.ts';

test('durations are written as Kubernetes configs write them; a bare number is seconds', () => {
  const d = (raw: string | undefined): number => durationFlag('grace', raw, 40_000, 100, 86_400_000);
  assert.equal(d(undefined), 40_000);
  assert.equal(d('40s'), 40_000);
  assert.equal(d('1m30s'), 90_000);
  assert.equal(d('500ms'), 500);
  assert.equal(d('1.5s'), 1500);
  assert.equal(d('2h'), 7_200_000);
  assert.equal(d('7'), 7000);
  assert.throws(() => d('soon'), /--grace must be a duration such as 40s, 1m30s or 500ms, not "soon"/);
  assert.throws(() => d('-1s'), /must be a duration/);
  assert.throws(() => d('50ms'), /--grace must be between 100ms and 24h, not 50ms/);
});

test('labels are key=value pairs with Kubernetes label syntax', () => {
  assert.deepEqual(labelsFlag('labels', undefined), {});
  assert.deepEqual(labelsFlag('labels', 'site=lab,example.com/tier=edge,flag'), {
    site: 'lab',
    'example.com/tier': 'edge',
    flag: '',
  });
  assert.throws(() => labelsFlag('labels', 'a=b,=c'), /--labels: "=c" is not a valid label/);
  assert.throws(() => labelsFlag('labels', 'a=has space'), /"a=has space" is not a valid label/);
  assert.throws(() => labelsFlag('labels', `k=${'v'.repeat(64)}`), /is not a valid label/);
});

test('node names are lower-case RFC 1123 subdomains', () => {
  assert.equal(nodeNameFlag('edgenode-name', 'rpi-4.lab'), 'rpi-4.lab');
  for (const bad of ['', 'Rpi', 'rpi_4', '-rpi', 'rpi-', 'a'.repeat(254)]) {
    assert.throws(() => nodeNameFlag('edgenode-name', bad), /is not a valid node name/, bad);
  }
});

test('positionals: named in order; a last name ending in ... takes the rest', () => {
  const spec = { name: 'x', usage: '', summary: '', flags: {}, positionals: ['sub', 'files...'] };
  const { values } = parseFlags(spec, ['go', 'a.yaml', 'b.yaml']);
  assert.equal(values.sub, 'go');
  assert.deepEqual(positionalList(values.files), ['a.yaml', 'b.yaml']);
  assert.deepEqual(positionalList(parseFlags(spec, ['go']).values.files), []);
  const fixed = { ...spec, positionals: ['sub'] };
  assert.throws(() => parseFlags(fixed, ['go', 'extra']), /unexpected argument "extra"/);
});
