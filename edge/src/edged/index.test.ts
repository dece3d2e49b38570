import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock, InvalidInputError, silentLogger } from '@edgeproof/core';
import { CriRuntime, HollowRuntime, ProcessRuntime, createRuntime, parseRuntimeKind } from './index.ts';

const base = { clock: new FakeClock(), logger: silentLogger(), nodeName: 'edge-1' };

test('createRuntime makes each kind, and process needs its root folder and config resolver', () => {
  assert.ok(createRuntime('hollow', base) instanceof HollowRuntime);
  assert.ok(createRuntime('cri', base) instanceof CriRuntime);
  const process = createRuntime('process', {
    ...base,
    rootDir: '/nonexistent',
    resolveConfig: () => undefined,
  });
  assert.ok(process instanceof ProcessRuntime);
  assert.equal(process.kind, 'process');
  assert.throws(
    () => createRuntime(parseRuntimeKind('process'), base),
    (err: unknown) => err instanceof InvalidInputError && /needs rootDir and resolveConfig/.test(err.message),
  );
});
