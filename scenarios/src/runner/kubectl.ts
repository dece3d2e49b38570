/**
 * The real kubectl (ARCHITECTURE.md §6: it is the client tests use), for apply, delete, wait and
 * get in scenario steps, against the cloud's kubeconfig or a node's MetaServer kubeconfig. Its
 * discovery cache stays inside the run (`--cache-dir`), so runs do not share stale discovery.
 */
import { execFile } from 'node:child_process';

export type KubectlResult = { code: number; stdout: string; stderr: string };

export class Kubectl {
  private readonly cacheDir: string;
  private readonly binary: string;

  constructor(options: { cacheDir: string; binary?: string }) {
    this.cacheDir = options.cacheDir;
    this.binary = options.binary ?? 'kubectl';
  }

  /** Runs `kubectl --kubeconfig K ARGS`; never throws for a non-zero exit (see `code`). */
  run(
    kubeconfig: string,
    args: readonly string[],
    o: { timeoutMs?: number; signal?: AbortSignal; input?: string } = {},
  ): Promise<KubectlResult> {
    return new Promise((resolve) => {
      const child = execFile(
        this.binary,
        ['--kubeconfig', kubeconfig, '--cache-dir', this.cacheDir, ...args],
        {
          timeout: o.timeoutMs ?? 30_000,
          maxBuffer: 16 * 1024 * 1024,
          ...(o.signal ? { signal: o.signal } : {}),
        },
        (err, stdout, stderr) => {
          const code = err ? (typeof err.code === 'number' ? err.code : 124) : 0;
          resolve({ code, stdout, stderr: err && code === 124 && stderr === '' ? err.message : stderr });
        },
      );
      if (o.input !== undefined) child.stdin?.end(o.input);
    });
  }
}

/** kubectl's first line of complaint, for messages. */
export function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? '';
}
