import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listenMatches } from './chaos-client.ts';

test('a requested listen with port 0 matches any port on the same host', () => {
  assert.equal(listenMatches('127.0.0.1:4000', '127.0.0.1:0'), true);
  assert.equal(listenMatches('127.0.0.1:4000', 'localhost:0'), true);
  assert.equal(listenMatches('[::]:4000', ':0'), true);
  assert.equal(listenMatches('127.0.0.1:4000', '127.0.0.1:4000'), true);
  assert.equal(listenMatches('127.0.0.1:4000', '127.0.0.1:4001'), false);
  assert.equal(listenMatches('127.0.0.1:4000', '10.0.0.1:0'), false);
});
