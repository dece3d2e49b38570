import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock, silentLogger } from '@edgeproof/core';
import { HollowRuntime } from './hollow-runtime.ts';
import type { Pod, PodStatus } from './pod-types.ts';

const pod = (uid: string, extra: Partial<Pod['metadata']> = {}): Pod => ({
  metadata: { uid, name: `p-${uid}`, namespace: 'bench', ...extra },
  spec: {
    containers: [
      { name: 'a', image: 'busybox' },
      { name: 'b', image: 'nginx' },
    ],
  },
});

function runtime() {
  const clock = new FakeClock();
  const reports: [string, PodStatus][] = [];
  const rt = new HollowRuntime({
    clock,
    logger: silentLogger(),
    nodeName: 'hollow-1',
    nodeIP: '10.1.0.1',
    onStatus: (uid, s) => reports.push([uid, s]),
  });
  return { rt, reports, clock };
}

test('a hollow pod is Running and Ready at once, with nothing running', async () => {
  const { rt, reports } = runtime();
  assert.deepEqual(await rt.start(), []);
  await rt.syncPod(pod('1'));
  const [uid, status] = reports[0]!;
  assert.equal(uid, '1');
  assert.equal(status.phase, 'Running');
  assert.ok(status.conditions.every((c) => c.status === 'True'));
  assert.deepEqual(
    status.containerStatuses.map((c) => [c.name, c.image, c.ready, c.started, c.state.running !== undefined]),
    [
      ['a', 'busybox', true, true, true],
      ['b', 'nginx', true, true, true],
    ],
  );
  assert.equal(status.podIP, '10.1.0.1');
  await rt.syncPod(pod('1'));
  assert.equal(reports.length, 1, 'a sync that changes nothing reports nothing');
  assert.deepEqual(
    rt.listPods().map((p) => [p.uid, p.namespace, p.name]),
    [['1', 'bench', 'p-1']],
  );
});

test('deletion ends a hollow pod as Succeeded; kill forgets it and it never comes back', async () => {
  const { rt, reports, clock } = runtime();
  await rt.syncPod(pod('1'));
  clock.advance(5000);
  await rt.syncPod(pod('1', { deletionTimestamp: new Date(clock.now()).toISOString() }));
  const done = reports.at(-1)![1];
  assert.equal(done.phase, 'Succeeded');
  assert.deepEqual(
    done.containerStatuses.map((c) => [c.state.terminated?.exitCode, c.state.terminated?.reason, c.ready]),
    [
      [0, 'Completed', false],
      [0, 'Completed', false],
    ],
  );
  await rt.syncPod(pod('1'));
  assert.equal(rt.listPods()[0]?.status.phase, 'Succeeded');
  await rt.syncPod(pod('2'));
  await rt.killPod('2');
  assert.equal(reports.at(-1)![1].phase, 'Succeeded');
  await rt.killPod('1');
  await rt.killPod('unknown');
  assert.deepEqual(rt.listPods(), []);
  await assert.rejects(rt.syncPod({ metadata: {}, spec: { containers: [] } }), /needs metadata.uid/);
});

test('ten thousand hollow pods fit in a few megabytes', async () => {
  const { rt } = runtime();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < 10_000; i++) await rt.syncPod(pod(String(i)));
  const perPod = (process.memoryUsage().heapUsed - before) / 10_000;
  assert.equal(rt.listPods().length, 10_000);
  assert.ok(perPod < 8 * 1024, `${Math.round(perPod)} bytes per pod`);
});
