// Offline autonomy with real processes and real kubectl (issue 4's proof): a pod with a configmap
// env and volume runs on a joined edge node; with the cloud gone and edgecore killed -9 and started
// again alone, the pod's process keeps running (adopted, not started twice) and MetaServer still
// lists it; a pod deleted and a configmap changed while the node is away reach it on reconnect;
// status converges when the cloud is back. Timers are shortened (grace 3 s, status every 500 ms).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, exitOf, freePort, kubectl, kubectlOk, start, up, type Running } from './support/cli.ts';

let dir: string;
let kubeconfig: string;
let hubPort: number;
let certPort: number;
let apiPort: number;
const running = new Set<Running>();

function cloudArgs(): string[] {
  return [
    '--data-dir',
    join(dir, 'cloud'),
    '--nodes',
    '0',
    '--apiserver-port',
    String(apiPort),
    '--cloudhub-port',
    String(hubPort),
    '--certport',
    String(certPort),
    '--node-monitor-grace-period',
    '3s',
  ];
}

function joinArgs(extra: string[] = []): string[] {
  return [
    'join',
    '--cloudcore-ipport',
    `127.0.0.1:${hubPort}`,
    '--certport',
    String(certPort),
    '--edgenode-name',
    'plant-1',
    '--data-dir',
    join(dir, 'edge'),
    '--node-status-update-frequency',
    '500ms',
    '--metaserver-port',
    '0',
    '--mqtt-port',
    '0',
    ...extra,
  ];
}

async function startCloud(): Promise<Running> {
  const cloud = await up(cloudArgs());
  running.add(cloud);
  return cloud;
}

async function startEdge(extra: string[] = []): Promise<Running> {
  const edge = await start(joinArgs(extra));
  running.add(edge);
  return edge;
}

/** Starts edgecore while the cloud is down: there is no registration, so no ready line. */
async function startEdgeOffline(): Promise<Running> {
  const edge = await start(joinArgs(), /MetaServer at http/);
  running.add(edge);
  return edge;
}

async function stop(r: Running, signal: NodeJS.Signals): Promise<void> {
  const exited = exitOf(r.child);
  r.child.kill(signal);
  await exited;
  running.delete(r);
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'edgeproof-offline-'));
  [hubPort, certPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  kubeconfig = join(dir, 'cloud', 'kubeconfig');
});

after(() => {
  for (const r of running) r.child.kill('SIGKILL');
  // The pod's processes belong to no edgecore once it is killed: end them by their marker.
  spawnSync('pkill', ['-f', dir]);
  rmSync(dir, { recursive: true, force: true });
});

const configMap = (speed: string): string => `
apiVersion: v1
kind: ConfigMap
metadata: { name: line-config }
data: { SPEED: "${speed}", note.txt: "from the volume" }
`;

/** A pod whose container writes its shell's pid and what it reads from the configmap under `dir`. */
function pod(name: string): string {
  const out = join(dir, `${name}.out`);
  // Kubernetes expands $(VAR) in commands and turns $$ into $, so $$$$ reaches sh as $$ (its pid).
  return `
apiVersion: v1
kind: Pod
metadata: { name: ${name} }
spec:
  nodeName: plant-1
  terminationGracePeriodSeconds: 2
  containers:
    - name: main
      image: registry.example/counter:1.0
      command: ["sh", "-c", "echo $$$$ > ${out}.pid; echo speed=$SPEED >> ${out}; cat $(EDGEPROOF_MOUNT_CFG)/note.txt >> ${out}; while true; do sleep 1; done"]
      env:
        - name: SPEED
          valueFrom: { configMapKeyRef: { name: line-config, key: SPEED } }
      volumeMounts: [{ name: cfg, mountPath: /etc/line }]
      readinessProbe:
        exec: { command: ["true"] }
        periodSeconds: 1
  volumes:
    - name: cfg
      configMap: { name: line-config }
`;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function edgeGet(args: string[]): Promise<string> {
  return kubectlOk(join(dir, 'edge', 'kubeconfig'), args);
}

test('pods keep running through a cloud outage and an edgecore restart, and converge after', async () => {
  const cloud = await startCloud();
  const token = readFileSync(join(dir, 'cloud', 'token'), 'utf8').trim();
  let edge = await startEdge(['--token', token]);

  // 1. Two pods with a configmap env and volume reach Running and Ready on the edge.
  const file = join(dir, 'manifests.yaml');
  writeFileSync(file, [configMap('12'), pod('counter'), pod('doomed')].join('---'));
  await kubectlOk(kubeconfig, ['apply', '-f', file]);
  for (const pod of ['counter', 'doomed']) {
    await kubectlOk(kubeconfig, ['wait', '--for=condition=Ready', `pod/${pod}`, '--timeout=30s']);
  }
  const out = join(dir, 'counter.out');
  assert.equal(readFileSync(out, 'utf8'), 'speed=12\nfrom the volume');
  const pid = Number(readFileSync(`${out}.pid`, 'utf8'));
  assert.ok(pidAlive(pid));
  const syncs = await kubectlOk(kubeconfig, ['get', 'objectsyncs', '-o', 'name']);
  assert.equal(syncs.trim().split('\n').length, 3, `ObjectSyncs for two pods and the configmap:\n${syncs}`);

  // 2. The cloud goes away; edgecore is killed -9 and started again alone.
  await stop(cloud, 'SIGINT');
  await stop(edge, 'SIGKILL');
  assert.ok(pidAlive(pid), 'the container outlives edgecore');
  edge = await startEdgeOffline();
  await eventually('the pods adopted again', () => Promise.resolve(/stored=2 adopted=2/.test(edge.output())));
  assert.ok(pidAlive(pid), 'the same process, not a new one');
  assert.equal(readFileSync(out, 'utf8'), 'speed=12\nfrom the volume', 'not started a second time');
  const listed = await edgeGet(['get', 'pods', '-o', 'name']);
  assert.deepEqual(listed.trim().split('\n').sort(), ['pod/counter', 'pod/doomed']);

  // 3. The cloud comes back; while the edge is away (stopped), a pod is deleted and the configmap
  //    changed. On reconnect both reach the edge.
  const cloud2 = await startCloud();
  await stop(edge, 'SIGINT');
  const doomedPid = Number(readFileSync(join(dir, 'doomed.out.pid'), 'utf8'));
  await kubectlOk(kubeconfig, ['delete', 'pod', 'doomed', '--wait=false']);
  await kubectlOk(kubeconfig, ['patch', 'configmap', 'line-config', '-p', '{"data":{"SPEED":"30"}}']);
  edge = await startEdge();
  await eventually(
    'the deleted pod stopped on the edge',
    () => Promise.resolve(!pidAlive(doomedPid)),
    20_000,
  );
  await eventually(
    'the new configmap on the edge',
    async () => (await edgeGet(['get', 'configmap', 'line-config', '-o', 'jsonpath={.data.SPEED}'])) === '30',
  );
  assert.deepEqual((await edgeGet(['get', 'pods', '-o', 'name'])).trim().split('\n'), ['pod/counter']);
  await eventually(
    'doomed gone from the cloud',
    async () => (await kubectl(kubeconfig, ['get', 'pod', 'doomed'])).code !== 0,
  );

  // 4. Status converges: the node and the pod are Ready, the container never restarted.
  await kubectlOk(kubeconfig, ['wait', '--for=condition=Ready', 'node/plant-1', '--timeout=30s']);
  await kubectlOk(kubeconfig, ['wait', '--for=condition=Ready', 'pod/counter', '--timeout=30s']);
  const restarts = await kubectlOk(kubeconfig, [
    'get',
    'pod',
    'counter',
    '-o',
    'jsonpath={.status.containerStatuses[0].restartCount}',
  ]);
  assert.equal(restarts, '0');
  assert.ok(pidAlive(pid));
  assert.ok(existsSync(join(dir, 'edge', 'edgecore.db')));
  await stop(edge, 'SIGINT');
  await stop(cloud2, 'SIGINT');
});
