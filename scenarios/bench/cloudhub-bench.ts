// `npm run bench:cloudhub`: how fast N edge nodes connect to one cloudcore over mutual TLS, and
// what cloudcore costs in memory with them connected. Goals (issue 3): 5,000 nodes connected in
// ≤ 10 s, cloudcore ≤ 400 MB. Prints a table and writes bench-results/cloudhub.json; never fails
// on timing (it is not a test).
//
// Layout, so each figure is about one thing: the embedded API server runs in this process,
// cloudcore in a process of its own (its RSS is the figure), the edge nodes in fleet processes of
// at most 2,500 nodes each (each node holds a socket and a SQLite file with its WAL: 2,500 nodes stay
// well inside the 20,000 descriptors a process may have here, ARCHITECTURE.md §6).
// Each size runs BENCH_CLOUDHUB_RUNS times (default 3) from scratch; the medians are the figures.
// For each N: every node's certificate is first bootstrapped with the join token (timed as
// "bootstrap"), then all nodes start at once with their stored certificates, as after a cloudcore
// restart or a power cut of a site: "connected" is when every WebSocket session is up, "registered"
// when every Node object exists (register + lease through edgecontroller into the API server);
// "failed dials" counts the dials that timed out or were reset or refused on the way (each node
// then backs off and dials again), which a cloudhub that keeps up with the herd keeps at 0.
// cloudcore runs with the V8 flags for a cloud host (src/node-flags.ts, as the scenario runner's);
// BENCH_CLOUDCORE_NODE_ARGS (space-separated) replaces them, for cloudcore's process alone, to
// compare V8 settings without touching the API server or the fleets (with "--expose-gc" among
// them, SIGUSR2 to cloudcore prints its heap spaces after a full GC). Last, "stop" is how long
// cloudcore takes from SIGTERM to exit with every node still connected (Ctrl-C on a loaded cloud).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { SystemClock, silentLogger } from '@edgeproof/core';
import { ApiServer } from '@edgeproof/cloud';
import { kubeEdgeCrds } from '@edgeproof/crds';
import { EDGEPROOF_NODE_FLAGS } from '../src/node-flags.ts';
import type { FleetConfig } from './edge-fleet.ts';
import { cpuSeconds, median, memoryMb, stopChild } from './process-stats.ts';

const here = dirname(fileURLToPath(import.meta.url));
const SIZES = (process.env.BENCH_NODES ?? '1000,5000').split(',').map(Number);
/** Runs of each size, each from scratch (fresh API server, cloudcore, certificates); medians reported. */
const RUNS = Number(process.env.BENCH_CLOUDHUB_RUNS ?? 3);
const NODES_PER_FLEET = 2500;
const CLOUDCORE_NODE_ARGS =
  process.env.BENCH_CLOUDCORE_NODE_ARGS === undefined
    ? EDGEPROOF_NODE_FLAGS
    : process.env.BENCH_CLOUDCORE_NODE_ARGS.split(' ').filter(Boolean);

type Line = Record<string, unknown> & { event?: string };

/** Spawns `node script arg`, handing each JSON stdout line to `onLine`. */
function spawnJson(
  script: string,
  arg: string[],
  onLine: (l: Line) => void,
  nodeArgs: readonly string[] = [],
): ChildProcess {
  const child = spawn(process.execPath, [...nodeArgs, join(here, script), ...arg], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  createInterface({ input: child.stdout }).on('line', (text) => {
    try {
      onLine(JSON.parse(text) as Line);
    } catch {
      process.stderr.write(`${script}: ${text}\n`);
    }
  });
  return child;
}

function waitFor<T>(what: string, timeoutMs: number, arm: (done: (v: T) => void) => void): Promise<T> {
  return new Promise<T>((resolveWait, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: not within ${timeoutMs / 1000} s`)), timeoutMs);
    arm((v) => {
      clearTimeout(timer);
      resolveWait(v);
    });
  });
}

function fleets(n: number): Array<{ from: number; count: number }> {
  const out: Array<{ from: number; count: number }> = [];
  for (let from = 1; from <= n; from += NODES_PER_FLEET)
    out.push({ from, count: Math.min(NODES_PER_FLEET, n - from + 1) });
  return out;
}

async function measure(n: number): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), `edgeproof-cloudhub-bench-${n}-`));
  const apiserver = new ApiServer({
    dataDir: join(dir, 'cloud'),
    port: 0,
    clock: new SystemClock(),
    logger: silentLogger(),
    initialObjects: kubeEdgeCrds(),
  });
  await apiserver.start();
  const kubeconfig = join(dir, 'cloud', 'kubeconfig');
  apiserver.writeKubeconfig(kubeconfig);
  const children: ChildProcess[] = [];
  try {
    let ports: Line = {};
    const cloudcore = spawnJson(
      'cloudcore-process.ts',
      [kubeconfig, String(n + 100)],
      (l) => (ports = l),
      CLOUDCORE_NODE_ARGS,
    );
    children.push(cloudcore);
    await waitFor('cloudcore start', 60_000, (done) => {
      const poll = setInterval(
        () => ports.hubPort !== undefined && (clearInterval(poll), done(undefined)),
        50,
      );
    });
    const base: Omit<FleetConfig, 'mode' | 'from' | 'count'> = {
      cloudHub: `127.0.0.1:${String(ports.hubPort)}`,
      certServer: `127.0.0.1:${String(ports.certPort)}`,
      token: String(ports.token),
      dataDir: join(dir, 'edges'),
      prefix: 'edge-',
      concurrency: 16,
    };
    const idleMb = memoryMb(cloudcore.pid!);

    // 1. Bootstrap every certificate (fleets in parallel).
    const bootStart = Date.now();
    await Promise.all(
      fleets(n).map(
        (f) =>
          new Promise<void>((done, reject) => {
            const child = spawnJson(
              'edge-fleet.ts',
              [JSON.stringify({ ...base, ...f, mode: 'bootstrap' })],
              () => undefined,
            );
            child.once('exit', (code) =>
              code === 0 ? done() : reject(new Error(`bootstrap fleet exited ${code}`)),
            );
          }),
      ),
    );
    const bootstrapMs = Date.now() - bootStart;

    // 2. All nodes at once, certificates reused: every fleet prepares, then all are told to dial.
    type FleetProgress = { connected: number; registered: number; failedDials: number };
    const progress = new Map<number, FleetProgress>();
    let connectedMs = 0;
    let registeredMs = 0;
    let failedDials = 0;
    let startAt = 0;
    let cpuAtStart = 0;
    let apiCpuAtStart = process.cpuUsage();
    let cloudcoreConnectCpuS = 0;
    let apiConnectCpuS = 0;
    const connectFleets: ChildProcess[] = [];
    let prepared = 0;
    const all = waitFor<void>(`${n} nodes registered`, 300_000, (done) => {
      for (const f of fleets(n)) {
        const child = spawnJson(
          'edge-fleet.ts',
          [JSON.stringify({ ...base, ...f, mode: 'connect' })],
          (l) => {
            if (l.event === 'prepared' && ++prepared === fleets(n).length) {
              startAt = Date.now();
              cpuAtStart = cpuSeconds(cloudcore.pid!);
              apiCpuAtStart = process.cpuUsage();
              for (const c of connectFleets) c.stdin?.write('go\n');
            }
            if (l.event !== 'progress') return;
            progress.set(f.from, {
              connected: Number(l.connected),
              registered: Number(l.registered),
              failedDials: Number(l.failedDials),
            });
            const sum = (k: keyof FleetProgress): number =>
              [...progress.values()].reduce((a, p) => a + p[k], 0);
            const now = Date.now() - startAt;
            if (connectedMs === 0 && sum('connected') === n) connectedMs = now;
            if (registeredMs === 0 && sum('registered') === n) {
              registeredMs = now;
              failedDials = sum('failedDials');
              cloudcoreConnectCpuS = cpuSeconds(cloudcore.pid!) - cpuAtStart;
              const api = process.cpuUsage(apiCpuAtStart);
              apiConnectCpuS = (api.user + api.system) / 1e6;
              done(undefined);
            }
          },
        );
        connectFleets.push(child);
        children.push(child);
      }
    });
    await all;
    const connectedMb = memoryMb(cloudcore.pid!);
    // A little steady state: status and lease renewals every 10 s from every node.
    const steadyCpuAtStart = cpuSeconds(cloudcore.pid!);
    const steadyStart = Date.now();
    await new Promise((r) => setTimeout(r, 12_000));
    const steadyMb = memoryMb(cloudcore.pid!);
    const steadyBusy = (cpuSeconds(cloudcore.pid!) - steadyCpuAtStart) / ((Date.now() - steadyStart) / 1000);
    // 3. Stop cloudcore (SIGTERM, as Ctrl-C or a service manager does) with every node connected.
    const stopStart = Date.now();
    await stopChild(cloudcore);
    const stopMs = Date.now() - stopStart;
    return {
      nodes: n,
      bootstrapMs,
      bootstrapPerSecond: Math.round((n / bootstrapMs) * 1000),
      connectedMs,
      registeredMs,
      failedDials,
      cloudcoreCpuSecondsToRegistered: Math.round(cloudcoreConnectCpuS * 10) / 10,
      apiserverAndBenchCpuSecondsToRegistered: Math.round(apiConnectCpuS * 10) / 10,
      /** Share of one core cloudcore used in the 12 s after registration (lease renewals). */
      cloudcoreSteadyCpuPercent: Math.round(steadyBusy * 100),
      cloudcoreIdleRssMb: idleMb.rss,
      cloudcoreConnectedRssMb: connectedMb.rss,
      cloudcoreSteadyRssMb: steadyMb.rss,
      cloudcorePeakRssMb: steadyMb.peak,
      /** SIGTERM to exit, every node connected. */
      cloudcoreStopMs: stopMs,
    };
  } finally {
    await Promise.all(children.map(stopChild));
    await apiserver.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const runs: Array<Record<string, number>> = [];
const results: Array<Record<string, number>> = [];
for (const n of SIZES) {
  const ofSize: Array<Record<string, number>> = [];
  for (let run = 1; run <= RUNS; run++) {
    process.stderr.write(`measuring ${n} nodes, run ${run} of ${RUNS}…\n`);
    ofSize.push(await measure(n));
  }
  runs.push(...ofSize);
  const keys = Object.keys(ofSize[0] ?? {});
  results.push(Object.fromEntries(keys.map((k) => [k, median(ofSize.map((r) => r[k] ?? 0))])));
}
const report = {
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', node: process.version },
  goals: { connect5000Ms: 10_000, cloudcoreRssMb: 400 },
  runsPerSize: RUNS,
  cloudcoreNodeArgs: CLOUDCORE_NODE_ARGS,
  /** The median of each figure over the runs of a size. */
  results,
  runs,
};
const out = resolve('bench-results');
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'cloudhub.json'), JSON.stringify(report, null, 2) + '\n');
const row = (label: string, r: Record<string, number>): string =>
  `${label.padEnd(8)} ${String(r.nodes).padStart(5)}  ${String(r.bootstrapPerSecond).padStart(19)}  ${(r.connectedMs! / 1000).toFixed(2).padStart(8)} s  ${(r.registeredMs! / 1000).toFixed(2).padStart(8)} s  ${String(r.failedDials).padStart(12)}  ${String(r.cloudcoreCpuSecondsToRegistered).padStart(10)} s  ${String(r.cloudcoreSteadyCpuPercent).padStart(8)} %  ${r.cloudcoreIdleRssMb} / ${r.cloudcoreConnectedRssMb} / ${r.cloudcoreSteadyRssMb} / ${r.cloudcorePeakRssMb} MB  ${(r.cloudcoreStopMs! / 1000).toFixed(2).padStart(6)} s`;
console.log(
  'run       nodes  bootstrap (certs/s)  connected  registered  failed dials  cloudcore CPU  steady CPU  cloudcore RSS idle / connected / steady / peak  stop',
);
for (const [i, r] of runs.entries()) console.log(row(`run ${(i % RUNS) + 1}`, r));
for (const r of results) console.log(row('median', r));
const goal = results.find((r) => r.nodes === 5000);
if (goal !== undefined) {
  const met = (ok: boolean): string => (ok ? 'met' : 'not met');
  console.log(
    `5000 nodes (median of ${RUNS}): connected in ${(goal.connectedMs! / 1000).toFixed(1)} s (goal ≤ 10 s: ${met(goal.connectedMs! <= 10_000)}); cloudcore ${goal.cloudcoreSteadyRssMb} MB steady, ${goal.cloudcorePeakRssMb} MB peak (goal ≤ 400: ${met(goal.cloudcorePeakRssMb! <= 400)})`,
  );
}
console.log('\nwritten to bench-results/cloudhub.json');
