import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidInputError } from '@edgeproof/core';
import { formatPod, gracePeriodSeconds, newContainerId, parseRuntimeKind, validatePod } from './runtime.ts';
import type { Pod } from './pod-types.ts';

test('a pod needs an identity and uniquely named containers; the namespace defaults', () => {
  assert.deepEqual(
    validatePod({ metadata: { uid: 'u', name: 'p' }, spec: { containers: [{ name: 'c' }] } }),
    {
      uid: 'u',
      namespace: 'default',
      name: 'p',
    },
  );
  const refused = (pod: unknown, message: RegExp): void =>
    assert.throws(
      () => validatePod(pod),
      (err: unknown) => err instanceof InvalidInputError && message.test(err.message),
    );
  refused(null, /a pod must be an object/);
  refused(
    { metadata: { name: 'p' }, spec: { containers: [{ name: 'c' }] } },
    /needs metadata.uid and metadata.name/,
  );
  refused(
    { metadata: { uid: 'u', name: 'p', namespace: 'ns' }, spec: {} },
    /pod ns\/p has no spec.containers/,
  );
  refused(
    { metadata: { uid: 'u', name: 'p' }, spec: { containers: [{ name: 'c' }, { name: 'c' }] } },
    /unique name/,
  );
});

test('the grace period is the override, else the deletion grace, else the spec, else 30 s', () => {
  const pod = (meta: Partial<Pod['metadata']>, grace?: number): Pod => ({
    metadata: { uid: 'u', name: 'p', ...meta },
    spec: {
      containers: [{ name: 'c' }],
      ...(grace === undefined ? {} : { terminationGracePeriodSeconds: grace }),
    },
  });
  assert.equal(gracePeriodSeconds(pod({})), 30);
  assert.equal(gracePeriodSeconds(pod({}, 5)), 5);
  assert.equal(gracePeriodSeconds(pod({ deletionGracePeriodSeconds: 1 }, 5)), 1);
  assert.equal(gracePeriodSeconds(pod({ deletionGracePeriodSeconds: 1 }, 5), 0), 0);
});

test('names as kubelet prints them; container ids as CRI reports them', () => {
  assert.equal(formatPod({ uid: 'u1', namespace: 'ns', name: 'web' }), 'web_ns(u1)');
  assert.match(newContainerId(), /^edgeproof:\/\/[0-9a-f]{64}$/);
  assert.equal(parseRuntimeKind('hollow'), 'hollow');
  assert.throws(
    () => parseRuntimeKind('docker'),
    /unknown runtime "docker"; use one of process, hollow, cri/,
  );
});
