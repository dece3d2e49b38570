/**
 * `edgeproof apiserver` and `edgeproof cloudcore`: the two cloud components of `edgeproof up`, each
 * alone in its own process, so a scenario can kill or restart one without the other (the runner's
 * bench, `scenarios/src/runner/bench/`). Both run in the foreground until SIGINT/SIGTERM and print
 * a line with `ready` once they serve.
 *
 * - `apiserver`: the embedded Kubernetes API server with the KubeEdge CRDs, state in DIR (kept
 *   across restarts: DIR/apiserver.db, its CA and admin token), DIR/kubeconfig for kubectl.
 * - `cloudcore`: cloudhub (certificates on --certport, the WebSocket hub on --cloudhub-port),
 *   EdgeController, DeviceController and the node lifecycle, against the cluster of --kubeconfig
 *   (the embedded API server or a real one); the join token goes to DIR/token.
 *
 * Flags are those of `edgeproof up` (the same specs, from up.ts), so the two spellings agree.
 */
import { resolve } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { createLogger, errorMessage, InvalidInputError, SystemClock } from '@edgeproof/core';
import { DEFAULT_NODE_GRACE_PERIOD_MS } from '@edgeproof/cloud';
import {
  durationFlag,
  integerFlag,
  parseAddresses,
  LOG_LEVEL_FLAG,
  parseLogLevel,
  waitForShutdown,
  type CommandSpec,
  type FlagSpec,
} from './args.ts';
import { startCloudCore, startEmbeddedApiServer } from './cloud-parts.ts';
import { upCommand } from './up.ts';

function upFlag(name: string): FlagSpec {
  const flag = upCommand.flags[name];
  if (flag === undefined) throw new RangeError(`edgeproof up has no flag --${name}`);
  return flag;
}

export const apiserverCommand: CommandSpec = {
  name: 'apiserver',
  usage: 'edgeproof apiserver [--data-dir DIR] [--port 6443]',
  summary:
    'Run the embedded Kubernetes API server alone (with the KubeEdge CRDs) in the foreground until Ctrl-C.\n' +
    'It writes DIR/kubeconfig and prints "ready"; run cloudcore against it with edgeproof cloudcore --kubeconfig DIR/kubeconfig.',
  flags: {
    'data-dir': upFlag('data-dir'),
    port: { ...upFlag('apiserver-port'), value: 'P' },
    'log-level': LOG_LEVEL_FLAG,
  },
};

export async function runApiserver(
  values: Record<string, string | boolean | undefined>,
  out: (line: string) => void,
): Promise<void> {
  const dataDir = resolve(String(values['data-dir'] ?? '.edgeproof'));
  const port = integerFlag('port', values.port, 6443, 0, 65535);
  const clock = new SystemClock();
  const logger = createLogger('edgeproof', { level: parseLogLevel(values['log-level']) });
  const { apiserver, kubeconfig } = await startEmbeddedApiServer({ dataDir, port, clock, logger });
  out(`edgeproof apiserver: ready: API server at ${apiserver.url()}, kubeconfig ${kubeconfig}`);
  await waitForShutdown(out, () => apiserver.stop(), logger);
}

export const cloudcoreCommand: CommandSpec = {
  name: 'cloudcore',
  usage:
    'edgeproof cloudcore --kubeconfig FILE [--data-dir DIR] [--cloudhub-port 10000] [--certport 10002] [--advertise-address A]',
  summary:
    'Run cloudcore alone against any cluster (the embedded API server or a real one) in the foreground until Ctrl-C.\n' +
    'It writes the join token to DIR/token and prints "ready"; edge nodes join with edgeproof join.',
  flags: {
    kubeconfig: {
      type: 'string',
      value: 'FILE',
      description: 'the cluster to run against (required)',
    },
    'data-dir': { ...upFlag('data-dir'), description: 'where the join token is written (DIR/token)' },
    'cloudhub-port': upFlag('cloudhub-port'),
    certport: upFlag('certport'),
    'advertise-address': upFlag('advertise-address'),
    'node-monitor-grace-period': upFlag('node-monitor-grace-period'),
    'log-level': LOG_LEVEL_FLAG,
  },
};

export async function runCloudcore(
  values: Record<string, string | boolean | undefined>,
  out: (line: string) => void,
): Promise<void> {
  if (typeof values.kubeconfig !== 'string' || values.kubeconfig === '') {
    throw new InvalidInputError(
      '--kubeconfig is required: the cluster cloudcore runs against (edgeproof apiserver writes DIR/kubeconfig)',
    );
  }
  const kubeconfigPath = resolve(values.kubeconfig);
  const kubeConfig = new KubeConfig();
  try {
    kubeConfig.loadFromFile(kubeconfigPath);
  } catch (err) {
    throw new InvalidInputError(
      `--kubeconfig ${kubeconfigPath} is not a usable kubeconfig: ${errorMessage(err)}`,
    );
  }
  const dataDir = resolve(String(values['data-dir'] ?? '.edgeproof'));
  const hubPort = integerFlag('cloudhub-port', values['cloudhub-port'], 10000, 0, 65535);
  const certPort = integerFlag('certport', values.certport, 10002, 0, 65535);
  const advertise = parseAddresses(String(values['advertise-address'] ?? '127.0.0.1'));
  const graceMs = durationFlag(
    'node-monitor-grace-period',
    values['node-monitor-grace-period'],
    DEFAULT_NODE_GRACE_PERIOD_MS,
    1000,
    86_400_000,
  );
  const clock = new SystemClock();
  const logger = createLogger('edgeproof', { level: parseLogLevel(values['log-level']) });
  const { cloudcore, tokenFile } = await startCloudCore({
    kubeConfig,
    dataDir,
    advertise,
    hubPort,
    certPort,
    graceMs,
    clock,
    logger,
  });
  out(
    `edgeproof cloudcore: ready: edge nodes connect to port ${cloudcore.hubPort()}, certificates on port ${cloudcore.certPort()}, join token in ${tokenFile}`,
  );
  await waitForShutdown(out, () => cloudcore.stop(), logger);
}
