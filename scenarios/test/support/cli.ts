// Running the `edgeproof` executable as a user does, for the CLI tests: real processes, real
// signals, real kubectl.
import assert from 'node:assert/strict';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN = resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/edgeproof.ts');

export type RunResult = { code: number; stdout: string; stderr: string };

/**
 * How much earlier than its delay a timer may fire as performance.now() sees it (libuv starts
 * timers from the loop's cached time, in whole milliseconds): slack for lower bounds on delays.
 */
export const TIMER_EARLY_MS = 2;

/** Runs `edgeproof ARGS` to completion. */
export function run(args: string[]): Promise<RunResult> {
  return runProgram(process.execPath, [BIN, ...args]);
}

/** Runs any program to completion as `run` does `edgeproof` (60 s unless `options` say otherwise). */
export function runProgram(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeout?: number } = {},
): Promise<RunResult> {
  return new Promise((done) => {
    execFile(command, args, { timeout: 60_000, ...options }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/** A long-running `edgeproof` command: its process and everything it printed so far. */
export type Running = { child: ChildProcess; output: () => string };

/**
 * Starts `edgeproof ARGS` in the background and resolves once its stdout matches `ready` (a line
 * containing "ready" by default); rejects if it exits first or says nothing ready within 60 s.
 */
export function start(args: string[], ready: RegExp = /ready/): Promise<Running> {
  return startProgram(process.execPath, [BIN, ...args], ready, { name: `edgeproof ${args[0]}` });
}

/**
 * Starts any program as `start` does `edgeproof` (independent peers: socat, pymodbus slaves);
 * `readyOn: 'any'` also looks for the ready line on stderr (socat reports there).
 */
export function startProgram(
  command: string,
  args: string[],
  ready: RegExp = /ready/,
  { name = command, readyOn = 'stdout' }: { name?: string; readyOn?: 'stdout' | 'any' } = {},
): Promise<Running> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let stdout = '';
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line within 60 s:\n${out}`)), 60_000);
    const check = (): void => {
      if (ready.test(readyOn === 'any' ? out : stdout)) {
        clearTimeout(timer);
        resolveStart({ child, output: () => out });
      }
    };
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      stdout += d.toString();
      check();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
      check();
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`${name} did not start: ${err.message}`));
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited ${code} before ready:\n${out}`));
    });
  });
}

/** Starts `edgeproof up ARGS`, resolving at its ready line. */
export function up(args: string[]): Promise<Running> {
  return start(['up', ...args]);
}

export function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((r) => {
    if (child.exitCode !== null || child.signalCode !== null) r(child.exitCode);
    else child.on('exit', (code) => r(code));
  });
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const address = server.address();
  await new Promise<void>((r) => server.close(() => r()));
  return typeof address === 'object' && address ? address.port : 0;
}

/** Runs the real kubectl against `kubeconfig`, with its discovery cache beside the file. */
export function kubectl(kubeconfig: string, args: string[]): Promise<RunResult> {
  return new Promise((done) => {
    execFile(
      'kubectl',
      ['--kubeconfig', kubeconfig, ...args],
      { timeout: 60_000, env: { ...process.env, HOME: dirname(kubeconfig) } },
      (err, stdout, stderr) => {
        done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

/** kubectl that must succeed; returns its stdout. */
export async function kubectlOk(kubeconfig: string, args: string[]): Promise<string> {
  const r = await kubectl(kubeconfig, args);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/** Polls `check` every 200 ms until it returns true, failing after `timeoutMs` with `what`. */
export async function eventually(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    assert.ok(Date.now() < until, `timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
