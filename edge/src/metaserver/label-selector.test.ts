import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchesLabelSelector, parseLabelSelector } from './label-selector.ts';
import { ApiError } from '@edgeproof/core';

const selects = (selector: string, labels: Record<string, string>): boolean =>
  matchesLabelSelector(parseLabelSelector(selector), labels);

test('parses every operator of labels.Parse, sorted by key', () => {
  assert.deepEqual(parseLabelSelector(''), []);
  assert.deepEqual(parseLabelSelector('  '), []);
  assert.deepEqual(parseLabelSelector('tier in (b, a,b), app==web, !legacy, env, x!=1, n>3, m<7'), [
    { key: 'app', operator: '=', values: ['web'] },
    { key: 'env', operator: 'exists', values: [] },
    { key: 'legacy', operator: '!', values: [] },
    { key: 'm', operator: '<', values: ['7'] },
    { key: 'n', operator: '>', values: ['3'] },
    { key: 'tier', operator: 'in', values: ['a', 'b'] },
    { key: 'x', operator: '!=', values: ['1'] },
  ]);
  // `in` is an operator only after a key; as a value it is a word.
  assert.deepEqual(parseLabelSelector('k notin (in,notin)'), [
    { key: 'k', operator: 'notin', values: ['in', 'notin'] },
  ]);
  assert.deepEqual(parseLabelSelector('example.com/app=x,k='), [
    { key: 'example.com/app', operator: '=', values: ['x'] },
    { key: 'k', operator: '=', values: [''] },
  ]);
});

test('matches as labels.Requirement.Matches does', () => {
  const labels = { app: 'web', tier: 'front', n: '5' };
  assert.equal(selects('', labels), true);
  assert.equal(selects('app=web', labels), true);
  assert.equal(selects('app=db', labels), false);
  assert.equal(selects('app!=db', labels), true);
  assert.equal(selects('missing!=x', labels), true, '!= holds for an absent label');
  assert.equal(selects('tier in (front,back)', labels), true);
  assert.equal(selects('tier notin (front)', labels), false);
  assert.equal(selects('missing notin (front)', labels), true);
  assert.equal(selects('app,!legacy', labels), true);
  assert.equal(selects('!app', labels), false);
  assert.equal(selects('n>4,n<6', labels), true);
  assert.equal(selects('app>1', labels), false, 'a label that is not an integer never matches > or <');
  assert.equal(selects('app=web,tier=back', labels), false, 'every requirement must hold');
  assert.equal(selects('app=web', {}), false);
});

test('a malformed selector is a 400 that quotes it and says what was expected', () => {
  const cases: [string, RegExp][] = [
    ['app in (web', /found end of string, expected a label value, ',' or '\)'/],
    ['app in web', /found 'web', expected '\('/],
    ['app=web,', /found end of string, expected a label key/],
    ['app web', /found 'web', expected one of =/],
    ['=web', /found '=', expected a label key/],
    ['app==(x)', /found '\(', expected a label value/],
    ['-bad=x', /invalid label key "-bad"/],
    ['a/b/c=x', /at most one '\/'/],
    ['app=-x', /invalid label value "-x"/],
    ['n>x', /needs an integer/],
  ];
  for (const [selector, message] of cases) {
    assert.throws(
      () => parseLabelSelector(selector),
      (err: unknown) =>
        err instanceof ApiError &&
        err.code === 400 &&
        err.reason === 'BadRequest' &&
        message.test(err.message),
      selector,
    );
  }
});
