/**
 * `edgeproof up`: runs the bench in the foreground until SIGINT/SIGTERM. It starts the embedded API
 * server with the KubeEdge CRDs installed, writes DIR/kubeconfig, starts cloudcore against it
 * (certificate bootstrap on :10002, the WebSocket hub on :10000, EdgeController and the node
 * lifecycle), writes the join token to DIR/token, and runs `--nodes N` edge nodes in this process —
 * each an instance-scoped EdgeCore with its data in DIR/nodes/<name>, joined with the token exactly
 * as `edgeproof join` would. It prints "ready" once every node is registered.
 */
import { isIP } from 'node:net';
import { resolve, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import {
  createLogger,
  EdgeproofError,
  InvalidInputError,
  SystemClock,
  type Clock,
  type Logger,
} from '@edgeproof/core';
import { DEFAULT_NODE_GRACE_PERIOD_MS } from '@edgeproof/cloud';
import { parseBenchDevices, startBenchDevices } from './bench-devices.ts';
import { DEFAULT_STATUS_INTERVAL_MS, EdgeCore, type RuntimeKind } from '@edgeproof/edge';
import {
  LOG_LEVEL_FLAG,
  RUNTIME_FLAG,
  STATUS_FREQUENCY_FLAG,
  statusFrequencyMs,
  durationFlag,
  integerFlag,
  runtimeFlag,
  parseLogLevel,
  brokerFlags,
  parseAddresses,
  MQTT_PORT_FLAG,
  waitForShutdown,
  type CommandSpec,
} from './args.ts';
import { startCloudCore, startEmbeddedApiServer } from './cloud-parts.ts';

/** Most in-process edge nodes; more want `edgeproof join` processes (ARCHITECTURE.md §6: sockets). */
const MAX_NODES = 10_000;

export const upCommand: CommandSpec = {
  name: 'up',
  usage:
    'edgeproof up [--data-dir DIR] [--nodes N] [--apiserver-port P] [--cloudhub-port P] [--certport P] [--advertise-address A,B]',
  summary:
    'Run an embedded cluster in the foreground until Ctrl-C: the Kubernetes API server (with the KubeEdge CRDs),\n' +
    'cloudcore and N edge nodes. When it prints "ready", use: kubectl --kubeconfig DIR/kubeconfig get nodes;\n' +
    'the join token for more nodes (edgeproof join) is in DIR/token.',
  flags: {
    'data-dir': {
      type: 'string',
      value: 'DIR',
      description: 'where state, certificates and the kubeconfig are kept',
      default: '.edgeproof',
    },
    nodes: {
      type: 'string',
      value: 'N',
      description: 'edge nodes to run in this process, named edge-1 … edge-N, data in DIR/nodes/<name>',
      default: '2',
    },
    'apiserver-port': {
      type: 'string',
      value: 'P',
      description: 'HTTPS port of the API server (0 = any free port)',
      default: '6443',
    },
    'cloudhub-port': {
      type: 'string',
      value: 'P',
      description: "port of cloudhub's WebSocket server for edge nodes (0 = any free port)",
      default: '10000',
    },
    certport: {
      type: 'string',
      value: 'P',
      description: "port of cloudhub's certificate server (0 = any free port)",
      default: '10002',
    },
    'advertise-address': {
      type: 'string',
      value: 'A,B',
      description:
        'addresses edge nodes use to reach cloudcore; listens on all interfaces unless all are loopback',
      default: '127.0.0.1',
    },
    'node-monitor-grace-period': {
      type: 'string',
      value: 'DURATION',
      description: 'how long an edge node may be silent before it is NotReady (Ready=Unknown)',
      default: '40s',
    },
    'node-status-update-frequency': STATUS_FREQUENCY_FLAG,
    runtime: RUNTIME_FLAG,
    devices: {
      type: 'string',
      value: 'modbus,opcua|none',
      description:
        'simulated devices to run, bound to edge-1: a Modbus device on 127.0.0.1:5020 and an OPC UA device on :4840, with their Device objects',
      default: 'modbus,opcua',
    },
    'mqtt-port': {
      ...MQTT_PORT_FLAG,
      description:
        "port of edge-1's embedded MQTT broker on 127.0.0.1; the other nodes take free ports (0 = any)",
    },
    'log-level': LOG_LEVEL_FLAG,
  },
};

export async function runUp(
  values: Record<string, string | boolean | undefined>,
  out: (line: string) => void,
): Promise<void> {
  const dataDir = resolve(String(values['data-dir'] ?? '.edgeproof'));
  const port = integerFlag('apiserver-port', values['apiserver-port'], 6443, 0, 65535);
  const nodes = integerFlag('nodes', values.nodes, 2, 0, MAX_NODES);
  const graceMs = durationFlag(
    'node-monitor-grace-period',
    values['node-monitor-grace-period'],
    DEFAULT_NODE_GRACE_PERIOD_MS,
    1000,
    86_400_000,
  );
  const statusIntervalMs = statusFrequencyMs(
    values['node-status-update-frequency'],
    DEFAULT_STATUS_INTERVAL_MS,
  );
  const runtime = runtimeFlag(values.runtime);
  const deviceKinds = nodes > 0 ? parseBenchDevices(values.devices as string | undefined) : [];
  if (nodes > 0 && statusIntervalMs >= graceMs) {
    throw new InvalidInputError(
      `--node-status-update-frequency (${statusIntervalMs} ms) must be shorter than --node-monitor-grace-period (${graceMs} ms), or every node would turn NotReady between updates`,
    );
  }
  const clock = new SystemClock();
  const logger = createLogger('edgeproof', { level: parseLogLevel(values['log-level']) });

  const certPort = integerFlag('certport', values.certport, 10002, 0, 65535);
  const hubPort = integerFlag('cloudhub-port', values['cloudhub-port'], 10000, 0, 65535);
  const advertise = parseAddresses(String(values['advertise-address'] ?? '127.0.0.1'));
  const { apiserver, kubeconfig } = await startEmbeddedApiServer({ dataDir, port, clock, logger });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(apiserver.kubeconfig());
  let started: Awaited<ReturnType<typeof startCloudCore>>;
  try {
    started = await startCloudCore({
      kubeConfig,
      dataDir,
      advertise,
      hubPort,
      certPort,
      graceMs,
      // Room for every in-process node; a joined board counts too.
      nodeLimit: Math.max(500, nodes + 500),
      clock,
      logger,
    });
  } catch (err) {
    await apiserver.stop();
    throw err;
  }
  const { cloudcore, tokenFile } = started;
  const cloudHost = advertise[0] ?? '127.0.0.1';
  const dial = isIP(cloudHost) === 6 ? `[${cloudHost}]` : cloudHost;
  const edges = makeEdgeNodes(nodes, {
    dataDir,
    cloudHub: `${dial}:${cloudcore.hubPort()}`,
    certServer: `${dial}:${cloudcore.certPort()}`,
    token: cloudcore.token(),
    statusIntervalMs,
    runtime,
    mqttPort: internalBrokerPort(brokerFlags(values)),
    clock,
    logger,
  });
  let stopDevices = async (): Promise<void> => {};
  const stopAll = async (): Promise<void> => {
    await stopDevices();
    await Promise.all(edges.map((e) => e.core.stop()));
    await cloudcore.stop();
    await apiserver.stop();
  };
  let benchDevices: Awaited<ReturnType<typeof startBenchDevices>>['devices'] = [];
  try {
    await startEdgeNodes(edges);
    const first = edges[0];
    if (first !== undefined && deviceKinds.length > 0) {
      const started = await startBenchDevices({
        kinds: deviceKinds,
        nodeName: first.name,
        kubeConfig,
        dataDir,
        clock,
        logger,
      });
      stopDevices = started.stop;
      benchDevices = started.devices;
    }
  } catch (err) {
    await stopAll();
    throw err;
  }
  // Signal handlers before "ready": a caller may send SIGINT as soon as it reads that line.
  const shutdown = waitForShutdown(out, stopAll, logger);
  out(`edgeproof: API server at ${apiserver.url()}, data in ${dataDir}`);
  out(
    `edgeproof: cloudcore: edge nodes connect to port ${cloudcore.hubPort()}, certificates on port ${cloudcore.certPort()}, join token in ${tokenFile}`,
  );
  if (nodes > 0) out(`edgeproof: ${nodes} edge node${nodes === 1 ? '' : 's'} registered: ${nodeList(edges)}`);
  if (nodes > 0) {
    const first = edges[0]?.name ?? '';
    out(
      `edgeproof: on the edge: kubectl --kubeconfig ${join(dataDir, 'nodes', first, 'kubeconfig')} get pods -A   (the MetaServer of ${first}; each node has its own)`,
    );
  }
  if (nodes > 0) {
    out(
      `edgeproof: MQTT brokers for devices and mappers: ${edges.map((e) => `${e.name} ${e.core.brokerUrl() ?? '(off)'}`).join(', ')}`,
    );
  }
  if (benchDevices.length > 0) {
    out(
      `edgeproof: simulated devices on ${edges[0]?.name}: ${benchDevices.map((d) => `${d.device.metadata.name} (${d.simulator.endpoint()})`).join(', ')}: kubectl --kubeconfig ${kubeconfig} get devices,devicestatuses`,
    );
  }
  out(`edgeproof: ready: kubectl --kubeconfig ${kubeconfig} get nodes`);
  await shutdown;
}

function internalBrokerPort(broker: ReturnType<typeof brokerFlags>): number {
  return broker.mode === 'internal' ? (broker.port ?? 1884) : 1884;
}

type EdgeNode = { name: string; core: EdgeCore; registered: Promise<void> };

/** The in-process edge nodes `edge-1` … `edge-N`, constructed (no I/O yet). */
function makeEdgeNodes(
  count: number,
  o: {
    dataDir: string;
    cloudHub: string;
    certServer: string;
    token: string;
    statusIntervalMs: number;
    runtime: RuntimeKind;
    /** edge-1's broker port; the other nodes take free ports (they share this host). */
    mqttPort: number;
    clock: Clock;
    logger: Logger;
  },
): EdgeNode[] {
  const edges: EdgeNode[] = [];
  for (let i = 1; i <= count; i++) {
    const name = `edge-${i}`;
    let registered!: () => void;
    const promise = new Promise<void>((r) => (registered = r));
    const core = new EdgeCore({
      dataDir: join(o.dataDir, 'nodes', name),
      nodeName: name,
      cloudHub: o.cloudHub,
      certServer: o.certServer,
      token: o.token,
      statusIntervalMs: o.statusIntervalMs,
      runtime: o.runtime,
      // Many nodes share this host: each MetaServer takes a free port; DIR/nodes/<name>/kubeconfig
      // points at it.
      metaServer: { port: 0 },
      devices: { broker: { mode: 'internal', port: i === 1 ? o.mqttPort : 0 } },
      clock: o.clock,
      logger: o.logger.child(name),
      onRegistered: () => registered(),
    });
    edges.push({ name, core, registered: promise });
  }
  return edges;
}

/** How long `up` waits for its nodes to register before it gives up: generous, scaled by count. */
function registrationTimeoutMs(count: number): number {
  return 60_000 + 20 * count;
}

/**
 * Starts the nodes a few at a time (each first start bootstraps a certificate: a P-256 key and a
 * signing on the cloud) and waits until every one is registered.
 */
async function startEdgeNodes(edges: EdgeNode[]): Promise<void> {
  if (edges.length === 0) return;
  const queue = [...edges];
  const workers = Array.from({ length: Math.min(16, edges.length) }, async () => {
    for (let e = queue.shift(); e !== undefined; e = queue.shift()) await e.core.start();
  });
  await Promise.all(workers);
  const limit = registrationTimeoutMs(edges.length);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const missing = edges.filter((e) => !e.core.registered()).map((e) => e.name);
      reject(
        new EdgeproofError(
          'ETIMEOUT',
          `edge nodes not registered within ${Math.round(limit / 1000)} s: ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', …' : ''} (run with --log-level debug to see why)`,
        ),
      );
    }, limit);
  });
  try {
    await Promise.race([Promise.all(edges.map((e) => e.registered)), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function nodeList(edges: EdgeNode[]): string {
  const names = edges.map((e) => e.name);
  return names.length <= 5 ? names.join(', ') : `${names.slice(0, 3).join(', ')}, … ${names.at(-1)}`;
}
