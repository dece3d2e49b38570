/**
 * One bench component as a real process: `node FLAGS scenarios/bin/edgeproof.ts <command> …`, run by
 * the Node that runs the runner (`process.execPath`, the pinned Node 24) with the V8 flags for a
 * cloud host (EDGEPROOF_NODE_FLAGS, the ones the cloudhub bench measures), so a fault on it is a real
 * fault — SIGKILL is a power cut, SIGTERM an orderly stop. Its stdout and stderr go, line by line
 * with arrival times, to its own log file. It is ready when its stdout prints its ready line.
 *
 * Components are started in their own process group (`detached`): a Ctrl-C at the terminal reaches
 * the runner only, which then stops them in order (edges before the cloud), instead of every
 * process dying at once in no particular order.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Clock } from '@edgeproof/core';
import { EDGEPROOF_NODE_FLAGS } from '../../node-flags.ts';
import { BenchError } from '../errors.ts';
import { ComponentLog, logTail } from './log-file.ts';

/** The edgeproof executable every component runs. */
export const EDGEPROOF_BIN = resolve(dirname(fileURLToPath(import.meta.url)), '../../../bin/edgeproof.ts');

export type ComponentSpec = {
  /** `apiserver`, `cloudcore`, `edgecore/edge-1`, `toxiproxy`, `modbus`. */
  name: string;
  /** Arguments after `edgeproof` (or after `command`). */
  args: string[];
  /** Another program to run instead of the edgeproof CLI (the bench's mosquitto). */
  command?: string;
  /** Where the ready line appears; default stdout (mosquitto logs to stderr, which is unbuffered). */
  readyOn?: 'stdout' | 'stderr';
  /** A line of stdout that says it is ready. */
  ready: RegExp;
  readyTimeoutMs?: number;
  logPath: string;
  cwd: string;
  env?: Record<string, string>;
};

/** Grace between SIGTERM and SIGKILL when stopping. */
const STOP_GRACE_MS = 10_000;

export class ComponentProcess {
  readonly name: string;
  readonly log: ComponentLog;
  private spec: ComponentSpec;
  private readonly clock: Clock;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private stdout = '';
  private expectedExit = false;
  private readonly exitListeners: ((code: number | null, signal: string | null) => void)[] = [];

  constructor(spec: ComponentSpec, clock: Clock) {
    this.spec = spec;
    this.name = spec.name;
    this.clock = clock;
    this.log = new ComponentLog(spec.logPath, clock);
  }

  /** The process id while running. */
  get pid(): number | undefined {
    return this.running() ? this.child?.pid : undefined;
  }

  running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** What it printed on stdout since it was last started (to read ports and URLs from). */
  output(): string {
    return this.stdout;
  }

  /** Called when the process exits without the bench having asked it to. */
  onUnexpectedExit(fn: (code: number | null, signal: string | null) => void): void {
    this.exitListeners.push(fn);
  }

  /** Changes what the next start runs (a restart without the token, another ready line). */
  update(changes: Partial<Pick<ComponentSpec, 'args' | 'ready'>>): void {
    this.spec = { ...this.spec, ...changes };
  }

  /**
   * Starts the process and resolves at its ready line.
   * @throws BenchError when it exits first, does not get ready in time, or `signal` aborts.
   */
  async start(signal?: AbortSignal): Promise<void> {
    if (this.running()) return;
    this.stdout = '';
    this.expectedExit = false;
    this.log.note(`starting: ${this.spec.command ?? 'edgeproof'} ${this.spec.args.join(' ')}`);
    const [program, argv] =
      this.spec.command !== undefined
        ? [this.spec.command, this.spec.args]
        : [process.execPath, [...EDGEPROOF_NODE_FLAGS, EDGEPROOF_BIN, ...this.spec.args]];
    const child = spawn(program, argv, {
      cwd: this.spec.cwd,
      env: { ...process.env, ...this.spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    this.child = child;
    const startedAt = this.clock.now();
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      this.stdout += d;
      this.log.write('stdout', d);
    });
    child.stderr.on('data', (d: string) => {
      if (this.spec.readyOn === 'stderr') this.stdout += d;
      this.log.write('stderr', d);
    });
    this.exited = new Promise((done) => {
      child.on('close', (code, sig) => {
        this.log.flush();
        this.log.note(`exited: ${sig !== null ? `signal ${sig}` : `code ${code}`}`);
        if (!this.expectedExit) for (const fn of this.exitListeners) fn(code, sig);
        done();
      });
    });
    const timeoutMs = this.spec.readyTimeoutMs ?? 60_000;
    await new Promise<void>((ready, fail) => {
      let settled = false;
      const finish = (err?: Error): void => {
        if (settled) return;
        settled = true;
        timer.cancel();
        child.stdout.off('data', check);
        child.stderr.off('data', check);
        child.off('exit', onExit);
        signal?.removeEventListener('abort', onAbort);
        if (err) fail(err);
        else ready();
      };
      const check = (): void => {
        if (this.spec.ready.test(this.stdout)) finish();
      };
      const onExit = (code: number | null, sig: string | null): void =>
        finish(
          new BenchError(
            `${this.name} exited (${sig !== null ? `signal ${sig}` : `code ${code}`}) before it was ready${this.tailText(startedAt)}`,
          ),
        );
      const onAbort = (): void => finish(new BenchError(`${this.name}: start aborted`));
      const timer = this.clock.setTimeout(
        () =>
          finish(
            new BenchError(
              `${this.name} did not print its ready line within ${Math.round(timeoutMs / 1000)} s${this.tailText(startedAt)}`,
            ),
          ),
        timeoutMs,
      );
      child.stdout.on('data', check);
      child.stderr.on('data', check);
      child.on('exit', onExit);
      signal?.addEventListener('abort', onAbort);
      child.on('error', (err) => finish(new BenchError(`${this.name} could not be started: ${err.message}`)));
      check();
    }).catch(async (err: unknown) => {
      await this.kill();
      throw err;
    });
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. */
  async stop(graceMs = STOP_GRACE_MS): Promise<void> {
    if (!this.running()) return this.exited;
    this.expectedExit = true;
    this.log.note('stopping (SIGTERM)');
    this.child?.kill('SIGTERM');
    const timer = this.clock.setTimeout(() => {
      this.log.note(`still running after ${graceMs} ms: SIGKILL`);
      this.child?.kill('SIGKILL');
    }, graceMs);
    await this.exited;
    timer.cancel();
  }

  /** SIGKILL (a power cut); resolves when it has exited. */
  async kill(): Promise<void> {
    if (!this.running()) return this.exited;
    this.expectedExit = true;
    this.log.note('killing (SIGKILL)');
    this.child?.kill('SIGKILL');
    await this.exited;
  }

  private tailText(since: number): string {
    const lines = logTail(this.log.path, this.clock.now(), 20, this.clock.now() - since + 1000, 1000);
    return lines.length === 0 ? '' : `; its last lines:\n${lines.map((l) => `  ${l.text}`).join('\n')}`;
  }
}
