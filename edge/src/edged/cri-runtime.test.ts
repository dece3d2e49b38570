import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EdgeproofError } from '@edgeproof/core';
import { CriRuntime } from './cri-runtime.ts';

test('the cri runtime refuses to start and says which runtimes to use instead', async () => {
  const rt = new CriRuntime();
  const unavailable = (err: unknown): boolean => {
    assert.ok(err instanceof EdgeproofError);
    assert.equal(err.code, 'ERUNTIMEUNAVAILABLE');
    assert.equal(err.retriable, false);
    assert.match(
      err.message,
      /containerd over CRI .* is not available .*--runtime process .*--runtime hollow/,
    );
    return true;
  };
  await assert.rejects(rt.start(), unavailable);
  await assert.rejects(
    rt.syncPod({ metadata: { uid: 'u', name: 'p' }, spec: { containers: [{ name: 'c' }] } }),
    unavailable,
  );
  assert.deepEqual(rt.listPods(), []);
  await rt.killPod('u');
  await rt.stop();
});
