// cloudcore alone in a process of its own, for the connect benchmark: its memory can then be read
// from /proc without the API server or the edge nodes in the figure. Usage:
//   node scenarios/bench/cloudcore-process.ts KUBECONFIG NODE_LIMIT [HUB_PORT CERT_PORT]
// Prints one JSON line {"hubPort","certPort","token"} once serving; stops on SIGTERM.
import { getHeapSpaceStatistics } from 'node:v8';
import { KubeConfig } from '@kubernetes/client-node';
import { SystemClock, createLogger } from '@edgeproof/core';
import { CloudCore } from '@edgeproof/cloud';

const [kubeconfigPath, nodeLimitText, hubPortText, certPortText] = process.argv.slice(2);
if (kubeconfigPath === undefined) throw new Error('usage: cloudcore-process.ts KUBECONFIG [NODE_LIMIT]');
const kubeConfig = new KubeConfig();
kubeConfig.loadFromFile(kubeconfigPath);
const cloudcore = new CloudCore({
  kubeConfig,
  advertiseAddresses: ['127.0.0.1'],
  host: '127.0.0.1',
  hubPort: Number(hubPortText ?? 0),
  certPort: Number(certPortText ?? 0),
  nodeLimit: Number(nodeLimitText ?? 10_000),
  clock: new SystemClock(),
  logger: createLogger('cloudcore', { level: 'warn' }),
});
await cloudcore.start();
console.log(
  JSON.stringify({ hubPort: cloudcore.hubPort(), certPort: cloudcore.certPort(), token: cloudcore.token() }),
);
// SIGUSR2: print memory (after a full GC when run with --expose-gc), for investigating footprint.
process.on('SIGUSR2', () => {
  (globalThis as { gc?: () => void }).gc?.();
  const mb = (n: number): number => Math.round(n / 1e6);
  const m = process.memoryUsage();
  process.stderr.write(
    `cloudcore memory MB: rss ${mb(m.rss)} heapUsed ${mb(m.heapUsed)} heapTotal ${mb(m.heapTotal)} external ${mb(m.external)} arrayBuffers ${mb(m.arrayBuffers)}\n` +
      getHeapSpaceStatistics()
        .map((s) => `  ${s.space_name}: size ${mb(s.space_size)} used ${mb(s.space_used_size)}\n`)
        .join(''),
  );
});
process.once('SIGTERM', () => {
  void cloudcore.stop().then(() => process.exit(0));
});
