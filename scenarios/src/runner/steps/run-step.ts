/**
 * `run`: a shell command (`sh -c`), with KUBECONFIG pointing at the cloud and kubectl's cache
 * inside the run, so `kubectl get pods` works as written. It passes when it exits with
 * `expectExit` (default 0) and, if given, its stdout matches `expectOutput`; with `retryFor` it is
 * run again every 500 ms until it passes or that much time has gone.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { join } from 'node:path';
import { durationMs, formatMs } from '../duration.ts';
import { StepFailedError } from '../errors.ts';
import type { RunStep } from '../scenario-types.ts';
import { substitute } from '../variables.ts';
import type { StepContext } from './step-context.ts';

const OUTPUT_LIMIT = 64 * 1024;

export async function runStep(spec: RunStep, ctx: StepContext, signal: AbortSignal): Promise<string> {
  const command = substitute(spec.command, ctx.vars);
  const expectExit = spec.expectExit ?? 0;
  const pattern = spec.expectOutput !== undefined ? new RegExp(spec.expectOutput) : undefined;
  const deadline = ctx.clock.now() + durationMs(spec.retryFor, 0);
  for (;;) {
    const r = await shell(command, ctx, durationMs(spec.timeout, 30_000), signal);
    const exitOk = r.code === expectExit;
    const outputOk = pattern === undefined || pattern.test(r.stdout);
    if (exitOk && outputOk) return `exit ${r.code}`;
    if (ctx.clock.now() + 500 > deadline) {
      const expected = `exit ${expectExit}${pattern ? ` and output matching /${spec.expectOutput}/` : ''}`;
      // The output when it was the problem, else the last lines the command wrote.
      const lines = (r.stderr.trim() || (outputOk ? r.stdout.trim() : '')).split('\n').slice(-3).join(' | ');
      const output = outputOk ? '' : `, output ${JSON.stringify(r.stdout.trim().slice(0, 300))}`;
      const seen = r.timedOut
        ? `no exit within ${formatMs(durationMs(spec.timeout, 30_000))}`
        : `exit ${r.code}${output}${lines ? ` (${lines.slice(0, 300)})` : ''}`;
      throw new StepFailedError(expected, seen);
    }
    await ctx.clock.sleep(500, signal);
  }
}

type ShellResult = { code: number; stdout: string; stderr: string; timedOut: boolean };

function shell(
  command: string,
  ctx: StepContext,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<ShellResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', command], {
      cwd: ctx.scenarioDir,
      env: {
        ...process.env,
        KUBECONFIG: ctx.bench.kubeconfig,
        KUBECACHEDIR: join(ctx.bench.dataDir, 'kube-cache'),
        DATA_DIR: ctx.bench.dataDir,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout = (stdout + d).slice(-OUTPUT_LIMIT)));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-OUTPUT_LIMIT)));
    // The whole group: the command's own children go too.
    const killGroup = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // gone already
      }
    };
    const timer = ctx.clock.setTimeout(() => {
      timedOut = true;
      killGroup();
    }, timeoutMs);
    const onAbort = (): void => killGroup();
    signal.addEventListener('abort', onAbort);
    child.on('error', (err) => {
      timer.cancel();
      signal.removeEventListener('abort', onAbort);
      reject(err);
    });
    child.on('close', (code, sig) => {
      timer.cancel();
      signal.removeEventListener('abort', onAbort);
      if (signal.aborted) reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      // A signal ends a shell command with 128 + its number, as sh reports it.
      else
        resolve({ code: code ?? (sig ? 128 + (constants.signals[sig] ?? 0) : 1), stdout, stderr, timedOut });
    });
  });
}
