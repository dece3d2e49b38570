import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from './status.ts';
import {
  fieldPaths,
  labelSelectorFromObject,
  labelValueErrors,
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
  qualifiedNameErrors,
} from './selectors.ts';

function badRequest(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ApiError, `expected an ApiError, got ${String(err)}`);
    assert.equal(err.code, 400);
    assert.equal(err.reason, 'BadRequest');
    return err.message;
  }
  assert.fail('expected a 400');
}

const web = { app: 'web', tier: 'frontend', replicas: '3' };

/** Whether `selector` selects objects with `labels`. */
const selects = (selector: string, labels: Record<string, string> | undefined): boolean =>
  matchesLabels(parseLabelSelector(selector), labels);

// Label selectors

test('an empty label selector selects everything', () => {
  assert.deepEqual(parseLabelSelector('').requirements, []);
  assert.equal(selects('', undefined), true);
  assert.equal(selects('  ', web), true);
});

test('= and == select an exact value', () => {
  assert.equal(selects('app=web', web), true);
  assert.equal(selects('app==web', web), true);
  assert.equal(selects('app=db', web), false);
  assert.equal(selects('app=web', undefined), false);
});

test('!= selects a different value or a missing label', () => {
  assert.equal(selects('app!=db', web), true);
  assert.equal(selects('app!=web', web), false);
  assert.equal(selects('zone!=a', web), true);
});

test('in and notin select by set membership', () => {
  assert.equal(selects('tier in (frontend, backend)', web), true);
  assert.equal(selects('tier in (backend)', web), false);
  assert.equal(selects('tier in (frontend)', {}), false);
  assert.equal(selects('tier notin (backend,cache)', web), true);
  assert.equal(selects('tier notin (frontend)', web), false);
  assert.equal(selects('tier notin (frontend)', {}), true);
});

test('a bare key requires the label and !key forbids it', () => {
  assert.equal(selects('app', web), true);
  assert.equal(selects('zone', web), false);
  assert.equal(selects('!zone', web), true);
  assert.equal(selects('!app', web), false);
  assert.equal(selects('!zone', undefined), true);
});

test('gt and lt compare integers and never match a non-integer label', () => {
  assert.equal(selects('replicas>2', web), true);
  assert.equal(selects('replicas<2', web), false);
  assert.equal(selects('app>2', web), false);
  assert.equal(selects('missing<2', web), false);
});

test('comma-separated requirements must all hold', () => {
  assert.equal(selects('app=web,tier in (frontend),!zone', web), true);
  assert.equal(selects('app=web,tier=backend', web), false);
  assert.equal(selects('app = web , tier notin ( backend )', web), true);
});

test('requirements are parsed into key, operator and values, sorted by key', () => {
  assert.deepEqual(parseLabelSelector('z=1,a in (y,x,x),!b,c').requirements, [
    { key: 'a', operator: 'in', values: ['x', 'y'] },
    { key: 'b', operator: '!', values: [] },
    { key: 'c', operator: 'exists', values: [] },
    { key: 'z', operator: '=', values: ['1'] },
  ]);
});

test('empty values are allowed: x=, x in (), x in (a,,b)', () => {
  assert.equal(selects('x=', { x: '' }), true);
  assert.equal(selects('x=,app=web', { x: '', app: 'web' }), true);
  assert.deepEqual(parseLabelSelector('x in ()').requirements[0]?.values, ['']);
  assert.deepEqual(parseLabelSelector('x in (a,,b)').requirements[0]?.values, ['', 'a', 'b']);
});

test('in and notin are plain words where a value or key is expected', () => {
  assert.equal(selects('x in (in,notin)', { x: 'notin' }), true);
  assert.equal(selects('in=notin', { in: 'notin' }), true);
});

test('prefixed keys are accepted', () => {
  assert.equal(selects('app.kubernetes.io/name=web', { 'app.kubernetes.io/name': 'web' }), true);
  assert.equal(selects('node-role.kubernetes.io/edge', { 'node-role.kubernetes.io/edge': '' }), true);
});

test('a missing operator or value is a 400 naming what was found', () => {
  assert.equal(
    badRequest(() => parseLabelSelector('app web')),
    "unable to parse requirement: found 'web', expected: in, notin, =, ==, !=, gt, lt",
  );
  assert.equal(
    badRequest(() => parseLabelSelector('app in web')),
    "unable to parse requirement: found 'web' expected: '('",
  );
  assert.equal(
    badRequest(() => parseLabelSelector('app in (web')),
    "unable to parse requirement: found '', expected: ',' or ')'",
  );
  assert.equal(
    badRequest(() => parseLabelSelector('app=web=x')),
    "found '=', expected: ',' or 'end of string'",
  );
});

test('a stray comma or operator is a 400', () => {
  assert.equal(
    badRequest(() => parseLabelSelector('app=web,')),
    "found '', expected: identifier after ','",
  );
  assert.equal(
    badRequest(() => parseLabelSelector(',app')),
    "found ',', expected: !, identifier, or 'end of string'",
  );
  assert.equal(
    badRequest(() => parseLabelSelector('!=web')),
    "found '!=', expected: !, identifier, or 'end of string'",
  );
  assert.equal(
    badRequest(() => parseLabelSelector('! =web')),
    "unable to parse requirement: found '=', expected: identifier",
  );
  assert.equal(
    badRequest(() => parseLabelSelector('!app=web')),
    "found '=', expected: ',' or 'end of string'",
  );
});

test('an invalid label key is a 400 explaining the rule', () => {
  const message = badRequest(() => parseLabelSelector('bad$key=x'));
  assert.match(
    message,
    /^unable to parse requirement: key: Invalid value: "bad\$key": name part must consist of alphanumeric characters/,
  );
  assert.match(message, /regex used for validation is '\(\[A-Za-z0-9\]\[-A-Za-z0-9_\.\]\*\)\?\[A-Za-z0-9\]'/);
  assert.match(
    badRequest(() => parseLabelSelector('Example.com/x')),
    /prefix part a lowercase RFC 1123 subdomain/,
  );
  assert.match(
    badRequest(() => parseLabelSelector('a/b/c')),
    /a qualified name must consist of/,
  );
  assert.match(
    badRequest(() => parseLabelSelector(`${'k'.repeat(64)}=v`)),
    /name part must be no more than 63 characters/,
  );
});

test('an invalid label value is a 400 naming the value and its label', () => {
  const message = badRequest(() => parseLabelSelector('app=-web'));
  assert.match(
    message,
    /^unable to parse requirement: values\[0\]\[app\]: Invalid value: "-web": a valid label must be an empty string or consist of/,
  );
  assert.match(
    badRequest(() => parseLabelSelector(`app=${'v'.repeat(64)}`)),
    /must be no more than 63 characters/,
  );
});

test('gt and lt need an integer', () => {
  assert.match(
    badRequest(() => parseLabelSelector('replicas>two')),
    /for 'Gt', 'Lt' operators, the value must be an integer/,
  );
});

test('matchLabels and matchExpressions convert to requirements', () => {
  const selector = labelSelectorFromObject({
    matchLabels: { app: 'web' },
    matchExpressions: [
      { key: 'tier', operator: 'In', values: ['frontend', 'backend'] },
      { key: 'env', operator: 'NotIn', values: ['prod'] },
      { key: 'replicas', operator: 'Exists' },
      { key: 'zone', operator: 'DoesNotExist' },
    ],
  });
  assert.equal(matchesLabels(selector, web), true);
  assert.equal(matchesLabels(selector, { ...web, zone: 'a' }), false);
  assert.equal(matchesLabels(selector, { ...web, env: 'prod' }), false);
  assert.equal(matchesLabels(selector, { app: 'web', tier: 'frontend' }), false);
});

test('an empty label selector object selects everything and a missing one nothing', () => {
  assert.equal(matchesLabels(labelSelectorFromObject({}), web), true);
  assert.equal(matchesLabels(labelSelectorFromObject(undefined), web), false);
  assert.equal(matchesLabels(labelSelectorFromObject(null), {}), false);
});

test('a label selector object with a bad operator or values is a 400', () => {
  assert.equal(
    badRequest(() =>
      labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'Equals', values: ['b'] }] }),
    ),
    '"Equals" is not a valid label selector operator',
  );
  assert.match(
    badRequest(() =>
      labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }),
    ),
    /values set can't be empty/,
  );
  assert.match(
    badRequest(() =>
      labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['b'] }] }),
    ),
    /values set must be empty for exists and does not exist/,
  );
  assert.match(
    badRequest(() => labelSelectorFromObject({ matchLabels: { 'bad key': 'x' } })),
    /key: Invalid value: "bad key"/,
  );
});

test('label key and value rules report every problem', () => {
  assert.deepEqual(qualifiedNameErrors('app.kubernetes.io/name'), []);
  assert.deepEqual(labelValueErrors(''), []);
  assert.deepEqual(labelValueErrors('v1.2_3-x'), []);
  assert.equal(qualifiedNameErrors('/name')[0], 'prefix part must be non-empty');
  assert.equal(qualifiedNameErrors('')[0], 'name part must be non-empty');
  assert.equal(labelValueErrors(`-${'x'.repeat(63)}`).length, 2);
});

// Field selectors

const pod: Record<string, string> = {
  'metadata.name': 'web-1',
  'metadata.namespace': 'default',
  'spec.nodeName': 'edge-1',
  'status.phase': 'Running',
};
const get = (path: string): string | undefined => pod[path];

test('field selectors with =, == and != match field values', () => {
  assert.equal(matchesFields(parseFieldSelector('metadata.name=web-1'), get), true);
  assert.equal(matchesFields(parseFieldSelector('metadata.name==web-1'), get), true);
  assert.equal(matchesFields(parseFieldSelector('status.phase!=Succeeded'), get), true);
  assert.equal(matchesFields(parseFieldSelector('status.phase!=Running'), get), false);
});

test('comma-separated field terms must all hold (kubectl describe node)', () => {
  const selector = parseFieldSelector('spec.nodeName=edge-1,status.phase!=Succeeded,status.phase!=Failed');
  assert.equal(matchesFields(selector, get), true);
  assert.equal(
    matchesFields(selector, (path) => (path === 'status.phase' ? 'Failed' : get(path))),
    false,
  );
});

test('a missing field counts as the empty string', () => {
  assert.equal(
    matchesFields(parseFieldSelector('spec.nodeName='), () => undefined),
    true,
  );
  assert.equal(matchesFields(parseFieldSelector('spec.nodeName!='), get), true);
});

test('an empty field selector selects everything', () => {
  assert.deepEqual(parseFieldSelector('').requirements, []);
  assert.deepEqual(parseFieldSelector(',,').requirements, []);
  assert.equal(matchesFields(parseFieldSelector(''), get), true);
});

test('escaped commas, equals signs and backslashes are part of the value', () => {
  const selector = parseFieldSelector('metadata.name=a\\,b\\=c\\\\d,status.phase=Running');
  assert.deepEqual(selector.requirements, [
    { field: 'metadata.name', operator: '=', value: 'a,b=c\\d' },
    { field: 'status.phase', operator: '=', value: 'Running' },
  ]);
});

test('the first operator splits a term; the value may hold != or == only escaped', () => {
  assert.deepEqual(parseFieldSelector('a!=b').requirements, [{ field: 'a', operator: '!=', value: 'b' }]);
  assert.deepEqual(parseFieldSelector('a==b').requirements, [{ field: 'a', operator: '==', value: 'b' }]);
  assert.deepEqual(parseFieldSelector('a=\\=b').requirements, [{ field: 'a', operator: '=', value: '=b' }]);
});

test('fieldPaths lists each field once so the server can reject unsupported ones', () => {
  assert.deepEqual(
    fieldPaths(parseFieldSelector('status.phase!=Succeeded,spec.nodeName=n,status.phase!=Failed')),
    ['status.phase', 'spec.nodeName'],
  );
});

test('a field term without an operator is a 400 quoting the selector and the term', () => {
  assert.equal(
    badRequest(() => parseFieldSelector('metadata.name=a,status.phase')),
    "invalid selector: 'metadata.name=a,status.phase'; can't understand 'status.phase'",
  );
});

test('a bad escape or an unescaped = in a field value is a 400', () => {
  assert.match(
    badRequest(() => parseFieldSelector('a=b\\c')),
    /^invalid field selector: invalid escape sequence: \\c/,
  );
  assert.match(
    badRequest(() => parseFieldSelector('a=b=c')),
    /^invalid field selector: unescaped character in value: '='/,
  );
  assert.match(
    badRequest(() => parseFieldSelector('a=b\\')),
    /^invalid field selector: invalid escape sequence: \\/,
  );
});
