import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPodStatus, initialContainerStatus, kubeTime, podPhase } from './pod-status.ts';
import type { ContainerState, ContainerStatus, PodSpec, RestartPolicy } from './pod-types.ts';

const T0 = Date.UTC(2026, 0, 1);

function status(name: string, state: ContainerState, extra: Partial<ContainerStatus> = {}): ContainerStatus {
  return { ...initialContainerStatus(name, 'busybox'), state, ...extra };
}
const running = (name: string): ContainerStatus =>
  status(name, { running: { startedAt: kubeTime(T0) } }, { ready: true, started: true });
const exited = (name: string, exitCode: number): ContainerStatus =>
  status(name, { terminated: { exitCode } });
const backingOff = (name: string): ContainerStatus =>
  status(name, { waiting: { reason: 'CrashLoopBackOff' } }, { lastState: { terminated: { exitCode: 1 } } });

const spec = (policy?: RestartPolicy, names = ['a', 'b']): PodSpec => ({
  containers: names.map((name) => ({ name })),
  ...(policy ? { restartPolicy: policy } : {}),
});

test("the phase follows kubelet's getPhase", () => {
  const cases: [RestartPolicy | undefined, ContainerStatus[], boolean, string][] = [
    [undefined, [initialContainerStatus('a', ''), running('b')], false, 'Pending'],
    [undefined, [running('a'), running('b')], false, 'Running'],
    [undefined, [running('a'), exited('b', 1)], false, 'Running'],
    ['Always', [exited('a', 0), exited('b', 0)], false, 'Running'],
    ['OnFailure', [exited('a', 0), exited('b', 0)], false, 'Succeeded'],
    ['OnFailure', [exited('a', 0), exited('b', 1)], false, 'Running'],
    ['Never', [exited('a', 0), exited('b', 2)], false, 'Failed'],
    ['Never', [exited('a', 0), exited('b', 0)], false, 'Succeeded'],
    // A container waiting for its restart has run: it is stopped, not pending.
    ['Always', [backingOff('a'), exited('b', 0)], false, 'Running'],
    // Terminal (being deleted): nothing restarts, whatever the policy.
    ['Always', [exited('a', 0), exited('b', 0)], true, 'Succeeded'],
    ['Always', [exited('a', 143), exited('b', 0)], true, 'Failed'],
    [undefined, [running('a')], false, 'Pending'],
  ];
  for (const [policy, statuses, terminal, want] of cases) {
    assert.equal(
      podPhase(spec(policy), statuses, terminal),
      want,
      `${policy} ${JSON.stringify(statuses.map((s) => s.state))}`,
    );
  }
});

test('conditions say which containers are not ready, and keep their transition time while unchanged', () => {
  const input = {
    spec: spec(),
    terminal: false,
    hostIP: '10.0.0.1',
    podIP: '10.0.0.1',
    startTime: kubeTime(T0),
    previous: undefined,
  };
  const first = buildPodStatus({
    ...input,
    containerStatuses: [running('a'), status('b', { waiting: {} })],
    now: T0,
  });
  assert.equal(first.phase, 'Pending');
  assert.deepEqual(
    first.conditions.map((c) => [c.type, c.status, c.reason, c.message]),
    [
      ['Initialized', 'True', undefined, undefined],
      ['Ready', 'False', 'ContainersNotReady', 'containers with unready status: [b]'],
      ['ContainersReady', 'False', 'ContainersNotReady', 'containers with unready status: [b]'],
      ['PodScheduled', 'True', undefined, undefined],
    ],
  );
  assert.deepEqual(first.podIPs, [{ ip: '10.0.0.1' }]);
  const later = T0 + 5000;
  const second = buildPodStatus({
    ...input,
    containerStatuses: [running('a'), running('b')],
    now: later,
    previous: first,
  });
  const byType = new Map(second.conditions.map((c) => [c.type, c]));
  assert.equal(byType.get('Ready')?.status, 'True');
  assert.equal(byType.get('Ready')?.lastTransitionTime, kubeTime(later));
  assert.equal(byType.get('PodScheduled')?.lastTransitionTime, kubeTime(T0));
  assert.equal(byType.get('Ready')?.reason, undefined);
});

test('a Succeeded pod is not ready, with reason PodCompleted', () => {
  const done = buildPodStatus({
    spec: spec('Never'),
    containerStatuses: [exited('a', 0), exited('b', 0)],
    terminal: false,
    hostIP: 'h',
    podIP: 'p',
    startTime: kubeTime(T0),
    now: T0,
    previous: undefined,
  });
  assert.equal(done.phase, 'Succeeded');
  assert.equal(done.conditions.find((c) => c.type === 'Ready')?.reason, 'PodCompleted');
});

test('timestamps are RFC 3339 in whole seconds', () => {
  assert.equal(kubeTime(Date.UTC(2026, 0, 1, 12, 0, 5, 999)), '2026-01-01T12:00:05Z');
});
