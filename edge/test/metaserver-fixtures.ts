/**
 * Test support for the MetaServer tests: a real MetaStore on a temp SQLite file, a MetaServer on
 * an ephemeral loopback port, objects written as edgecore writes them (`MetaStore.upsert` with the
 * edge resource), real kubectl pointed at it with HOME in the temp dir (so its discovery cache is
 * this test's own), and a reader for raw watch streams.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { get, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SystemClock, createLogger, silentLogger, type Clock } from '@edgeproof/core';
import { MetaStore } from '../src/metamanager/store.ts';
import { MetaServer, type MetaServerOptions } from '../src/metaserver/index.ts';

export type KubectlResult = { code: number; stdout: string; stderr: string };

export interface MetaServerFixture {
  dir: string;
  store: MetaStore;
  server: MetaServer;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Stores `object` as edgecore stores a downstream insert: `<ns>/<type>/<name>`. */
  put: (object: TestObject) => void;
  /** Deletes what `put` stored. */
  remove: (object: TestObject) => void;
  /** Real kubectl with `--server <url>` and an isolated HOME. */
  kubectl: (args: string[]) => Promise<KubectlResult>;
  /** kubectl's environment, for a spawned kubectl. */
  env: NodeJS.ProcessEnv;
  stop: () => Promise<void>;
}

export type TestObject = { apiVersion: string; kind: string; metadata: Record<string, unknown> } & Record<
  string,
  unknown
>;

export async function startMetaServer(
  options: Partial<Omit<MetaServerOptions, 'store'>> & { clock?: Clock } = {},
): Promise<MetaServerFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'edgeproof-metaserver-'));
  const store = MetaStore.open(join(dir, 'edgecore.db'));
  const logger = process.env.EDGEPROOF_TEST_LOG
    ? createLogger('metaserver', { level: 'debug' })
    : silentLogger();
  const server = new MetaServer({ clock: new SystemClock(), logger, port: 0, ...options, store });
  await server.start();
  const url = `http://127.0.0.1:${server.port()}`;
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir };
  const resourceOf = (o: TestObject): string => {
    const ns = typeof o.metadata['namespace'] === 'string' ? o.metadata['namespace'] : 'default';
    return `${ns}/${o.kind.toLowerCase()}/${String(o.metadata['name'])}`;
  };
  return {
    dir,
    store,
    server,
    url,
    env,
    put: (o) => store.upsert(resourceOf(o), o.kind.toLowerCase(), JSON.stringify(o)),
    remove: (o) => {
      store.delete(resourceOf(o));
    },
    kubectl: (args) =>
      new Promise((resolve) => {
        execFile('kubectl', ['--server', url, ...args], { env, timeout: 20_000 }, (error, stdout, stderr) => {
          const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
          resolve({ code, stdout, stderr });
        });
      }),
    stop: async () => {
      await server.stop();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A pod bound to `node`, Running with one ready container, created five minutes before `now`. */
export function testPod(
  namespace: string,
  name: string,
  rv: number,
  extra: { node?: string; labels?: Record<string, string>; phase?: string; now?: number } = {},
): TestObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      uid: `uid-${name}`,
      resourceVersion: String(rv),
      creationTimestamp: new Date((extra.now ?? Date.now()) - 5 * 60_000).toISOString(),
      labels: extra.labels ?? { app: name },
    },
    spec: { nodeName: extra.node ?? 'edge-1', containers: [{ name: 'main', image: 'busybox' }] },
    status: {
      phase: extra.phase ?? 'Running',
      podIP: '10.0.0.5',
      containerStatuses: [{ name: 'main', ready: true, restartCount: 0, state: { running: {} } }],
    },
  };
}

/** An open watch response: its events as they arrive, and its end. */
export interface WatchReader {
  status: number;
  headers: IncomingMessage['headers'];
  events: { type: string; object: Record<string, unknown> }[];
  /** Resolves when `count` events have arrived (rejects after `timeoutMs`). */
  waitFor: (count: number, timeoutMs?: number) => Promise<void>;
  /** Resolves when the server ends the response; `true` if it ended cleanly (not cut). */
  ended: Promise<boolean>;
  close: () => void;
}

export function openWatch(
  url: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<WatchReader> {
  return new Promise((resolve, reject) => {
    const req = get(`${url}${path}`, { headers }, (res) => {
      const events: WatchReader['events'] = [];
      const waiters: (() => void)[] = [];
      let buffered = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffered += chunk;
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          events.push(JSON.parse(buffered.slice(0, nl)) as WatchReader['events'][number]);
          buffered = buffered.slice(nl + 1);
        }
        for (const w of waiters.splice(0)) w();
      });
      const ended = new Promise<boolean>((done) => {
        res.on('end', () => done(true));
        res.on('error', () => done(false));
        res.on('close', () => done(res.complete));
      });
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        events,
        ended,
        close: () => req.destroy(),
        waitFor: (count, timeoutMs = 5000) =>
          new Promise<void>((ok, fail) => {
            const timer = setTimeout(
              () => fail(new Error(`waited for ${count} events, got ${JSON.stringify(events)}`)),
              timeoutMs,
            );
            const check = (): void => {
              if (events.length >= count) {
                clearTimeout(timer);
                ok();
              } else {
                waiters.push(check);
              }
            };
            check();
          }),
      });
    });
    req.on('error', reject);
  });
}
