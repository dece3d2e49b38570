// `npm run bench:twins`: twin updates per second through the edge's MQTT broker into DeviceTwin,
// and how long a reported value takes to reach DeviceStatus in the cloud, for 1,000 devices on 10
// edge nodes. Goals (issue 5): ≥ 10,000 twin updates/s at QoS 1 through the edge; report → cloud
// status p99 ≤ 500 ms. Prints a table and writes bench-results/twins.json; never fails on timing
// (it is not a test).
//
// Layout, so that the cloud and the edges do not share one event loop (all on the same 2 cores):
// - this process: the embedded API server, the Devices created through its API, and a watch on
//   DeviceStatus (the "cloud status" observer);
// - cloudcore in a process of its own (`twin-bench.ts cloudcore …`, as `cloudcore-process.ts`);
// - the edges: 10 instance-scoped EdgeCores (hollow runtime, no MetaServer, each with its embedded
//   aedes broker and DeviceTwin) in one process (`twin-bench.ts edges …`);
// - the mappers: MQTT publishers (mqtt.js) in one process (`twin-bench.ts publishers …`), one
//   client per node broker, publishing `$hw/events/device/<ns>/<name>/twin/update` with an
//   `actual` value at QoS 1, round-robin over the node's devices.
// Runs (each BENCH_TWIN_SECONDS, BENCH_TWIN_RUNS of each kind, medians reported), after a warm-up
// that makes every DeviceStatus exist:
// - "max": as fast as the edge takes them: a new publish for each PUBACK, a bounded window of
//   unacknowledged publishes per client (BENCH_TWIN_WINDOW);
// - paced: BENCH_TWIN_PACED_RATES updates/s over all devices (default 500, 1000, 2000 and 10000),
//   for the report latency below, at and above what the cloud writes per second.
// The value is `<run>-<publish ms>-<seq>`, so every DeviceStatus change seen by the watch tells its
// latency (observed − published). Throughput is what DeviceTwin applied (its own counter: stored,
// then answered on `…/twin/update/result`) per second of the window. The edge and the cloud
// coalesce per device, so DeviceStatus shows a subset of the values: "observed" latency is of the
// values that appeared; "covering" latency is, for every published value, the time until
// DeviceStatus showed it or a newer value of the same device. BENCH_TWIN_CPU_PROF=<dir> writes a
// V8 CPU profile of each process for each measured window.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Session } from 'node:inspector/promises';
import type { KubernetesObject } from '@kubernetes/client-node';
import { connect, type MqttClient } from 'mqtt';
import { SystemClock, createLogger, silentLogger } from '@edgeproof/core';
import { cpuSeconds, median, memoryMb, percentile, stopChild } from './process-stats.ts';
// Each process imports only what its role runs (dynamic imports below), so that the RSS figures
// are of the role: @kubernetes/client-node alone is ~90 MB, and the edges do not load the cloud.

const NODES = Number(process.env.BENCH_TWIN_NODES ?? 10);
const DEVICES_PER_NODE = Number(process.env.BENCH_TWIN_DEVICES ?? 100);
const SECONDS = Number(process.env.BENCH_TWIN_SECONDS ?? 15);
const RUNS = Number(process.env.BENCH_TWIN_RUNS ?? 3);
/** Unacknowledged QoS 1 publishes per MQTT client. */
const WINDOW = Number(process.env.BENCH_TWIN_WINDOW ?? 100);
const CLIENTS_PER_NODE = Number(process.env.BENCH_TWIN_CLIENTS ?? 1);
/**
 * The paced runs: updates per second over all devices (500: each device every 2 s; 1000: every
 * second; 2000: about the DeviceStatus writes/s the cloud manages here, so the knee shows; 10000:
 * the issue's throughput goal, at which its latency goal is read).
 */
const PACED_RATES = (process.env.BENCH_TWIN_PACED_RATES ?? '500,1000,2000,10000')
  .split(',')
  .filter(Boolean)
  .map(Number);
/** How long after the window the cloud may take to show every device's last value. */
const SETTLE_MS = 30_000;
const NAMESPACE = 'default';
const MODEL = 'bench-sensor';
const PROPERTY = 'reading';

const self = fileURLToPath(import.meta.url);
/** BENCH_TWIN_CPU_PROF=<dir>: every process writes a V8 CPU profile of the measured window(s) there. */
const PROFILE_DIR = process.env.BENCH_TWIN_CPU_PROF;
type Line = Record<string, unknown> & { event?: string };

const emit = (event: Record<string, unknown>): void => {
  process.stdout.write(JSON.stringify(event) + '\n');
};

function deviceNames(node: number): string[] {
  return Array.from({ length: DEVICES_PER_NODE }, (_, i) => `sensor-${node}-${i}`);
}

/** Profiles this process between `start()` and `stop()` when PROFILE_DIR is set. */
class WindowProfiler {
  private session: Session | undefined;
  private readonly name: string;
  constructor(name: string) {
    this.name = name;
  }
  async start(): Promise<void> {
    if (PROFILE_DIR === undefined) return;
    this.session = new Session();
    this.session.connect();
    await this.session.post('Profiler.enable');
    await this.session.post('Profiler.start');
  }
  async stop(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    if (session === undefined || PROFILE_DIR === undefined) return;
    const { profile } = await session.post('Profiler.stop');
    mkdirSync(PROFILE_DIR, { recursive: true });
    writeFileSync(
      join(PROFILE_DIR, `${this.name.replaceAll('/', '-')}-${Date.now()}.cpuprofile`),
      JSON.stringify(profile),
    );
    session.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------
// cloudcore, in a process of its own (as cloudcore-process.ts, with a profile of the window).

async function runCloudcore(kubeconfigPath: string): Promise<void> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const { CloudCore } = await import('@edgeproof/cloud');
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kubeconfigPath);
  const cloudcore = new CloudCore({
    kubeConfig,
    advertiseAddresses: ['127.0.0.1'],
    host: '127.0.0.1',
    hubPort: 0,
    certPort: 0,
    nodeLimit: NODES + 10,
    clock: new SystemClock(),
    logger: createLogger('cloudcore', { level: 'error' }),
  });
  await cloudcore.start();
  emit({
    event: 'ports',
    hubPort: cloudcore.hubPort(),
    certPort: cloudcore.certPort(),
    token: cloudcore.token(),
  });
  const profiler = new WindowProfiler('cloudcore');
  createInterface({ input: process.stdin }).on('line', (command) => {
    if (command === 'profile-start') void profiler.start();
    if (command === 'profile-stop') void profiler.stop();
  });
  process.once('SIGTERM', () => {
    void cloudcore.stop().then(() => process.exit(0));
  });
}

// ---------------------------------------------------------------------------------------------
// The edges process.

interface EdgesConfig {
  cloudHub: string;
  certServer: string;
  token: string;
  dataDir: string;
  nodes: string[];
}

async function runEdges(config: EdgesConfig): Promise<void> {
  const { EdgeCore } = await import('@edgeproof/edge');
  const clock = new SystemClock();
  const logger = createLogger('edges', { level: 'error' });
  const cores = config.nodes.map(
    (name) =>
      new EdgeCore({
        dataDir: join(config.dataDir, name),
        nodeName: name,
        cloudHub: config.cloudHub,
        certServer: config.certServer,
        token: config.token,
        clock,
        logger,
        runtime: 'hollow',
        metaServer: false,
        devices: { broker: { mode: 'internal', port: 0 }, mappers: false },
      }),
  );
  await Promise.all(cores.map((c) => c.start()));
  while (!cores.every((c) => c.registered())) await new Promise((r) => setTimeout(r, 50));
  emit({ event: 'ready', brokers: cores.map((c) => c.brokerUrl()) });
  const profiler = new WindowProfiler('edges');
  createInterface({ input: process.stdin }).on('line', (command) => {
    if (command === 'profile-start') void profiler.start();
    if (command === 'profile-stop') void profiler.stop();
    if (command === 'devices') {
      emit({ event: 'devices', counts: cores.map((c) => c.deviceServices()?.devices().length ?? 0) });
    } else if (command === 'stats') {
      const twins = cores.map((c) => c.deviceServices()!.deviceTwin.stats());
      emit({
        event: 'stats',
        at: Date.now(),
        twinUpdates: twins.reduce((a, s) => a + s.twinUpdates, 0),
        refused: twins.reduce((a, s) => a + s.twinUpdatesRefused, 0),
        pendingReports: cores.reduce((a, c) => a + c.deviceServices()!.pendingReports(), 0),
      });
    }
  });
  process.once('SIGTERM', () => {
    void Promise.all(cores.map((c) => c.stop())).then(() => process.exit(0));
  });
}

// ---------------------------------------------------------------------------------------------
// The publishers process (the mappers).

interface PublishersConfig {
  brokers: string[];
  run: string;
  seconds: number;
  window: number;
  clientsPerNode: number;
  /** Updates per second over all devices, spread evenly; undefined: as fast as PUBACKs come. */
  rate?: number;
}

async function runPublishers(config: PublishersConfig): Promise<void> {
  /** Publish times by device, index seq − 1. */
  const times = new Map<string, number[]>();
  let published = 0;
  let acked = 0;
  let failed = 0;
  let running = false;
  const pumps: Array<{ client: MqttClient; inflight: number; devices: string[]; next: number }> = [];
  for (const [n, url] of config.brokers.entries()) {
    const names = deviceNames(n + 1);
    for (const d of names) times.set(d, []);
    for (let k = 0; k < config.clientsPerNode; k++) {
      const client = connect(url, {
        clientId: `bench-mapper-${n + 1}-${k}`,
        clean: true,
        reconnectPeriod: 1000,
        protocolVersion: 4,
        log: () => {}, // as the hub clients: no per-packet `debug` calls
      });
      client.on('error', (err) => process.stderr.write(`publisher: ${err.message}\n`));
      pumps.push({
        client,
        inflight: 0,
        devices: names.filter((_, i) => i % config.clientsPerNode === k),
        next: 0,
      });
    }
  }
  await Promise.all(pumps.map((p) => new Promise((r) => p.client.once('connect', r))));
  emit({ event: 'connected' });
  await new Promise<void>((go) => createInterface({ input: process.stdin }).once('line', () => go()));

  type Pump = (typeof pumps)[number];
  const publishOne = (p: Pump, then: () => void): void => {
    const name = p.devices[p.next++ % p.devices.length]!;
    const sent = times.get(name)!;
    const at = Date.now();
    sent.push(at);
    const value = `${config.run}-${at}-${sent.length}`;
    const payload = `{"event_id":"${sent.length}","timestamp":${at},"twin":{"${PROPERTY}":{"actual":{"value":"${value}"},"metadata":{"type":"string"}}}}`;
    p.inflight++;
    published++;
    p.client.publish(`$hw/events/device/${NAMESPACE}/${name}/twin/update`, payload, { qos: 1 }, (err) => {
      p.inflight--;
      if (err) failed++;
      else acked++;
      then();
    });
  };
  // As fast as the edge takes them: a new publish for every PUBACK, `window` unacknowledged.
  const pump = (p: Pump): void => {
    while (running && p.inflight < config.window) publishOne(p, () => pump(p));
  };
  // Paced: `rate` per second over all clients, in 10 ms steps (still at most `window` in flight).
  // Credit accrues by the time elapsed, so a late timer sends the updates it owes instead of
  // lowering the rate.
  const credit = new Map<Pump, number>();
  let pacedAt = 0;
  const pace = (): void => {
    const now = performance.now();
    const elapsedSeconds = (now - pacedAt) / 1000;
    pacedAt = now;
    for (const p of pumps) {
      let c = (credit.get(p) ?? 0) + (config.rate! / pumps.length) * elapsedSeconds;
      while (running && c >= 1 && p.inflight < config.window) {
        publishOne(p, () => {});
        c--;
      }
      credit.set(p, c);
    }
  };
  const profiler = new WindowProfiler('publishers');
  await profiler.start();
  running = true;
  const startedAt = Date.now();
  const progress = process.env.BENCH_TWIN_VERBOSE
    ? setInterval(() => process.stderr.write(`publishers: published ${published} acked ${acked}\n`), 1000)
    : undefined;
  pacedAt = performance.now();
  const pacer = config.rate === undefined ? undefined : setInterval(pace, 10);
  if (pacer === undefined) for (const p of pumps) pump(p);
  await new Promise((r) => setTimeout(r, config.seconds * 1000));
  running = false;
  clearInterval(pacer);
  const stoppedAt = Date.now();
  await profiler.stop();
  const ackedAtStop = acked;
  const deadline = Date.now() + 30_000;
  while (pumps.some((p) => p.inflight > 0) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  clearInterval(progress);
  await Promise.all(pumps.map((p) => new Promise((r) => p.client.end(true, {}, () => r(undefined)))));
  // Stays until the benchmark ends it (SIGTERM), so its CPU and memory can still be read.
  const line = JSON.stringify({
    event: 'done',
    startedAt,
    stoppedAt,
    published,
    acked,
    ackedAtStop,
    failed,
    times: Object.fromEntries(times),
  });
  process.stdout.write(line + '\n');
}

// ---------------------------------------------------------------------------------------------
// The benchmark.

/** Spawns `node <this file> role arg`, handing each JSON stdout line to `onLine`. */
function spawnRole(args: string[], onLine: (l: Line) => void): ChildProcess {
  const script = self;
  const child = spawn(process.execPath, [script, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', (text) => {
    try {
      onLine(JSON.parse(text) as Line);
    } catch {
      process.stderr.write(`${args[0]}: ${text.slice(0, 200)}\n`);
    }
  });
  return child;
}

/** A child's JSON lines, by event: `next(event)` takes the first not yet taken, waiting if needed. */
class Replies {
  private readonly unclaimed: Line[] = [];
  private readonly waiting: Array<{ event: string; done: (l: Line) => void }> = [];
  push(l: Line): void {
    const i = this.waiting.findIndex((w) => w.event === l.event);
    if (i >= 0) this.waiting.splice(i, 1)[0]!.done(l);
    else this.unclaimed.push(l);
  }
  next(event: string, timeoutMs = 120_000): Promise<Line> {
    const i = this.unclaimed.findIndex((l) => l.event === event);
    if (i >= 0) return Promise.resolve(this.unclaimed.splice(i, 1)[0]!);
    return new Promise((resolveNext, reject) => {
      const waiter = {
        event,
        done: (l: Line) => {
          clearTimeout(timer);
          resolveNext(l);
        },
      };
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(waiter), 1);
        reject(new Error(`no "${event}" within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.waiting.push(waiter);
    });
  }
}

function summary(ms: number[]): { n: number; p50: number; p90: number; p99: number; max: number } {
  const s = Float64Array.from(ms).sort();
  const a = Array.from(s);
  return {
    n: a.length,
    p50: Math.round(percentile(a, 0.5)),
    p90: Math.round(percentile(a, 0.9)),
    p99: Math.round(percentile(a, 0.99)),
    max: Math.round(a.at(-1) ?? 0),
  };
}

async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item);
    }),
  );
}

interface RunResult {
  run: string;
  pacedRate?: number;
  windowSeconds: number;
  twinUpdatesPerSecond: number;
  pubackedPerSecond: number;
  published: number;
  pubacked: number;
  publishFailed: number;
  refusedByTwin: number;
  appliedTotal: number;
  valuesSeenInCloud: number;
  devicesWithFinalValueInCloud: number;
  settleMsAfterStop: number;
  pendingReportsAtEnd: number;
  observedLatencyMs: ReturnType<typeof summary>;
  coveringLatencyMs: ReturnType<typeof summary> & { neverCovered: number };
  cpuCoresUsed: { apiserverAndWatch: number; cloudcore: number; edges: number; publishers: number };
  rssMb: { apiserverAndWatch: number; cloudcore: number; edges: number; publishers: number };
}

interface Observation {
  seq: number;
  publishedAt: number;
  observedAt: number;
}

type DeviceStatusObject = KubernetesObject & {
  status?: { twins?: Array<{ propertyName?: string; reported?: { value?: string } }> };
};

async function runMain(): Promise<void> {
  const { CustomObjectsApi, KubeConfig, makeInformer } = await import('@kubernetes/client-node');
  const { ApiServer } = await import('@edgeproof/cloud');
  const { DEVICES_GROUP, kubeEdgeCrds } = await import('@edgeproof/crds');
  const dir = mkdtempSync(join(tmpdir(), 'edgeproof-twin-bench-'));
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
  const kc = new KubeConfig();
  kc.loadFromString(apiserver.kubeconfig());
  const custom = kc.makeApiClient(CustomObjectsApi);
  const children: ChildProcess[] = [];
  try {
    // cloudcore, in its own process.
    const cloudReplies = new Replies();
    const cloudcore = spawnRole(['cloudcore', kubeconfig], (l) => cloudReplies.push(l));
    children.push(cloudcore);
    const ports = await cloudReplies.next('ports', 60_000);

    // The edges.
    const edgeReplies = new Replies();
    const nodes = Array.from({ length: NODES }, (_, i) => `edge-${i + 1}`);
    const edgesConfig: EdgesConfig = {
      cloudHub: `127.0.0.1:${String(ports.hubPort)}`,
      certServer: `127.0.0.1:${String(ports.certPort)}`,
      token: String(ports.token),
      dataDir: join(dir, 'edges'),
      nodes,
    };
    const edges = spawnRole(['edges', JSON.stringify(edgesConfig)], (l) => edgeReplies.push(l));
    children.push(edges);
    const ready = await edgeReplies.next('ready');
    const brokers = ready.brokers as string[];
    const ask = async (command: 'devices' | 'stats'): Promise<Line> => {
      const reply = edgeReplies.next(command);
      edges.stdin!.write(command + '\n');
      return reply;
    };

    // One DeviceModel, DEVICES_PER_NODE Devices per node, through the API.
    const model = {
      apiVersion: `${DEVICES_GROUP}/v1beta1`,
      kind: 'DeviceModel',
      metadata: { name: MODEL, namespace: NAMESPACE },
      spec: {
        protocol: 'virtual',
        properties: [
          {
            name: PROPERTY,
            description: 'benchmark reading: <run>-<publish ms>-<seq>',
            type: 'STRING',
            accessMode: 'ReadOnly',
          },
          { name: 'temperature', type: 'FLOAT', accessMode: 'ReadOnly', unit: 'Celsius' },
          { name: 'setpoint', type: 'FLOAT', accessMode: 'ReadWrite' },
        ],
      },
    };
    await custom.createNamespacedCustomObject({
      group: DEVICES_GROUP,
      version: 'v1beta1',
      namespace: NAMESPACE,
      plural: 'devicemodels',
      body: model,
    });
    const devices = nodes.flatMap((node, n) => deviceNames(n + 1).map((name) => ({ node, name })));
    const createStart = Date.now();
    await pool(devices, 16, ({ node, name }) =>
      custom.createNamespacedCustomObject({
        group: DEVICES_GROUP,
        version: 'v1beta1',
        namespace: NAMESPACE,
        plural: 'devices',
        body: {
          apiVersion: `${DEVICES_GROUP}/v1beta1`,
          kind: 'Device',
          metadata: { name, namespace: NAMESPACE },
          spec: {
            deviceModelRef: { name: MODEL },
            nodeName: node,
            protocol: { protocolName: 'virtual' },
            properties: [
              { name: PROPERTY, reportToCloud: true },
              { name: 'temperature', reportToCloud: true },
              { name: 'setpoint', desired: { value: '21.5', metadata: { type: 'float' } } },
            ],
          },
        },
      }),
    );
    for (;;) {
      const counts = (await ask('devices')).counts as number[];
      if (counts.every((c) => c === DEVICES_PER_NODE)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const devicesKnownMs = Date.now() - createStart;
    process.stderr.write(
      `${devices.length} devices known to their nodes ${devicesKnownMs} ms after the first create\n`,
    );

    // The cloud-side observer: a watch on DeviceStatus.
    let currentRun = '';
    const observations = new Map<string, Observation[]>();
    const onStatus = (o: DeviceStatusObject): void => {
      const observedAt = Date.now();
      const name = o.metadata?.name ?? '';
      const value = o.status?.twins?.find((t) => t.propertyName === PROPERTY)?.reported?.value;
      if (value === undefined) return;
      const [run, at, seq] = value.split('-');
      if (run !== currentRun) return;
      let list = observations.get(name);
      if (list === undefined) observations.set(name, (list = []));
      const s = Number(seq);
      if (list.length > 0 && list.at(-1)!.seq >= s) return;
      list.push({ seq: s, publishedAt: Number(at), observedAt });
    };
    const path = `/apis/${DEVICES_GROUP}/v1beta1/namespaces/${NAMESPACE}/devicestatuses`;
    const informer = makeInformer<DeviceStatusObject>(
      kc,
      path,
      () =>
        custom.listNamespacedCustomObject({
          group: DEVICES_GROUP,
          version: 'v1beta1',
          namespace: NAMESPACE,
          plural: 'devicestatuses',
        }) as never,
    );
    informer.on('add', onStatus);
    informer.on('update', onStatus);
    let watching = true;
    informer.on('error', (err: unknown) => {
      if (watching) process.stderr.write(`devicestatus watch error: ${String(err)}\n`);
    });
    await informer.start();

    /** One run: publishers for `seconds`, as fast as the edge takes them or at `rate` per second. */
    const measure = async (label: string, seconds: number, rate?: number): Promise<RunResult> => {
      // The run id goes into the values, split on "-": letters and digits only.
      const run = `${label.replace(/[^A-Za-z0-9]/g, '')}x${Date.now() % 100000}`;
      currentRun = run;
      observations.clear();
      const pubReplies = new Replies();
      const pubConfig: PublishersConfig = {
        brokers,
        run,
        seconds,
        window: WINDOW,
        clientsPerNode: CLIENTS_PER_NODE,
        ...(rate !== undefined ? { rate } : {}),
      };
      const publishers = spawnRole(['publishers', JSON.stringify(pubConfig)], (l) => pubReplies.push(l));
      children.push(publishers);
      await pubReplies.next('connected');
      const pids = { cloudcore: cloudcore.pid!, edges: edges.pid!, publishers: publishers.pid! };
      const cpu0 = {
        cloudcore: cpuSeconds(pids.cloudcore),
        edges: cpuSeconds(pids.edges),
        publishers: cpuSeconds(pids.publishers),
        main: process.cpuUsage(),
      };
      const mainProfiler = new WindowProfiler(`apiserver-${label}`);
      if (PROFILE_DIR !== undefined) {
        for (const c of [cloudcore, edges]) c.stdin!.write('profile-start\n');
        await mainProfiler.start();
      }
      const stats0 = await ask('stats');
      publishers.stdin!.write('go\n');
      await new Promise((res) => setTimeout(res, seconds * 1000));
      const stats1 = await ask('stats');
      if (PROFILE_DIR !== undefined) {
        for (const c of [cloudcore, edges]) c.stdin!.write('profile-stop\n');
        await mainProfiler.stop();
      }
      const mainCpu = process.cpuUsage(cpu0.main);
      const cpuUsed = {
        apiserverAndWatch: (mainCpu.user + mainCpu.system) / 1e6,
        cloudcore: cpuSeconds(pids.cloudcore) - cpu0.cloudcore,
        edges: cpuSeconds(pids.edges) - cpu0.edges,
        publishers: cpuSeconds(pids.publishers) - cpu0.publishers,
      };
      const rssMb = {
        apiserverAndWatch: Math.round(process.memoryUsage().rss / 1e6),
        cloudcore: memoryMb(pids.cloudcore).rss,
        edges: memoryMb(pids.edges).rss,
        publishers: memoryMb(pids.publishers).rss,
      };
      const done = await pubReplies.next('done', 60_000);
      await stopChild(publishers);
      children.splice(children.indexOf(publishers), 1);
      const windowS = (Number(stats1.at) - Number(stats0.at)) / 1000;
      const applied = Number(stats1.twinUpdates) - Number(stats0.twinUpdates);

      // Let the cloud catch up: every device's last published value in DeviceStatus.
      const times = done.times as Record<string, number[]>;
      const lastSeen = (name: string): number => observations.get(name)?.at(-1)?.seq ?? 0;
      const settleStart = Date.now();
      const settled = (): boolean => Object.entries(times).every(([name, t]) => lastSeen(name) >= t.length);
      while (!settled() && Date.now() - settleStart < SETTLE_MS)
        await new Promise((res) => setTimeout(res, 50));
      const settleMs = Date.now() - Number(done.stoppedAt);
      const finalReached = Object.entries(times).filter(
        ([name, t]) => t.length > 0 && lastSeen(name) >= t.length,
      ).length;

      const observed: number[] = [];
      const covering: number[] = [];
      let uncovered = 0;
      for (const [name, t] of Object.entries(times)) {
        const obs = observations.get(name) ?? [];
        for (const o of obs) observed.push(o.observedAt - o.publishedAt);
        let i = 0;
        for (let seq = 1; seq <= t.length; seq++) {
          while (i < obs.length && obs[i]!.seq < seq) i++;
          if (i < obs.length) covering.push(obs[i]!.observedAt - t[seq - 1]!);
          else uncovered++;
        }
      }
      const stats2 = await ask('stats');
      const result: RunResult = {
        run: label,
        ...(rate !== undefined ? { pacedRate: rate } : {}),
        windowSeconds: Math.round(windowS * 10) / 10,
        twinUpdatesPerSecond: Math.round(applied / windowS),
        pubackedPerSecond: Math.round(
          (Number(done.ackedAtStop) / (Number(done.stoppedAt) - Number(done.startedAt))) * 1000,
        ),
        published: Number(done.published),
        pubacked: Number(done.acked),
        publishFailed: Number(done.failed),
        refusedByTwin: Number(stats2.refused) - Number(stats0.refused),
        appliedTotal: Number(stats2.twinUpdates) - Number(stats0.twinUpdates),
        valuesSeenInCloud: observed.length,
        devicesWithFinalValueInCloud: finalReached,
        settleMsAfterStop: settleMs,
        pendingReportsAtEnd: Number(stats2.pendingReports),
        observedLatencyMs: summary(observed),
        coveringLatencyMs: { ...summary(covering), neverCovered: uncovered },
        cpuCoresUsed: Object.fromEntries(
          Object.entries(cpuUsed).map(([k, v]) => [k, Math.round((v / windowS) * 100) / 100]),
        ) as RunResult['cpuCoresUsed'],
        rssMb,
      };
      process.stderr.write(`${label}: ${JSON.stringify(result)}\n`);
      await new Promise((res) => setTimeout(res, 2000));
      return result;
    };

    // Warm-up, not reported: one value per device, so every DeviceStatus exists before the runs.
    await measure('warmup', 2, NODES * DEVICES_PER_NODE);
    const throughput: RunResult[] = [];
    for (let r = 1; r <= RUNS; r++) throughput.push(await measure(`max${r}`, SECONDS));
    const paced = new Map<number, RunResult[]>();
    for (const rate of PACED_RATES) {
      const runs: RunResult[] = [];
      for (let r = 1; r <= RUNS; r++) runs.push(await measure(`${rate}/s-${r}`, SECONDS, rate));
      paced.set(rate, runs);
    }

    const med = (runs: RunResult[], key: (x: RunResult) => number): number => median(runs.map(key));
    const medians = (runs: RunResult[]) => ({
      twinUpdatesPerSecond: med(runs, (x) => x.twinUpdatesPerSecond),
      valuesSeenInCloud: med(runs, (x) => x.valuesSeenInCloud),
      observedLatencyP50Ms: med(runs, (x) => x.observedLatencyMs.p50),
      observedLatencyP99Ms: med(runs, (x) => x.observedLatencyMs.p99),
      coveringLatencyP99Ms: med(runs, (x) => x.coveringLatencyMs.p99),
    });
    const atMax = medians(throughput);
    const atPace = new Map([...paced].map(([rate, runs]) => [rate, medians(runs)]));
    const report = {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', node: process.version },
      caveat:
        'every process (API server, cloudcore, 10 edgecores with their brokers, the publishers) shares the same 2 cores: the figures are for the whole system on one small machine',
      goals: { twinUpdatesPerSecond: 10_000, reportToCloudP99Ms: 500 },
      config: {
        nodes: NODES,
        devicesPerNode: DEVICES_PER_NODE,
        seconds: SECONDS,
        runs: RUNS,
        inflightWindowPerClient: WINDOW,
        clientsPerNode: CLIENTS_PER_NODE,
        pacedRates: PACED_RATES,
        qos: 1,
      },
      devicesKnownMs,
      median: { asFastAsTheEdgeTakes: atMax, paced: Object.fromEntries(atPace) },
      throughputRuns: throughput,
      pacedRuns: Object.fromEntries(paced),
    };
    const out = resolve('bench-results');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'twins.json'), JSON.stringify(report, null, 2) + '\n');

    console.log(
      `twin updates through the edge into DeviceStatus, ${NODES} nodes × ${DEVICES_PER_NODE} devices, QoS 1, ${SECONDS} s per run:`,
    );
    console.log(
      'run       updates/s  PUBACK/s  values in cloud  observed p50/p90/p99/max ms  covering p99 ms  CPU cores api/cloudcore/edges/publishers  RSS MB (same)',
    );
    for (const x of [...throughput, ...[...paced.values()].flat()]) {
      const o = x.observedLatencyMs;
      console.log(
        `${x.run.padEnd(9)} ${String(x.twinUpdatesPerSecond).padStart(9)}  ${String(x.pubackedPerSecond).padStart(8)}  ${String(x.valuesSeenInCloud).padStart(15)}  ${`${o.p50}/${o.p90}/${o.p99}/${o.max}`.padStart(27)}  ${String(x.coveringLatencyMs.p99).padStart(15)}  ${Object.values(x.cpuCoresUsed).join(' / ').padEnd(40)} ${Object.values(x.rssMb).join(' / ')}`,
      );
    }
    const met = (ok: boolean): string => (ok ? 'met' : 'not met');
    console.log(
      `as fast as the edge takes them (median of ${RUNS}): ${atMax.twinUpdatesPerSecond} twin updates/s (goal ≥ 10000: ${met(atMax.twinUpdatesPerSecond >= 10_000)}); report → cloud status p99 ${atMax.observedLatencyP99Ms} ms (goal ≤ 500: ${met(atMax.observedLatencyP99Ms <= 500)})`,
    );
    for (const [rate, m] of atPace)
      console.log(
        `paced at ${rate} updates/s (median of ${RUNS}): report → cloud status p50 ${m.observedLatencyP50Ms} ms, p99 ${m.observedLatencyP99Ms} ms (goal ≤ 500: ${met(m.observedLatencyP99Ms <= 500)}); covering p99 ${m.coveringLatencyP99Ms} ms`,
      );
    console.log('caveat: every process shares the same 2 cores.');
    console.log('\nwritten to bench-results/twins.json');

    watching = false;
    await informer.stop();
  } finally {
    await Promise.all(children.map(stopChild));
    await apiserver.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const role = process.argv[2];
if (role === 'cloudcore') await runCloudcore(process.argv[3] ?? '');
else if (role === 'edges') await runEdges(JSON.parse(process.argv[3] ?? '{}') as EdgesConfig);
else if (role === 'publishers') await runPublishers(JSON.parse(process.argv[3] ?? '{}') as PublishersConfig);
else await runMain();
