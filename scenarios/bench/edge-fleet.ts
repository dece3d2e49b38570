// A fleet of edge nodes in one process, for the connect benchmark: each node is a full EdgeCore
// (its own certificate, SQLite store and TLS WebSocket), many sharing one process as the
// instance-scoped design allows (ARCHITECTURE.md §4). Usage:
//   node scenarios/bench/edge-fleet.ts '<json FleetConfig>'
// mode "bootstrap": get every node's certificate with the token, print {"event":"bootstrapped"}, exit.
// mode "connect": prepare every node (certificates reused, stores opened), print
// {"event":"prepared"}, wait for a line on stdin, start them all, then print
// {"event":"progress",…} every 200 ms; stop on SIGTERM.
import { join } from 'node:path';
import { SystemClock, createLogger } from '@edgeproof/core';
import { EdgeCore, ensureNodeCertificate } from '@edgeproof/edge';

export interface FleetConfig {
  mode: 'bootstrap' | 'connect';
  cloudHub: string;
  certServer: string;
  token: string;
  dataDir: string;
  /** Node names are `<prefix><i>` for i in [from, from + count). */
  prefix: string;
  from: number;
  count: number;
  /** Certificate bootstraps at once. */
  concurrency: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as FleetConfig;
const clock = new SystemClock();
const logger = createLogger('fleet', { level: 'error' });
const names = Array.from({ length: config.count }, (_, i) => `${config.prefix}${config.from + i}`);
const emit = (event: Record<string, unknown>): void => {
  process.stdout.write(JSON.stringify(event) + '\n');
};

if (config.mode === 'bootstrap') {
  const queue = [...names];
  await Promise.all(
    Array.from({ length: config.concurrency }, async () => {
      for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
        await ensureNodeCertificate({
          dir: join(config.dataDir, name, 'certs'),
          nodeName: name,
          token: config.token,
          certServer: config.certServer,
          clock,
          logger,
        });
      }
    }),
  );
  emit({ event: 'bootstrapped', count: names.length });
  process.exit(0);
}

const cores = names.map(
  (name) =>
    new EdgeCore({
      dataDir: join(config.dataDir, name),
      nodeName: name,
      cloudHub: config.cloudHub,
      certServer: config.certServer,
      clock,
      logger,
      // A fleet is for the cloud side: no pods to run and no local API for each node.
      runtime: 'hollow',
      metaServer: false,
      devices: false,
    }),
);
// Certificates and SQLite stores first (local work, not what is measured); then every node dials
// when the benchmark says "go" on stdin, so that all fleets dial at the same moment.
for (const c of cores) await c.prepare();
emit({ event: 'prepared' });
await new Promise<void>((go) => process.stdin.once('data', () => go()));
const startedAt = Date.now();
await Promise.all(cores.map((c) => c.start()));
const timer = setInterval(() => {
  const connected = cores.filter((c) => c.connected()).length;
  const registered = cores.filter((c) => c.registered()).length;
  const failedDials = cores.reduce((n, c) => n + c.failedDials(), 0);
  emit({ event: 'progress', ms: Date.now() - startedAt, connected, registered, failedDials });
}, 200);
process.once('SIGTERM', () => {
  clearInterval(timer);
  void Promise.all(cores.map((c) => c.stop())).then(() => process.exit(0));
});
