import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '@edgeproof/core';
import { ContainerConfigError } from './runtime.ts';
import { ProbeWorker, parseProbe, type ProbeKind, type ProbeSpec } from './prober.ts';
import type { Container, Probe } from './pod-types.ts';

const container: Container = { name: 'web', ports: [{ name: 'http', containerPort: 8080 }] };
const ctx = { host: '10.0.0.9', env: { PATH: '/bin' }, cwd: '/tmp' };

test("probes get core/v1's defaults and resolve named ports", () => {
  const spec = parseProbe('liveness', { httpGet: { port: 'http', path: 'healthz' } }, container, ctx);
  assert.deepEqual(spec, {
    action: { type: 'httpGet', scheme: 'http', host: '10.0.0.9', port: 8080, path: '/healthz', headers: [] },
    initialDelayMs: 0,
    periodMs: 10_000,
    timeoutMs: 1000,
    failureThreshold: 3,
    successThreshold: 1,
    terminationGracePeriodSeconds: undefined,
  });
  const tcp = parseProbe(
    'readiness',
    { tcpSocket: { port: '9090', host: 'localhost' }, successThreshold: 2 },
    container,
    ctx,
  );
  assert.deepEqual(tcp.action, { type: 'tcpSocket', host: 'localhost', port: 9090 });
  assert.equal(tcp.successThreshold, 2);
  const exec = parseProbe('startup', { exec: { command: ['true'] }, periodSeconds: 1 }, container, ctx);
  assert.deepEqual(exec.action, { type: 'exec', command: ['true'], env: { PATH: '/bin' }, cwd: '/tmp' });
});

test('a probe that cannot run is a CreateContainerConfigError that says why', () => {
  const bad = (probe: Probe, message: RegExp, kind: ProbeKind = 'liveness'): void =>
    assert.throws(
      () => parseProbe(kind, probe, container, ctx),
      (err: unknown) =>
        err instanceof ContainerConfigError &&
        err.reason === 'CreateContainerConfigError' &&
        message.test(err.message),
    );
  bad({}, /livenessProbe: must set exactly one of exec, httpGet, tcpSocket \(found none\)/);
  bad({ exec: { command: ['x'] }, tcpSocket: { port: 1 } }, /found exec, tcpSocket/);
  bad({ grpc: { port: 9000 } }, /grpc probes are not supported/);
  bad({ httpGet: { port: 'metrics' } }, /port "metrics" is not a named port/);
  bad({ tcpSocket: { port: 70000 } }, /port 70000 is not a valid port/);
  bad({ exec: { command: [] } }, /exec.command must be a non-empty list/);
  bad({ exec: { command: ['x'] }, periodSeconds: 0 }, /periodSeconds must be an integer of at least 1/);
  bad({ exec: { command: ['x'] }, successThreshold: 2 }, /successThreshold must be 1/);
  bad({ httpGet: { port: 80, scheme: 'FTP' } }, /scheme must be HTTP or HTTPS/);
});

/** A worker on a fake clock whose attempts return the scripted outcomes, in order. */
function scripted(kind: ProbeKind, outcomes: boolean[], spec: Partial<ProbeSpec> = {}, started = () => true) {
  const clock = new FakeClock();
  const results: boolean[] = [];
  const failures: string[] = [];
  let attempts = 0;
  const worker = new ProbeWorker({
    kind,
    clock,
    startedAt: clock.now(),
    spec: {
      action: { type: 'tcpSocket', host: 'h', port: 1 },
      initialDelayMs: 0,
      periodMs: 1000,
      timeoutMs: 1000,
      failureThreshold: 3,
      successThreshold: 1,
      terminationGracePeriodSeconds: undefined,
      ...spec,
    },
    attempt: () => {
      const ok = outcomes[attempts++] ?? true;
      return Promise.resolve({ ok, message: ok ? 'ok' : `failure ${attempts}` });
    },
    isStarted: started,
    onResult: (ok) => results.push(ok),
    onFailedAttempt: (m) => failures.push(m),
  });
  const step = async (ms: number): Promise<void> => {
    clock.advance(ms);
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return { worker, results, failures, step, attempts: () => attempts };
}

test('liveness turns to failure only after failureThreshold failures in a row, then holds', async () => {
  const p = scripted('liveness', [false, false, true, false, false, false, false]);
  p.worker.start();
  await p.step(0);
  assert.equal(p.worker.ok, true, 'liveness starts as success');
  for (let i = 0; i < 5; i++) await p.step(1000);
  assert.deepEqual(p.results, [false]);
  assert.deepEqual(p.failures, ['failure 1', 'failure 2', 'failure 4', 'failure 5', 'failure 6']);
  const made = p.attempts();
  await p.step(5000);
  assert.equal(p.attempts(), made, 'a failed liveness probe stops probing that container');
});

test('readiness starts as failure, needs successThreshold successes, and keeps probing after a failure', async () => {
  const p = scripted('readiness', [true, true, false, false, true, true], {
    successThreshold: 2,
    failureThreshold: 2,
  });
  p.worker.start();
  await p.step(0);
  assert.equal(p.worker.ok, false);
  await p.step(1000);
  assert.equal(p.worker.ok, true);
  await p.step(1000);
  await p.step(1000);
  assert.equal(p.worker.ok, false);
  await p.step(1000);
  await p.step(1000);
  assert.deepEqual(p.results, [true, false, true]);
});

test('nothing is probed within initialDelaySeconds, and only the startup probe runs until it succeeds', async () => {
  const delayed = scripted('readiness', [true], { initialDelayMs: 2500 });
  delayed.worker.start();
  await delayed.step(0);
  await delayed.step(1000);
  await delayed.step(1000);
  assert.equal(delayed.attempts(), 0);
  await delayed.step(1000);
  assert.equal(delayed.attempts(), 1);

  let started = false;
  const gated = scripted('liveness', [false, false, false], {}, () => started);
  gated.worker.start();
  await gated.step(3000);
  assert.equal(gated.attempts(), 0, 'liveness waits for the startup probe');
  started = true;
  await gated.step(1000);
  assert.equal(gated.attempts(), 1);

  const startup = scripted('startup', [false, true, true], {}, () => startup.worker.ok);
  startup.worker.start();
  await startup.step(0);
  await startup.step(1000);
  assert.equal(startup.worker.ok, true);
  await startup.step(3000);
  assert.equal(startup.attempts(), 2, 'a startup probe stops once it succeeded');
});

test('a startup probe that never succeeds fails after failureThreshold attempts', async () => {
  const p = scripted('startup', [false, false, false, false], { failureThreshold: 3 }, () => false);
  p.worker.start();
  await p.step(0);
  await p.step(1000);
  assert.deepEqual(p.results, []);
  await p.step(1000);
  assert.deepEqual(p.results, [false]);
});
