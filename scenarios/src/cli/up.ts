/**
 * `edgeproof up`: runs the bench in the foreground until SIGINT/SIGTERM. In this version it starts
 * the embedded API server with the KubeEdge CRDs installed, writes DIR/kubeconfig, starts cloudcore
 * (certificate bootstrap on :10002) against it and writes the join token to DIR/token; the
 * WebSocket hub, edge nodes and simulated devices join the same command as they are built.
 */
import { writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { createLogger, InvalidInputError, SystemClock } from '@edgeproof/core';
import { ApiServer, CloudCore } from '@edgeproof/cloud';
import { kubeEdgeCrds } from '@edgeproof/crds';
import { integerFlag, parseLogLevel, waitForShutdown, type CommandSpec } from './args.ts';

export const upCommand: CommandSpec = {
  name: 'up',
  usage:
    'edgeproof up [--data-dir DIR] [--nodes N] [--apiserver-port P] [--cloudhub-port P] [--certport P] [--advertise-address A,B]',
  summary:
    'Run an embedded cluster in the foreground until Ctrl-C: the Kubernetes API server (with the KubeEdge CRDs)\n' +
    'and cloudcore. When it prints "ready", use: kubectl --kubeconfig DIR/kubeconfig get ns; the join token is in DIR/token.',
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
    'log-level': {
      type: 'string',
      value: 'LEVEL',
      description: 'debug, info, warn or error',
      default: 'info',
    },
  },
};

export async function runUp(
  values: Record<string, string | boolean | undefined>,
  out: (line: string) => void,
): Promise<void> {
  const dataDir = resolve(String(values['data-dir'] ?? '.edgeproof'));
  const port = integerFlag('apiserver-port', values['apiserver-port'], 6443, 0, 65535);
  const nodes = integerFlag('nodes', values.nodes, 2, 0, 100_000);
  const clock = new SystemClock();
  const logger = createLogger('edgeproof', { level: parseLogLevel(values['log-level']) });

  const certPort = integerFlag('certport', values.certport, 10002, 0, 65535);
  const hubPort = integerFlag('cloudhub-port', values['cloudhub-port'], 10000, 0, 65535);
  const advertise = parseAddresses(String(values['advertise-address'] ?? '127.0.0.1'));
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
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(apiserver.kubeconfig());
  const cloudcore = new CloudCore({
    kubeConfig,
    advertiseAddresses: advertise,
    certPort,
    hubPort,
    // Reachable from other machines only when the user advertised a non-loopback address.
    ...(advertise.every(isLoopback) ? { host: '127.0.0.1' } : {}),
    clock,
    logger: logger.child('cloudcore'),
  });
  try {
    await cloudcore.start();
  } catch (err) {
    await apiserver.stop();
    throw err;
  }
  const tokenFile = join(dataDir, 'token');
  writeFileSync(tokenFile, cloudcore.token() + '\n', { mode: 0o600 });
  if (nodes > 0)
    out(`edgeproof: note: edge nodes are not part of this version yet; --nodes ${nodes} has no effect`);
  out(`edgeproof: API server at ${apiserver.url()}, data in ${dataDir}`);
  out(
    `edgeproof: cloudcore: edge nodes connect to port ${cloudcore.hubPort()}, certificates on port ${cloudcore.certPort()}, join token in ${tokenFile}`,
  );
  out(`edgeproof: ready: kubectl --kubeconfig ${kubeconfig} get namespaces`);

  await waitForShutdown(
    out,
    async () => {
      await cloudcore.stop();
      await apiserver.stop();
    },
    logger,
  );
}

/** `--advertise-address a,b`: IPs or DNS names, as keadm init takes them. */
function parseAddresses(text: string): string[] {
  const addresses = text
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a !== '');
  if (addresses.length === 0) throw new InvalidInputError('--advertise-address needs at least one address');
  for (const a of addresses) {
    if (isIP(a) === 0 && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/i.test(a)) {
      throw new InvalidInputError(
        `--advertise-address: ${JSON.stringify(a)} is neither an IP address nor a DNS name`,
      );
    }
  }
  return addresses;
}

function isLoopback(address: string): boolean {
  return address === 'localhost' || address === '::1' || /^127\./.test(address);
}
