/**
 * `edgeproof up`: runs the bench in the foreground until SIGINT/SIGTERM. In this version it starts
 * the embedded API server with the KubeEdge CRDs installed and writes DIR/kubeconfig; cloudcore,
 * edge nodes and simulated devices join the same command as they are built (issues 3–5).
 */
import { resolve, join } from 'node:path';
import { createLogger, InvalidInputError, SystemClock, type LogLevel } from '@edgeproof/core';
import { ApiServer } from '@edgeproof/cloud';
import { kubeEdgeCrds } from '@edgeproof/crds';
import { integerFlag, type CommandSpec } from './args.ts';

export const upCommand: CommandSpec = {
  name: 'up',
  usage: 'edgeproof up [--data-dir DIR] [--nodes N] [--apiserver-port P]',
  summary:
    'Run an embedded cluster in the foreground until Ctrl-C: the Kubernetes API server (with the KubeEdge CRDs).\n' +
    'When it prints "ready", use: kubectl --kubeconfig DIR/kubeconfig get ns',
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
      description: 'edge nodes to run (edge nodes are not built yet: must be given but has no effect)',
      default: '2',
    },
    'apiserver-port': {
      type: 'string',
      value: 'P',
      description: 'HTTPS port of the API server (0 = any free port)',
      default: '6443',
    },
    'log-level': {
      type: 'string',
      value: 'LEVEL',
      description: 'debug, info, warn or error',
      default: 'info',
    },
  },
};

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

export async function runUp(
  values: Record<string, string | boolean | undefined>,
  out: (line: string) => void,
): Promise<void> {
  const dataDir = resolve(String(values['data-dir'] ?? '.edgeproof'));
  const port = integerFlag('apiserver-port', values['apiserver-port'], 6443, 0, 65535);
  const nodes = integerFlag('nodes', values.nodes, 2, 0, 100_000);
  const level = String(values['log-level'] ?? 'info');
  if (!LEVELS.includes(level as LogLevel))
    throw new InvalidInputError(
      `--log-level must be one of ${LEVELS.join(', ')}, not ${JSON.stringify(level)}`,
    );
  const clock = new SystemClock();
  const logger = createLogger('edgeproof', { level: level as LogLevel });

  const apiserver = new ApiServer({
    dataDir,
    port,
    clock,
    logger: logger.child('apiserver'),
    initialObjects: kubeEdgeCrds(),
  });
  await apiserver.start();
  const kubeconfig = join(dataDir, 'kubeconfig');
  apiserver.writeKubeconfig(kubeconfig);
  if (nodes > 0)
    out(`edgeproof: note: edge nodes are not part of this version yet; --nodes ${nodes} has no effect`);
  out(`edgeproof: API server at ${apiserver.url()}, data in ${dataDir}`);
  out(`edgeproof: ready: kubectl --kubeconfig ${kubeconfig} get namespaces`);

  await new Promise<void>((done) => {
    const stop = (signal: NodeJS.Signals): void => {
      out(`edgeproof: ${signal} received, shutting down`);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      // A second signal while stopping ends the process at once.
      process.once('SIGINT', () => process.exit(130));
      process.once('SIGTERM', () => process.exit(143));
      apiserver.stop().then(done, (err: unknown) => {
        logger.error('shutdown failed', { err });
        done();
      });
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  out('edgeproof: stopped');
}
