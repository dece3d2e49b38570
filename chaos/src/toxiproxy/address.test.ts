import { test } from 'node:test';
import assert from 'node:assert/strict';
import { joinHostPort, resolveListen, splitHostPort } from './address.ts';

test('addresses split and join as Go’s net package does', async () => {
  assert.deepEqual(splitHostPort('127.0.0.1:80', 'dial'), { host: '127.0.0.1', port: 80 });
  assert.deepEqual(splitHostPort('[::1]:0', 'listen'), { host: '::1', port: 0 });
  assert.deepEqual(splitHostPort(':8474', 'listen'), { host: '', port: 8474 });
  assert.throws(
    () => splitHostPort('redis', 'dial'),
    /^Error: dial tcp: address redis: missing port in address$/,
  );
  assert.throws(() => splitHostPort('::1:80', 'listen'), /too many colons/);
  assert.throws(() => splitHostPort('h:http', 'listen'), /unknown port/);
  assert.throws(() => splitHostPort('h:70000', 'listen'), /invalid port/);
  assert.equal(joinHostPort('::', 5), '[::]:5');
  assert.deepEqual(await resolveListen('localhost:0'), { host: '127.0.0.1', port: 0 });
  assert.deepEqual(await resolveListen(':0'), { host: undefined, port: 0 });
});
