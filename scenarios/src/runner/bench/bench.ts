/**
 * The bench a scenario runs on, brought up as real processes so faults are real: the embedded
 * Toxiproxy (`edgeproof chaos proxy`, unless `--toxiproxy URL` names one), the API server
 * (`edgeproof apiserver`), cloudcore (`edgeproof cloudcore`) and one `edgeproof join` per edge
 * node, each dialling cloudcore through its own proxies (`<node>-cloudhub`, `<node>-certs`).
 * Everything listens on free ports and lives under the run's data dir, so runs can share a
 * machine. `teardown()` ends all of it — components in reverse order, then whatever process is
 * left inside the data dir (the pods of the process runtime, which outlive edgecore on purpose).
 *
 * Layout of the data dir: `logs/<component>.log`, `apiserver/` (state, `kubeconfig`), `cloudcore/`
 * (`token`), `nodes/<node>/` (certificates, edgecore.db, pods, `kubeconfig` of its MetaServer).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorMessage, type Clock, type Logger } from '@edgeproof/core';
import { BenchError } from '../errors.ts';
import { exampleManifestPaths } from '@edgeproof/crds';
import type { ComponentKind, DeviceKind } from '../scenario-types.ts';
import { ComponentProcess } from './component-process.ts';
import { freePort } from './free-port.ts';
import { killProcessesUnder, processesUnder } from './leftover-processes.ts';
import { NetworkLinks } from './network-links.ts';

export type BenchOptions = {
  /** The run's data dir; everything the bench makes goes inside. */
  dataDir: string;
  nodes: number;
  runtime: 'process' | 'hollow';
  nodeGracePeriodMs: number;
  statusFrequencyMs: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** Simulated devices to start (their mappers run in the first node's edgecore). */
  devices: readonly DeviceKind[];
  /** Each node's MQTT broker: edgecore's embedded one, or a mosquitto process per node. */
  mqtt?: 'embedded' | 'mosquitto';
  /** A running Toxiproxy to use instead of starting the embedded one. */
  toxiproxyUrl?: string;
  /** A short id of the run: prefixes proxy names on a shared Toxiproxy. */
  runId: string;
  clock: Clock;
  logger: Logger;
  /** Bench progress for the user (component started, …). */
  onProgress?: (line: string) => void;
};

/** How a component is named in logs and reports: `cloudcore`, `edgecore/edge-1`. */
export function componentName(kind: ComponentKind, node?: string): string {
  return kind === 'edgecore' || kind === 'mqtt-broker' ? `${kind}/${node ?? '?'}` : kind;
}

/** Debian's mosquitto (ARCHITECTURE §6), the external broker of `bench.mqtt: mosquitto`. */
const MOSQUITTO = '/usr/sbin/mosquitto';

export class Bench {
  readonly options: BenchOptions;
  readonly nodes: readonly string[];
  private readonly components = new Map<string, ComponentProcess>();
  private links: NetworkLinks | undefined;
  private proxyProcess: ComponentProcess | undefined;
  private apiserverPort = 0;
  private hubPort = 0;
  private certPort = 0;
  private readonly metaPorts = new Map<string, number>();
  private readonly mqttPorts = new Map<string, number>();
  private readonly devices = new Map<DeviceKind, { proxyPort: number; controlUrl: string }>();
  private readonly unexpected: ((component: string, detail: string) => void)[] = [];
  private url = '';

  constructor(options: BenchOptions) {
    this.options = options;
    this.nodes = Array.from({ length: options.nodes }, (_, i) => `edge-${i + 1}`);
  }

  get dataDir(): string {
    return this.options.dataDir;
  }

  /** The cloud's kubeconfig (written by the API server). */
  get kubeconfig(): string {
    return join(this.dataDir, 'apiserver', 'kubeconfig');
  }

  /** The join token cloudcore wrote. */
  token(): string {
    try {
      return readFileSync(join(this.dataDir, 'cloudcore', 'token'), 'utf8').trim();
    } catch {
      return '';
    }
  }

  apiserverUrl(): string {
    return `https://127.0.0.1:${this.apiserverPort}`;
  }

  nodeDir(node: string): string {
    return join(this.dataDir, 'nodes', node);
  }

  nodeKubeconfig(node: string): string {
    return join(this.nodeDir(node), 'kubeconfig');
  }

  metaserverUrl(node: string): string {
    return `http://127.0.0.1:${this.metaPorts.get(node) ?? 0}`;
  }

  /** The node's embedded MQTT broker (eventbus), where devices and mappers talk. */
  mqttUrl(node: string): string {
    return `mqtt://127.0.0.1:${this.mqttPorts.get(node) ?? 0}`;
  }

  /** The Toxiproxy links of the edge nodes. */
  network(): NetworkLinks {
    if (!this.links) throw new BenchError('the bench is not up');
    return this.links;
  }

  /** Every component process, by name (logs and liveness for the report). */
  all(): ComponentProcess[] {
    return [...(this.proxyProcess ? [this.proxyProcess] : []), ...this.components.values()];
  }

  /** The process of a component. */
  component(kind: ComponentKind, node?: string): ComponentProcess {
    const c = this.components.get(componentName(kind, node));
    if (!c) throw new BenchError(`the bench has no ${componentName(kind, node)}`);
    return c;
  }

  /** Called when a component exits that no fault stopped (a crash is a finding). */
  onUnexpectedExit(fn: (component: string, detail: string) => void): void {
    this.unexpected.push(fn);
  }

  /** Brings everything up, in dependency order; on failure what started stays for teardown(). */
  async start(signal: AbortSignal): Promise<void> {
    const dir = this.dataDir;
    for (const d of ['logs', 'apiserver', 'cloudcore', 'nodes', 'devices'])
      mkdirSync(join(dir, d), { recursive: true });
    const o = this.options;
    const progress = o.onProgress ?? (() => {});
    const logLevel = ['--log-level', o.logLevel];

    // 1. Toxiproxy: the embedded one in its own process, or the one given.
    if (o.toxiproxyUrl !== undefined) {
      this.url = o.toxiproxyUrl;
    } else {
      const proxy = this.make(
        'toxiproxy',
        ['chaos', 'proxy', '--port', '0', ...logLevel],
        /edgeproof chaos: ready/,
      );
      this.proxyProcess = proxy;
      this.components.delete('toxiproxy');
      await proxy.start(signal);
      const url = /toxiproxy API on (\S+)/.exec(proxy.output())?.[1];
      if (url === undefined) throw new BenchError('edgeproof chaos proxy did not say where its API is');
      this.url = url;
    }
    this.links = new NetworkLinks({
      url: this.url,
      prefix: o.toxiproxyUrl !== undefined ? `${o.runId}-` : '',
      clock: o.clock,
      logger: o.logger.child('links'),
    });
    progress(`toxiproxy at ${this.url}`);

    // 2. The API server, then cloudcore against it; fixed ports so restarts come back in place.
    this.apiserverPort = await freePort();
    this.hubPort = await freePort();
    this.certPort = await freePort();
    const apiserver = this.make(
      'apiserver',
      ['apiserver', '--data-dir', join(dir, 'apiserver'), '--port', String(this.apiserverPort), ...logLevel],
      /edgeproof apiserver: ready/,
    );
    await apiserver.start(signal);
    progress(`apiserver at ${this.apiserverUrl()}`);
    const cloudcore = this.make(
      'cloudcore',
      [
        'cloudcore',
        '--kubeconfig',
        this.kubeconfig,
        '--data-dir',
        join(dir, 'cloudcore'),
        '--cloudhub-port',
        String(this.hubPort),
        '--certport',
        String(this.certPort),
        '--advertise-address',
        '127.0.0.1',
        '--node-monitor-grace-period',
        `${o.nodeGracePeriodMs}ms`,
        ...logLevel,
      ],
      /edgeproof cloudcore: ready/,
    );
    await cloudcore.start(signal);
    progress(`cloudcore: hub :${this.hubPort}, certificates :${this.certPort}`);

    // 3. Per node: its two proxies, then `edgeproof join` through them; nodes start together.
    const token = this.token();
    await Promise.all(
      this.nodes.map(async (node) => {
        const links = this.network();
        const hub = await links.create(node, 'cloudhub', `127.0.0.1:${this.hubPort}`);
        const certs = await links.create(node, 'certs', `127.0.0.1:${this.certPort}`);
        // Fixed ports: after a restart, the node's kubeconfig and MQTT clients still point right.
        const meta = await freePort();
        this.metaPorts.set(node, meta);
        const mqtt = await freePort();
        this.mqttPorts.set(node, mqtt);
        const external = o.mqtt === 'mosquitto';
        if (external) await this.startMosquitto(node, mqtt, signal);
        const edge = this.make(
          componentName('edgecore', node),
          [
            'join',
            '--cloudcore-ipport',
            `127.0.0.1:${hub}`,
            '--certport',
            String(certs),
            '--token',
            token,
            '--edgenode-name',
            node,
            '--data-dir',
            this.nodeDir(node),
            '--metaserver-port',
            String(meta),
            ...(external ? ['--mqtt-broker', `mqtt://127.0.0.1:${mqtt}`] : ['--mqtt-port', String(mqtt)]),
            '--runtime',
            o.runtime,
            '--node-status-update-frequency',
            `${o.statusFrequencyMs}ms`,
            ...logLevel,
          ],
          /edgeproof join: ready/,
        );
        await edge.start(signal);
        // Later starts (after a kill) may find the cloud cut off: started is enough then.
        edge.update({ ready: /MetaServer at http/ });
        progress(
          `${node} registered (through proxies :${hub}, :${certs}; MetaServer :${meta}, MQTT :${mqtt})`,
        );
      }),
    );

    // 4. Simulated devices: each `edgeproof sim` from the example DeviceModel + Device of its
    //    protocol (crds/examples), behind a proxy the mappers of the first node dial.
    for (const kind of o.devices) {
      const node = this.deviceNode();
      const simPort = await freePort();
      const controlPort = await freePort();
      const examples = exampleManifestPaths();
      const pick = (suffix: string): string => {
        const f = examples.find((p) => p.endsWith(`/${kind}-${suffix}`));
        if (f === undefined) throw new BenchError(`crds/examples has no ${kind}-${suffix}`);
        return f;
      };
      const sim = this.make(
        kind,
        [
          'sim',
          kind,
          '--config',
          `${pick('device-model.yaml')},${pick('device.yaml')}`,
          '--port',
          String(simPort),
          '--control-port',
          String(controlPort),
          '--data-dir',
          join(dir, 'devices', kind),
          ...logLevel,
        ],
        /edgeproof sim: \w+ ready on/,
      );
      await sim.start(signal);
      const proxy = await this.network().create(node, kind, `127.0.0.1:${simPort}`);
      this.devices.set(kind, { proxyPort: proxy, controlUrl: `http://127.0.0.1:${controlPort}` });
      progress(
        `${kind} simulator on :${simPort}, mappers on ${node} dial :${proxy}, control :${controlPort}`,
      );
    }
  }

  /** A mosquitto for `node` on `port`, configured in the node's folder, logging to stderr. */
  private async startMosquitto(node: string, port: number, signal: AbortSignal): Promise<void> {
    const dir = join(this.nodeDir(node), 'mosquitto');
    mkdirSync(dir, { recursive: true });
    const conf = join(dir, 'mosquitto.conf');
    writeFileSync(
      conf,
      [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'log_dest stderr', ''].join(
        '\n',
      ),
    );
    const broker = this.make(
      componentName('mqtt-broker', node),
      ['-c', conf],
      /mosquitto version \S+ running/,
      MOSQUITTO,
    );
    await broker.start(signal);
    this.options.onProgress?.(`${node}: mosquitto on :${port}`);
  }

  /** The node whose mappers reach the simulated devices (through their proxies). */
  deviceNode(): string {
    return this.nodes[0] ?? 'edge-1';
  }

  /** The port a mapper dials for a simulated device (its proxy), and the simulator's control API. */
  device(kind: DeviceKind): { proxyPort: number; controlUrl: string } {
    const d = this.devices.get(kind);
    if (!d) throw new BenchError(`the bench has no ${kind} device`);
    return d;
  }

  /** SIGKILL a component (a power cut); it stays down until started again. */
  async kill(kind: ComponentKind, node?: string): Promise<void> {
    await this.component(kind, node).kill();
  }

  /** SIGTERM a component and wait for it to exit. */
  async stop(kind: ComponentKind, node?: string): Promise<void> {
    await this.component(kind, node).stop();
  }

  /** Starts a stopped component again and waits until it is ready. */
  async startAgain(kind: ComponentKind, node: string | undefined, signal: AbortSignal): Promise<void> {
    await this.component(kind, node).start(signal);
  }

  /** Whether a component's process is running. */
  running(kind: ComponentKind, node?: string): boolean {
    return this.component(kind, node).running();
  }

  /**
   * Stops everything the bench started, edges first and the proxy last, then kills whatever
   * process is still inside the data dir. Never throws; returns what had to be killed at the end.
   */
  async teardown(): Promise<number[]> {
    const logger = this.options.logger;
    const edges = this.nodes.map((n) => this.components.get(componentName('edgecore', n)));
    const stop = async (c: ComponentProcess | undefined): Promise<void> => {
      try {
        await c?.stop(5_000);
      } catch (err) {
        logger.warn('stopping a component failed', { component: c?.name, err: errorMessage(err) });
      }
    };
    await Promise.all(edges.map(stop));
    for (const c of [...this.components.values()].reverse()) await stop(c);
    if (this.links && this.options.toxiproxyUrl !== undefined) {
      await this.links
        .removeAll()
        .catch((err: unknown) => logger.warn('removing proxies failed', { err: errorMessage(err) }));
    }
    await stop(this.proxyProcess);
    const leftover = killProcessesUnder(this.dataDir);
    // Killed groups take a moment to disappear from /proc.
    for (let i = 0; i < 20 && processesUnder(this.dataDir).length > 0; i++)
      await this.options.clock.sleep(100);
    return leftover;
  }

  private make(name: string, args: string[], ready: RegExp, command?: string): ComponentProcess {
    const c = new ComponentProcess(
      {
        name,
        args,
        ready,
        ...(command !== undefined ? { command, readyOn: 'stderr' as const } : {}),
        logPath: join(this.dataDir, 'logs', `${name.replace('/', '-')}.log`),
        cwd: this.dataDir,
        // kubectl and client caches stay inside the run.
        env: { HOME: this.dataDir },
      },
      this.options.clock,
    );
    c.onUnexpectedExit((code, sig) => {
      const detail = sig !== null ? `signal ${sig}` : `exit code ${code}`;
      for (const fn of this.unexpected) fn(name, detail);
    });
    this.components.set(name, c);
    return c;
  }
}
