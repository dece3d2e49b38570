// `npm run bench`: latency and throughput of the embedded API server over HTTPS, as a client
// sees them. Prints a table and writes bench-results/apiserver.json. Goals (issue 2): mutating
// p99 ≤ 100 ms, single GET p99 ≤ 50 ms on a 2-core machine. Not a test: it never fails on timing.
import { Agent, request } from 'node:https';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { SystemClock, silentLogger } from '@edgeproof/core';
import { ApiServer } from '../src/index.ts';

const LARGE = Number(process.env.BENCH_LARGE ?? 50_000);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 1000);

const dataDir = mkdtempSync(join(tmpdir(), 'edgeproof-bench-'));
const server = new ApiServer({
  dataDir,
  port: 0,
  clock: new SystemClock(),
  logger: silentLogger(),
  historySize: 200_000,
});
await server.start();
const agent = new Agent({ keepAlive: true, maxSockets: 32, ca: server.caCertificate() });
const auth = `Bearer ${server.adminToken()}`;

function call(method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${server.url()}${path}`,
      {
        method,
        agent,
        headers: {
          Authorization: auth,
          'Content-Type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json',
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

async function timed(fn: () => Promise<{ status: number }>, expect: number): Promise<number> {
  const start = process.hrtime.bigint();
  const r = await fn();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== expect) throw new Error(`unexpected status ${r.status}`);
  return ms;
}

function stats(samples: number[]): { n: number; p50: number; p99: number; max: number } {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
  return { n: s.length, p50: round(at(0.5)), p99: round(at(0.99)), max: round(s[s.length - 1] ?? 0) };
}
const round = (x: number): number => Math.round(x * 100) / 100;

const cm = (ns: string, name: string): unknown => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: ns, labels: { bench: 'yes', shard: String(name.length % 7) } },
  data: { value: 'x'.repeat(256) },
});

const results: Record<string, unknown> = {};
await call('POST', '/api/v1/namespaces', { metadata: { name: 'small' } });
await call('POST', '/api/v1/namespaces', { metadata: { name: 'large' } });

// Sequential latency: one client, one request at a time.
const create: number[] = [];
for (let i = 0; i < SAMPLES; i++)
  create.push(
    await timed(() => call('POST', '/api/v1/namespaces/small/configmaps', cm('small', `c-${i}`)), 201),
  );
results.create = stats(create);
const update: number[] = [];
for (let i = 0; i < SAMPLES; i++) {
  update.push(
    await timed(
      () =>
        call('PATCH', `/api/v1/namespaces/small/configmaps/c-${i}`, { data: { value: 'y' } }).then((r) => r),
      200,
    ),
  );
}
results.patch = stats(update);
const get: number[] = [];
for (let i = 0; i < SAMPLES; i++)
  get.push(await timed(() => call('GET', `/api/v1/namespaces/small/configmaps/c-${i % SAMPLES}`), 200));
results.get = stats(get);
const list1k: number[] = [];
for (let i = 0; i < 20; i++)
  list1k.push(await timed(() => call('GET', '/api/v1/namespaces/small/configmaps'), 200));
results[`list_${SAMPLES}`] = stats(list1k);

// Watch delivery: time from a create's reply to the watch event arriving.
const watchLatency: number[] = [];
{
  const pending = new Map<string, bigint>();
  const arrived = new Map<string, bigint>();
  const listed = JSON.parse((await call('GET', '/api/v1/namespaces/small/configmaps?limit=1')).text) as {
    metadata: { resourceVersion: string };
  };
  const watchReq = request(
    `${server.url()}/api/v1/namespaces/small/configmaps?watch=true&resourceVersion=${listed.metadata.resourceVersion}`,
    { agent: new Agent({ ca: server.caCertificate() }), headers: { Authorization: auth } },
  );
  let buffer = '';
  watchReq.on('response', (res) => {
    res.on('data', (d: Buffer) => {
      buffer += d.toString();
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        const name = (JSON.parse(line) as { object: { metadata: { name: string } } }).object.metadata.name;
        arrived.set(name, process.hrtime.bigint());
      }
    });
  });
  watchReq.end();
  await new Promise((r) => setTimeout(r, 200));
  for (let i = 0; i < 500; i++) {
    const name = `w-${i}`;
    const sent = process.hrtime.bigint();
    pending.set(name, sent);
    await call('POST', '/api/v1/namespaces/small/configmaps', cm('small', name));
  }
  await new Promise((r) => setTimeout(r, 500));
  for (const [name, sent] of pending) {
    const at = arrived.get(name);
    if (at) watchLatency.push(Number(at - sent) / 1e6);
  }
  watchReq.destroy();
  results.watch_delivery_from_request_start = {
    ...stats(watchLatency),
    lost: pending.size - watchLatency.length,
  };
}

// Throughput: 16 concurrent clients creating LARGE objects.
{
  const start = Date.now();
  let next = 0;
  const latencies: number[] = [];
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let i = next++; i < LARGE; i = next++)
        latencies.push(
          await timed(() => call('POST', '/api/v1/namespaces/large/configmaps', cm('large', `l-${i}`)), 201),
        );
    }),
  );
  const seconds = (Date.now() - start) / 1000;
  results.create_concurrent_16 = {
    ...stats(latencies),
    objects: LARGE,
    seconds: round(seconds),
    per_second: Math.round(LARGE / seconds),
  };
}
const listLarge: number[] = [];
for (let i = 0; i < 5; i++)
  listLarge.push(await timed(() => call('GET', '/api/v1/namespaces/large/configmaps'), 200));
results[`list_${LARGE}`] = stats(listLarge);
const listChunk: number[] = [];
for (let i = 0; i < 20; i++)
  listChunk.push(await timed(() => call('GET', '/api/v1/namespaces/large/configmaps?limit=500'), 200));
results[`list_${LARGE}_limit_500`] = stats(listChunk);
const getLarge: number[] = [];
for (let i = 0; i < SAMPLES; i++)
  getLarge.push(
    await timed(() => call('GET', `/api/v1/namespaces/large/configmaps/l-${(i * 7919) % LARGE}`), 200),
  );
results[`get_with_${LARGE}_stored`] = stats(getLarge);

agent.destroy();
await server.stop();
rmSync(dataDir, { recursive: true, force: true });

const report = {
  when: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
  unit: 'ms',
  results,
};
mkdirSync('bench-results', { recursive: true });
writeFileSync('bench-results/apiserver.json', JSON.stringify(report, null, 2) + '\n');
console.log(
  'operation'.padEnd(40),
  'n'.padStart(7),
  'p50'.padStart(9),
  'p99'.padStart(9),
  'max'.padStart(9),
  '  extra',
);
for (const [name, r] of Object.entries(results)) {
  const { n, p50, p99, max, ...extra } = r as { n: number; p50: number; p99: number; max: number };
  console.log(
    name.padEnd(40),
    String(n).padStart(7),
    String(p50).padStart(9),
    String(p99).padStart(9),
    String(max).padStart(9),
    ' ',
    Object.keys(extra).length ? JSON.stringify(extra) : '',
  );
}
console.log('\nwritten to bench-results/apiserver.json');
