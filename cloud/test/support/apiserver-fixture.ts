/**
 * Test support: a real embedded API server on an ephemeral port with its own data dir, and the
 * real kubectl pointed at it through the kubeconfig the server writes.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SystemClock, silentLogger, createLogger } from '@edgeproof/core';
import { ApiServer, type ApiServerOptions } from '../../src/index.ts';

export type KubectlResult = { code: number; stdout: string; stderr: string };

export type Fixture = {
  server: ApiServer;
  dataDir: string;
  kubeconfig: string;
  /** Runs real kubectl with this server's kubeconfig; `stdin` is piped in (for `-f -`). */
  kubectl: (args: string[], stdin?: string) => Promise<KubectlResult>;
  /** Like kubectl, but fails the test with kubectl's stderr when it exits non-zero. */
  kubectlOk: (args: string[], stdin?: string) => Promise<string>;
  /** Writes `text` to a file in the data dir and returns its path. */
  file: (name: string, text: string) => string;
  stop: () => Promise<void>;
  /** Stops and starts the server again on the same data dir and port, down for `downForMs` between. */
  restart: (downForMs?: number) => Promise<void>;
};

export const KUBECTL = process.env.KUBECTL ?? 'kubectl';

export async function startApiServer(options: Partial<ApiServerOptions> = {}): Promise<Fixture> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'edgeproof-apiserver-'));
  const kubeconfig = join(dataDir, 'kubeconfig');
  const cacheDir = join(dataDir, 'kube-cache');
  const logger = process.env.EDGEPROOF_TEST_LOG ? createLogger('test', { level: 'debug' }) : silentLogger();
  const make = (port: number): ApiServer =>
    new ApiServer({ dataDir, port, clock: new SystemClock(), logger, ...options });
  let server = make(options.port ?? 0);
  await server.start();
  server.writeKubeconfig(kubeconfig);

  const kubectl = (args: string[], stdin?: string): Promise<KubectlResult> =>
    new Promise((resolve) => {
      const child = execFile(
        KUBECTL,
        ['--kubeconfig', kubeconfig, '--cache-dir', cacheDir, ...args],
        { timeout: 60_000, env: { ...process.env, HOME: dataDir } },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
      if (stdin !== undefined) child.stdin?.end(stdin);
      else child.stdin?.end();
    });

  const fixture: Fixture = {
    get server() {
      return server;
    },
    dataDir,
    kubeconfig,
    kubectl,
    kubectlOk: async (args, stdin) => {
      const r = await kubectl(args, stdin);
      if (r.code !== 0)
        throw new Error(
          `kubectl ${args.join(' ')} exited ${r.code}\nstderr: ${r.stderr}\nstdout: ${r.stdout}`,
        );
      return r.stdout;
    },
    file: (name, text) => {
      const path = join(dataDir, name);
      writeFileSync(path, text);
      return path;
    },
    stop: async () => {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
    restart: async (downForMs = 0) => {
      const port = server.port();
      await server.stop();
      if (downForMs > 0) await new Promise((r) => setTimeout(r, downForMs));
      server = make(port);
      await server.start();
    },
  };
  return fixture;
}
