/**
 * The process runtime with real processes, files and sockets (kubelet behaviour it follows is cited
 * in edge/src/edged): environment and volumes from ConfigMaps and Secrets, restart policies and the
 * crash back-off, graceful termination, probes, re-adoption by a new runtime instance, and specs
 * that cannot run. Grace periods, probe periods and back-offs are shortened; the kubelet defaults
 * are exercised on a fake clock.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock, SystemClock, silentLogger, type Clock } from '@edgeproof/core';
import {
  ProcessRuntime,
  type Container,
  type ContainerStatus,
  type Pod,
  type PodEvent,
  type PodStatus,
  type ProcessRuntimeOptions,
} from '../src/edged/index.ts';

const NODE = process.execPath;
const b64 = (s: string): string => Buffer.from(s).toString('base64');

/** A runtime on a temporary root folder that records every status and event; removed after the test. */
class Bench {
  readonly statuses = new Map<string, PodStatus[]>();
  readonly events: { uid: string; event: PodEvent }[] = [];
  readonly config = new Map<string, object>();
  readonly rootDir: string;
  runtime: ProcessRuntime;
  private readonly clock: Clock;
  private readonly extra: Partial<ProcessRuntimeOptions>;

  constructor(
    t: { after: (fn: () => Promise<void>) => void },
    clock: Clock = new SystemClock(),
    extra: Partial<ProcessRuntimeOptions> = {},
  ) {
    this.rootDir = mkdtempSync(join(tmpdir(), 'edged-process-'));
    this.clock = clock;
    this.extra = extra;
    this.runtime = this.newRuntime();
    t.after(async () => {
      for (const p of this.runtime.listPods()) await this.runtime.killPod(p.uid, { gracePeriodSeconds: 0 });
      await this.runtime.stop();
      rmSync(this.rootDir, { recursive: true, force: true });
    });
  }

  /** A bench whose runtime has started (re-adopted nothing: the folder is new), as the contract asks. */
  static async start(
    t: { after: (fn: () => Promise<void>) => void },
    clock?: Clock,
    extra?: Partial<ProcessRuntimeOptions>,
  ): Promise<Bench> {
    const bench = new Bench(t, clock, extra);
    assert.deepEqual(await bench.runtime.start(), []);
    return bench;
  }

  /** A new instance on the same root folder, as after an edgecore restart. */
  newRuntime(): ProcessRuntime {
    return new ProcessRuntime({
      clock: this.clock,
      logger: silentLogger(),
      nodeName: 'edge-1',
      nodeIP: '127.0.0.1',
      rootDir: this.rootDir,
      resolveConfig: (kind, ns, name) => this.config.get(`${kind}/${ns}/${name}`),
      onStatus: (uid, s) => this.statuses.set(uid, [...(this.statuses.get(uid) ?? []), s]),
      onEvent: (uid, event) => this.events.push({ uid, event }),
      crashBackoff: { initialMs: 300, maxMs: 1200 },
      pollIntervalMs: 100,
      ...this.extra,
    });
  }

  last(uid: string): PodStatus | undefined {
    return this.statuses.get(uid)?.at(-1);
  }

  container(uid: string, name: string): ContainerStatus | undefined {
    return this.last(uid)?.containerStatuses.find((c) => c.name === name);
  }

  /** Waits (real time) until `check` holds for the pod's last status. */
  async until(
    uid: string,
    what: string,
    check: (s: PodStatus) => boolean,
    timeoutMs = 8000,
  ): Promise<PodStatus> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = this.last(uid);
      if (s && check(s)) return s;
      if (Date.now() > deadline) {
        assert.fail(`timed out waiting for ${what}; last status: ${JSON.stringify(s, null, 1)}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** The pids the state file records, once it records one for each container (it is written soon after a start). */
  async recordedPids(uid: string, containers: string[]): Promise<Record<string, number>> {
    const path = join(this.rootDir, 'pods', uid, 'state.json');
    for (let i = 0; i < 200; i++) {
      if (existsSync(path)) {
        const record = JSON.parse(readFileSync(path, 'utf8')) as {
          containers: Record<string, { pid?: number }>;
        };
        const pids = Object.fromEntries(containers.map((c) => [c, record.containers[c]?.pid ?? 0]));
        if (Object.values(pids).every((pid) => pid > 1)) return pids;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    return assert.fail(`no pids recorded in ${path}`);
  }

  eventsOf(uid: string, reason: string): PodEvent[] {
    return this.events.filter((e) => e.uid === uid && e.event.reason === reason).map((e) => e.event);
  }

  log(uid: string, container: string): string {
    return readFileSync(join(this.rootDir, 'pods', uid, 'logs', `${container}.log`), 'utf8');
  }
}

let uids = 0;
function pod(containers: Container[], spec: Partial<Pod['spec']> = {}, name = 'app'): Pod {
  uids++;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'demo', uid: `uid-${process.pid}-${uids}` },
    spec: { nodeName: 'edge-1', containers, ...spec },
  };
}
const uidOf = (p: Pod): string => p.metadata.uid ?? '';
const state = (c: ContainerStatus | undefined): string => Object.keys(c?.state ?? {})[0] ?? 'none';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('process runtime', { concurrency: true }, () => {
  test('env from a ConfigMap and a Secret, and a ConfigMap volume on disk, reach the process', async (t) => {
    const bench = await Bench.start(t);
    bench.config.set('configmap/demo/settings', { data: { MODE: 'fast', 'app.conf': 'threads=4\n' } });
    bench.config.set('secret/demo/creds', { data: { PASSWORD: b64('hunter2') } });
    const script = [
      "const fs = require('node:fs');",
      'console.log(`mode=${process.env.MODE} pw=${process.env.DB_PASSWORD} pod=${process.env.POD} host=${process.env.HOSTNAME}`);',
      "console.log('conf=' + fs.readFileSync(process.argv[1] + '/app.conf', 'utf8').trim());",
      "console.log('cwd=' + process.cwd());",
    ].join('\n');
    const p = pod(
      [
        {
          name: 'main',
          image: 'example/app:1',
          command: [NODE, '-e', script],
          args: ['$(EDGEPROOF_MOUNT_CONFIG)'],
          envFrom: [{ secretRef: { name: 'creds' }, prefix: 'DB_' }],
          env: [
            { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'settings', key: 'MODE' } } },
            { name: 'POD', value: '$(MY_NAME).$(MY_NS)' },
            { name: 'MY_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          ],
          volumeMounts: [{ name: 'config', mountPath: '/etc/app' }],
          workingDir: '/tmp',
        },
      ],
      {
        restartPolicy: 'Never',
        volumes: [
          { name: 'config', configMap: { name: 'settings', items: [{ key: 'app.conf', path: 'app.conf' }] } },
        ],
      },
    );
    await bench.runtime.syncPod(p);
    const done = await bench.until(uidOf(p), 'Succeeded', (s) => s.phase === 'Succeeded');
    const main = done.containerStatuses[0];
    assert.equal(main?.state.terminated?.exitCode, 0);
    assert.equal(main?.state.terminated?.reason, 'Completed');
    assert.equal(main?.image, 'example/app:1');
    assert.match(main?.containerID ?? '', /^edgeproof:\/\/[0-9a-f]{64}$/);
    // $(MY_NAME) is defined after POD, so it stays as written (Kubernetes expands in order).
    assert.equal(
      bench.log(uidOf(p), 'main'),
      'mode=fast pw=hunter2 pod=$(MY_NAME).$(MY_NS) host=app\nconf=threads=4\ncwd=/tmp\n',
    );
    const onDisk = join(bench.rootDir, 'pods', uidOf(p), 'volumes', 'config', 'app.conf');
    assert.equal(readFileSync(onDisk, 'utf8'), 'threads=4\n');
    assert.deepEqual(
      bench.events.filter((e) => e.uid === uidOf(p)).map((e) => e.event.reason),
      ['Created', 'Started'],
    );
  });

  test('a Never pod reports its exit code and is Failed; nothing restarts', async (t) => {
    const bench = await Bench.start(t);
    const p = pod([{ name: 'job', command: ['sh', '-c', 'echo working; exit 3'] }], {
      restartPolicy: 'Never',
    });
    await bench.runtime.syncPod(p);
    const s = await bench.until(uidOf(p), 'Failed', (st) => st.phase === 'Failed');
    const job = s.containerStatuses[0];
    assert.equal(job?.state.terminated?.exitCode, 3);
    assert.equal(job?.state.terminated?.reason, 'Error');
    assert.equal(job?.restartCount, 0);
    assert.equal(job?.ready, false);
    assert.equal(s.conditions.find((c) => c.type === 'Ready')?.status, 'False');
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(bench.container(uidOf(p), 'job')?.restartCount, 0);
    assert.equal(bench.log(uidOf(p), 'job'), 'working\n');
  });

  test('a crashing container restarts under the back-off, counting restarts and keeping its last state', async (t) => {
    const bench = await Bench.start(t);
    const p = pod([{ name: 'crash', command: ['sh', '-c', 'echo boom; exit 1'] }]);
    await bench.runtime.syncPod(p);
    const s = await bench.until(
      uidOf(p),
      'three restarts',
      (st) => (st.containerStatuses[0]?.restartCount ?? 0) >= 3,
    );
    assert.equal(s.phase, 'Running');
    const crash = s.containerStatuses[0];
    assert.equal(crash?.lastState.terminated?.exitCode, 1);
    const waits = (bench.statuses.get(uidOf(p)) ?? [])
      .map((st) => st.containerStatuses[0]?.state.waiting)
      .filter((w) => w?.reason === 'CrashLoopBackOff')
      .map((w) =>
        /^back-off (\S+) restarting failed container=crash pod=app_demo\((.+)\)$/.exec(w?.message ?? ''),
      );
    assert.ok(
      waits.every((m) => m?.[2] === uidOf(p)),
      'messages in kubelet form',
    );
    // 300 ms, doubling up to the cap. A wait can be missing from the statuses when the restart job
    // runs after it has already elapsed (a loaded machine); the fake-clock test checks exact values.
    const seen = [...new Set(waits.map((m) => m?.[1]))];
    assert.ok(seen.length > 0, 'the container waited in CrashLoopBackOff');
    const order = ['300ms', '600ms', '1.2s'];
    assert.deepEqual(
      seen.map((d) => order.indexOf(d ?? '')),
      [...seen.map((d) => order.indexOf(d ?? ''))].sort(),
    );
    assert.ok(
      seen.every((d) => order.includes(d ?? '')),
      seen.join(', '),
    );
    assert.ok(bench.eventsOf(uidOf(p), 'BackOff').length >= 2);
    assert.match(bench.log(uidOf(p), 'crash'), /^(boom\n){4,}/);
  });

  test("kubelet's default back-off on a fake clock: immediate, then 10 s, then 20 s", async (t) => {
    const clock = new FakeClock();
    const bench = await Bench.start(t, clock, { crashBackoff: {} });
    const p = pod([{ name: 'crash', command: ['sh', '-c', 'exit 2'] }], { restartPolicy: 'OnFailure' });
    await bench.runtime.syncPod(p);
    const waiting = (count: number, message: string): Promise<PodStatus> =>
      bench.until(uidOf(p), message, (s) => {
        const c = s.containerStatuses[0];
        return c?.restartCount === count && c.state.waiting?.reason === 'CrashLoopBackOff';
      });
    await waiting(1, 'back-off after the first restart');
    assert.match(bench.container(uidOf(p), 'crash')?.state.waiting?.message ?? '', /^back-off 10s /);
    clock.advance(9_000);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(bench.container(uidOf(p), 'crash')?.restartCount, 1, 'still backing off');
    clock.advance(1_000);
    await waiting(2, 'back-off after the second restart');
    assert.match(bench.container(uidOf(p), 'crash')?.state.waiting?.message ?? '', /^back-off 20s /);
    assert.equal(bench.last(uidOf(p))?.phase, 'Running');
  });

  test('termination: SIGTERM reaches a process that traps it; one that ignores it is SIGKILLed after the grace period', async (t) => {
    const bench = await Bench.start(t);
    const trap =
      "process.on('SIGTERM', () => { console.log('got SIGTERM'); process.exit(0); }); console.log('up'); setInterval(() => {}, 1000);";
    const stubborn =
      "process.on('SIGTERM', () => console.log('ignoring SIGTERM')); console.log('up'); setInterval(() => {}, 1000);";
    const p = pod(
      [
        { name: 'polite', command: [NODE, '-e', trap] },
        { name: 'stubborn', command: [NODE, '-e', stubborn] },
      ],
      { terminationGracePeriodSeconds: 1 },
    );
    const uid = uidOf(p);
    await bench.runtime.syncPod(p);
    await bench.until(
      uid,
      'Running and Ready',
      (s) => s.phase === 'Running' && s.containerStatuses.every((c) => c.ready),
    );
    await bench.until(uid, 'both up', () =>
      ['polite', 'stubborn'].every((c) => bench.log(uid, c).includes('up')),
    );
    const started = Date.now();
    await bench.runtime.syncPod({
      ...p,
      metadata: { ...p.metadata, deletionTimestamp: new Date().toISOString() },
    });
    const elapsed = Date.now() - started;
    const s = bench.last(uid);
    assert.equal(bench.container(uid, 'polite')?.state.terminated?.exitCode, 0);
    assert.equal(bench.container(uid, 'stubborn')?.state.terminated?.exitCode, 137);
    assert.equal(s?.phase, 'Failed', 'a terminated pod with a SIGKILLed container is Failed');
    // kubelet gives at least 2 s (minimumGracePeriodInSeconds), even for a grace period of 1 s.
    assert.ok(elapsed >= 1900 && elapsed < 4000, `terminated in ${elapsed} ms`);
    assert.match(bench.log(uid, 'polite'), /got SIGTERM/);
    assert.match(bench.log(uid, 'stubborn'), /ignoring SIGTERM/);
    assert.deepEqual(
      bench.eventsOf(uid, 'Killing').map((e) => e.message),
      ['Stopping container polite', 'Stopping container stubborn'],
    );
    await bench.runtime.syncPod(p);
    assert.equal(bench.container(uid, 'polite')?.restartCount, 0, 'a terminated pod is not started again');
    await bench.runtime.killPod(uid);
    assert.equal(existsSync(join(bench.rootDir, 'pods', uid)), false);
    assert.deepEqual(bench.runtime.listPods(), []);
  });

  test('probes: httpGet on a named port with headers and tcpSocket make a container Ready; a failing exec liveness probe restarts one', async (t) => {
    const bench = await Bench.start(t);
    const port = await freePort();
    const server = [
      "require('node:http').createServer((req, res) => {",
      "  res.statusCode = req.url === '/healthz' && req.headers['x-probe'] === 'edgeproof' ? 200 : 401;",
      '  res.end();',
      '}).listen(Number(process.env.PORT), "127.0.0.1");',
    ].join('\n');
    const p = pod([
      {
        name: 'web',
        command: [NODE, '-e', server],
        env: [{ name: 'PORT', value: String(port) }],
        ports: [{ name: 'http', containerPort: port }],
        readinessProbe: {
          httpGet: { path: '/healthz', port: 'http', httpHeaders: [{ name: 'X-Probe', value: 'edgeproof' }] },
          periodSeconds: 1,
        },
        livenessProbe: { tcpSocket: { port }, periodSeconds: 1 },
      },
      {
        name: 'sick',
        command: ['sleep', '30'],
        livenessProbe: {
          exec: { command: ['sh', '-c', 'echo "not feeling well"; exit 1'] },
          periodSeconds: 1,
          failureThreshold: 2,
        },
      },
    ]);
    const uid = uidOf(p);
    await bench.runtime.syncPod(p);
    await bench.until(uid, 'web Ready', () => bench.container(uid, 'web')?.ready === true);
    const s = await bench.until(
      uid,
      'sick restarted',
      () => (bench.container(uid, 'sick')?.restartCount ?? 0) >= 1,
    );
    const sick = s.containerStatuses.find((c) => c.name === 'sick');
    assert.equal(sick?.lastState.terminated?.exitCode, 143, 'sleep ended by SIGTERM');
    assert.equal(bench.container(uid, 'web')?.restartCount, 0, 'tcpSocket liveness keeps passing');
    assert.ok(
      bench
        .eventsOf(uid, 'Unhealthy')
        .some((e) => e.type === 'Warning' && e.message === 'Liveness probe failed: not feeling well'),
    );
    assert.ok(
      bench
        .eventsOf(uid, 'Killing')
        .some((e) => e.message === 'Container sick failed liveness probe, will be restarted'),
    );
  });

  test('a readiness probe that fails keeps the pod not Ready, naming the container', async (t) => {
    const bench = await Bench.start(t);
    const p = pod([
      { name: 'fine', command: ['sleep', '30'] },
      {
        name: 'unready',
        command: ['sleep', '30'],
        readinessProbe: { exec: { command: ['false'] }, periodSeconds: 1 },
      },
    ]);
    const uid = uidOf(p);
    await bench.runtime.syncPod(p);
    const s = await bench.until(uid, 'Running', (st) => st.phase === 'Running');
    const ready = s.conditions.find((c) => c.type === 'Ready');
    assert.equal(ready?.status, 'False');
    assert.equal(ready?.message, 'containers with unready status: [unready]');
    assert.equal(bench.container(uid, 'fine')?.ready, true);
    await bench.until(uid, 'a readiness failure event', () => bench.eventsOf(uid, 'Unhealthy').length > 0);
    assert.equal(bench.container(uid, 'unready')?.restartCount, 0, 'readiness never restarts');
  });

  test('a new runtime instance adopts a process that still runs and restarts one that died meanwhile', async (t) => {
    const bench = await Bench.start(t);
    const p = pod([
      { name: 'kept', command: ['sleep', '30'] },
      { name: 'lost', command: ['sleep', '31'] },
    ]);
    const uid = uidOf(p);
    await bench.runtime.syncPod(p);
    const before = await bench.until(uid, 'Running', (s) => s.containerStatuses.every((c) => c.ready));
    const pids = await bench.recordedPids(uid, ['kept', 'lost']);
    const keptPid = pids['kept'] ?? assert.fail('no pid');
    const lostPid = pids['lost'] ?? assert.fail('no pid');
    await bench.runtime.stop();
    assert.doesNotThrow(() => process.kill(keptPid, 0), 'stop leaves processes running');
    process.kill(lostPid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 100));

    bench.runtime = bench.newRuntime();
    assert.deepEqual(await bench.runtime.start(), [uid]);
    const after = await bench.until(
      uid,
      'lost restarted',
      () => bench.container(uid, 'lost')?.restartCount === 1,
    );
    const kept = after.containerStatuses.find((c) => c.name === 'kept');
    assert.equal(kept?.containerID, before.containerStatuses[0]?.containerID, 'the same container instance');
    assert.equal(kept?.restartCount, 0);
    const lost = after.containerStatuses.find((c) => c.name === 'lost');
    assert.equal(lost?.lastState.terminated?.reason, 'Error');
    assert.match(
      lost?.lastState.terminated?.message ?? '',
      /exit code unknown: the process ended while edgecore was not running/,
    );

    // The adopted process is watched through /proc: its end is seen, and it restarts too.
    process.kill(keptPid, 'SIGKILL');
    const restarted = await bench.until(
      uid,
      'kept restarted',
      () => bench.container(uid, 'kept')?.restartCount === 1,
    );
    const keptNow = restarted.containerStatuses.find((c) => c.name === 'kept');
    assert.equal(keptNow?.lastState.terminated?.exitCode, 137);
    assert.match(keptNow?.lastState.terminated?.message ?? '', /exit code unknown: the process was adopted/);
    assert.equal(state(keptNow), 'running');
  });

  test('specs that cannot run wait with a clear reason and a Warning event, and the runtime carries on', async (t) => {
    const bench = await Bench.start(t, undefined, { resyncIntervalMs: 200 });
    const noCommand = pod([
      { name: 'nocmd', image: 'nginx:1.27' },
      { name: 'ok', command: ['sleep', '30'] },
    ]);
    const missingConfig = pod([
      {
        name: 'needs',
        command: ['sleep', '30'],
        env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'later', key: 'x' } } }],
      },
    ]);
    const badVolume = pod([{ name: 'c', command: ['sleep', '30'] }], {
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'pvc-1' } }],
    });
    const missingBinary = pod([{ name: 'c', command: ['no-such-binary-edgeproof'] }], {
      restartPolicy: 'Never',
    });
    for (const p of [noCommand, missingConfig, badVolume, missingBinary]) await bench.runtime.syncPod(p);

    const waiting = (p: Pod, name: string) => bench.container(uidOf(p), name)?.state.waiting;
    assert.equal(waiting(noCommand, 'nocmd')?.reason, 'CreateContainerConfigError');
    assert.match(waiting(noCommand, 'nocmd')?.message ?? '', /container "nocmd" has no command/);
    assert.equal(state(bench.container(uidOf(noCommand), 'ok')), 'running');
    assert.equal(bench.last(uidOf(noCommand))?.phase, 'Pending');
    const failed = bench.eventsOf(uidOf(noCommand), 'Failed')[0];
    assert.equal(failed?.type, 'Warning');
    assert.match(failed?.message ?? '', /^Error: container "nocmd" has no command/);

    assert.deepEqual(waiting(missingConfig, 'needs'), {
      reason: 'CreateContainerConfigError',
      message: 'configmap "later" not found',
    });
    assert.equal(
      bench.eventsOf(uidOf(missingConfig), 'Failed')[0]?.message,
      'Error: configmap "later" not found',
    );
    await bench.runtime.syncPod(missingConfig);
    assert.equal(
      bench.eventsOf(uidOf(missingConfig), 'Failed').length,
      1,
      'the same failure is not reported twice',
    );
    bench.config.set('configmap/demo/later', { data: { x: '1' } });
    await bench.until(
      uidOf(missingConfig),
      'the periodic resync to start it',
      () => state(bench.container(uidOf(missingConfig), 'needs')) === 'running',
    );

    assert.equal(waiting(badVolume, 'c')?.reason, 'CreateContainerConfigError');
    assert.match(waiting(badVolume, 'c')?.message ?? '', /volume "data" has type persistentVolumeClaim/);

    const s = await bench.until(uidOf(missingBinary), 'Failed', (st) => st.phase === 'Failed');
    assert.deepEqual(
      s.containerStatuses[0]?.state.terminated && {
        exitCode: s.containerStatuses[0].state.terminated.exitCode,
        reason: s.containerStatuses[0].state.terminated.reason,
        message: s.containerStatuses[0].state.terminated.message,
      },
      {
        exitCode: 128,
        reason: 'StartError',
        message:
          'failed to start container "c": exec: "no-such-binary-edgeproof": executable file not found in $PATH',
      },
    );
  });

  test('a container whose spec changed is restarted with the new spec', async (t) => {
    const bench = await Bench.start(t);
    const p = pod([{ name: 'c', command: ['sh', '-c', 'echo v1; sleep 30'] }]);
    const uid = uidOf(p);
    await bench.runtime.syncPod(p);
    await bench.until(uid, 'Running', (s) => s.phase === 'Running');
    await bench.runtime.syncPod({
      ...p,
      spec: { ...p.spec, containers: [{ name: 'c', command: ['sh', '-c', 'echo v2; sleep 30'] }] },
    });
    const c = bench.container(uid, 'c');
    assert.equal(c?.restartCount, 1);
    assert.equal(state(c), 'running');
    assert.equal(c?.lastState.terminated?.exitCode, 143);
    assert.ok(
      bench
        .eventsOf(uid, 'Killing')
        .some((e) => e.message === 'Container c definition changed, will be restarted'),
    );
    await bench.until(uid, 'v2 logged', () => bench.log(uid, 'c').includes('v2'));
  });
});
