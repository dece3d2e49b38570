/**
 * The cloud parts as `edgeproof up`, `edgeproof apiserver` and `edgeproof cloudcore` start them, so
 * the three commands build them one way: the embedded API server with the KubeEdge CRDs installed
 * and DIR/kubeconfig written; cloudcore with the flags' ports and addresses, listening on loopback
 * only when every advertised address is loopback, and the join token written to DIR/token.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Clock, Logger } from '@edgeproof/core';
import { ApiServer, CloudCore } from '@edgeproof/cloud';
import { kubeEdgeCrds } from '@edgeproof/crds';
import { isLoopback } from './args.ts';

/** Starts the embedded API server in `dataDir` and writes `dataDir/kubeconfig`. */
export async function startEmbeddedApiServer(o: {
  dataDir: string;
  port: number;
  clock: Clock;
  logger: Logger;
}): Promise<{ apiserver: ApiServer; kubeconfig: string }> {
  const apiserver = new ApiServer({
    dataDir: o.dataDir,
    port: o.port,
    clock: o.clock,
    logger: o.logger.child('apiserver'),
    initialObjects: kubeEdgeCrds(),
  });
  await apiserver.start();
  const kubeconfig = join(o.dataDir, 'kubeconfig');
  apiserver.writeKubeconfig(kubeconfig);
  return { apiserver, kubeconfig };
}

/** Starts cloudcore against `kubeConfig` and writes the join token to `dataDir/token`. */
export async function startCloudCore(o: {
  kubeConfig: KubeConfig;
  dataDir: string;
  advertise: string[];
  hubPort: number;
  certPort: number;
  graceMs: number;
  nodeLimit?: number;
  clock: Clock;
  logger: Logger;
}): Promise<{ cloudcore: CloudCore; tokenFile: string }> {
  const cloudcore = new CloudCore({
    kubeConfig: o.kubeConfig,
    advertiseAddresses: o.advertise,
    certPort: o.certPort,
    hubPort: o.hubPort,
    // Reachable from other machines only when a non-loopback address is advertised.
    ...(o.advertise.every(isLoopback) ? { host: '127.0.0.1' } : {}),
    nodeGracePeriodMs: o.graceMs,
    ...(o.nodeLimit !== undefined ? { nodeLimit: o.nodeLimit } : {}),
    clock: o.clock,
    logger: o.logger.child('cloudcore'),
  });
  await cloudcore.start();
  mkdirSync(o.dataDir, { recursive: true });
  const tokenFile = join(o.dataDir, 'token');
  writeFileSync(tokenFile, cloudcore.token() + '\n', { mode: 0o600 });
  return { cloudcore, tokenFile };
}
