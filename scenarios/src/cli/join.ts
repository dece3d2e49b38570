/**
 * `edgeproof join`: makes this machine an edge node and runs edgecore in the foreground until
 * SIGINT/SIGTERM. Flag names are keadm's (`keadm join --cloudcore-ipport --token --edgenode-name
 * --certport --labels`), so a KubeEdge user's join line works with `edgeproof` in front.
 *
 * The token is needed only the first time: the certificate it bootstraps is kept in DIR/certs and
 * reused on every later start (kubeedge-protocol.md §2.4). A cloud that cannot be reached yet is
 * retried with backoff, as a board booting before its network is up needs; a refusal that a retry
 * cannot fix (wrong token, wrong cloud, a name already taken) ends the command with what to do.
 */
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { EdgeproofError, InvalidInputError, SystemClock, createLogger, errorMessage } from '@edgeproof/core';
import { Backoff, DEFAULT_STATUS_INTERVAL_MS, EdgeCore, parseCertServer } from '@edgeproof/edge';
import {
  LOG_LEVEL_FLAG,
  RUNTIME_FLAG,
  STATUS_FREQUENCY_FLAG,
  statusFrequencyMs,
  integerFlag,
  labelsFlag,
  brokerFlags,
  MQTT_BROKER_FLAG,
  MQTT_PORT_FLAG,
  runtimeFlag,
  nodeNameFlag,
  parseLogLevel,
  waitForShutdown,
  type CommandSpec,
} from './args.ts';

export const joinCommand: CommandSpec = {
  name: 'join',
  usage:
    'edgeproof join --cloudcore-ipport HOST:PORT --token TOKEN [--edgenode-name NAME] [--certport 10002] [--data-dir DIR] [--runtime process|hollow|cri] [--mqtt-port 1884 | --mqtt-broker URL]',
  summary:
    'Join this machine to a cloudcore as an edge node and run edgecore in the foreground until Ctrl-C.\n' +
    "The token (from 'edgeproof token' on the cloud) is needed only the first time; later starts reuse the stored certificate.",
  flags: {
    'cloudcore-ipport': {
      type: 'string',
      value: 'HOST:PORT',
      description: "cloudhub's WebSocket address (port 10000 unless changed)",
    },
    token: {
      type: 'string',
      value: 'TOKEN',
      description: 'join token; needed when no certificate is stored yet',
    },
    'edgenode-name': {
      type: 'string',
      value: 'NAME',
      description: 'the node name in the cluster',
      default: 'this host name',
    },
    certport: {
      type: 'string',
      value: 'P',
      description: "port of cloudhub's certificate server on the same host",
      default: '10002',
    },
    'data-dir': {
      type: 'string',
      value: 'DIR',
      description: 'where the certificate and edgecore.db are kept',
      default: '.edgeproof/nodes/NAME',
    },
    labels: {
      type: 'string',
      value: 'K=V,...',
      description: 'extra labels for the node',
    },
    'node-status-update-frequency': STATUS_FREQUENCY_FLAG,
    runtime: RUNTIME_FLAG,
    'metaserver-port': {
      type: 'string',
      value: 'P',
      description:
        "port of MetaServer, the node's local read-only Kubernetes API on 127.0.0.1 (0 = any free port)",
      default: '10550',
    },
    'mqtt-port': MQTT_PORT_FLAG,
    'mqtt-broker': MQTT_BROKER_FLAG,
    mappers: {
      type: 'string',
      value: 'builtin|none',
      description:
        "run edgeproof's Modbus and OPC UA mappers for the node's Devices (builtin), or leave them to mappers of your own (none)",
      default: 'builtin',
    },
    'log-level': LOG_LEVEL_FLAG,
  },
};

/** Delays between attempts while the cloud cannot be reached: up to 30 s, as KubeEdge's own wait. */
const START_RETRY = { baseMs: 1000, capMs: 30_000, floorMs: 500 } as const;

export async function runJoin(
  values: Record<string, string | boolean | undefined>,
  out: (line: string) => void,
): Promise<void> {
  const cloudHub = values['cloudcore-ipport'];
  if (typeof cloudHub !== 'string' || cloudHub === '') {
    throw new InvalidInputError(
      '--cloudcore-ipport is required: the HOST:PORT of cloudhub, e.g. 192.168.1.10:10000',
    );
  }
  let hub: { host: string; port: number };
  try {
    hub = parseCertServer(cloudHub, 10000);
  } catch (err) {
    throw new InvalidInputError(`--cloudcore-ipport: ${errorMessage(err)}`);
  }
  const certPort = integerFlag('certport', values.certport, 10002, 1, 65535);
  const nodeName = nodeNameFlag(
    'edgenode-name',
    typeof values['edgenode-name'] === 'string' ? values['edgenode-name'] : hostname().toLowerCase(),
  );
  const dataDir = resolve(
    typeof values['data-dir'] === 'string' ? values['data-dir'] : join('.edgeproof', 'nodes', nodeName),
  );
  const statusIntervalMs = statusFrequencyMs(
    values['node-status-update-frequency'],
    DEFAULT_STATUS_INTERVAL_MS,
  );
  const labels = labelsFlag('labels', values.labels);
  const runtime = runtimeFlag(values.runtime);
  const metaServerPort = integerFlag('metaserver-port', values['metaserver-port'], 10550, 0, 65535);
  const broker = brokerFlags(values);
  const mappers = String(values.mappers ?? 'builtin');
  if (mappers !== 'builtin' && mappers !== 'none')
    throw new InvalidInputError(`--mappers must be builtin or none, not ${JSON.stringify(mappers)}`);
  const token = typeof values.token === 'string' && values.token !== '' ? values.token : undefined;
  const clock = new SystemClock();
  const logger = createLogger('edgeproof', { level: parseLogLevel(values['log-level']) });
  const certServer = `${hub.host.includes(':') ? `[${hub.host}]` : hub.host}:${certPort}`;

  let registeredOnce = false;
  let stopping = false;
  const make = (): EdgeCore =>
    new EdgeCore({
      dataDir,
      nodeName,
      cloudHub,
      certServer,
      ...(token !== undefined ? { token } : {}),
      clock,
      logger: logger.child(nodeName),
      statusIntervalMs,
      labels,
      runtime,
      metaServer: { port: metaServerPort },
      devices: { broker, mappers: mappers === 'builtin' },
      onConnectionChange: (up) => {
        if (!up && registeredOnce && !stopping)
          out(`edgeproof join: lost the link to cloudhub at ${cloudHub}; reconnecting`);
      },
      onRegistered: () => {
        if (registeredOnce) {
          out(`edgeproof join: reconnected; node ${nodeName} registered again`);
          return;
        }
        registeredOnce = true;
        out(`edgeproof join: ready: node ${nodeName} is registered with cloudcore at ${cloudHub}`);
      },
    });

  // Ctrl-C while the cloud is still being waited for ends the wait.
  const abort = new AbortController();
  const onEarlySignal = (): void => abort.abort();
  process.once('SIGINT', onEarlySignal);
  process.once('SIGTERM', onEarlySignal);
  let core: EdgeCore | undefined;
  try {
    core = await startWithRetry(make, abort.signal, clock, (err, delayMs) => {
      out(
        `edgeproof join: cannot reach the cloud yet (${errorMessage(err)}); retrying in ${Math.round(delayMs / 1000)} s`,
      );
    });
  } finally {
    process.off('SIGINT', onEarlySignal);
    process.off('SIGTERM', onEarlySignal);
  }
  if (core === undefined) {
    out('edgeproof join: stopped');
    return;
  }
  out(
    `edgeproof join: edgecore for node ${nodeName} started (data in ${dataDir}); connecting to ${cloudHub}`,
  );
  out(
    `edgeproof join: MetaServer at ${core.metaServerUrl() ?? '(off)'}: kubectl --kubeconfig ${join(dataDir, 'kubeconfig')} get pods -A`,
  );
  out(
    `edgeproof join: devices: MQTT broker at ${core.brokerUrl() ?? '(off)'} ($hw/events/device/<namespace>/<name>/twin/update …)`,
  );
  const running = core;
  await waitForShutdown(
    out,
    () => {
      stopping = true;
      return running.stop();
    },
    logger,
  );
}

/**
 * Starts an EdgeCore, trying again with backoff while the failure is retriable (the certificate
 * server unreachable or answering 5xx). Resolves undefined when aborted first; rejects with the
 * first terminal error.
 */
async function startWithRetry(
  make: () => EdgeCore,
  signal: AbortSignal,
  clock: SystemClock,
  onRetry: (err: unknown, delayMs: number) => void,
): Promise<EdgeCore | undefined> {
  const backoff = new Backoff(START_RETRY);
  for (;;) {
    if (signal.aborted) return undefined;
    const core = make();
    try {
      await core.start();
      return core;
    } catch (err) {
      await core.stop();
      if (!(err instanceof EdgeproofError) || !err.retriable) throw err;
      const delay = backoff.next();
      onRetry(err, delay);
      try {
        await clock.sleep(delay, signal);
      } catch {
        return undefined;
      }
    }
  }
}
