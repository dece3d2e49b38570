/**
 * One container instance as a host process: started, watched until it exits, stopped.
 *
 * - Started with node:child_process `spawn`, no shell, as the leader of its own session and process
 *   group (`detached`), with stdout and stderr appended straight to the container's log file. So it
 *   outlives edgecore: nothing of it depends on edgecore's pipes, which is what lets a later
 *   runtime instance adopt it.
 * - Stopped as containerd stops a container: SIGTERM to the main process, SIGKILL to the whole group
 *   after the grace period; when the main process exits, what is left of its group is killed, as
 *   everything in a container dies with its init process.
 * - Its exit code is the process's, or 128 + the signal number when a signal ended it (what
 *   container runtimes report: 137 for SIGKILL, 143 for SIGTERM).
 * - An adopted process (started by an earlier instance) is not our child, so its exit code cannot be
 *   read: its liveness is polled through /proc, and its exit is reported without a code.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { open } from 'node:fs/promises';
import { constants } from 'node:os';
import type { Clock, TimerHandle } from '@edgeproof/core';
import { isSameProcess, processStartTicks, sendSignal } from './proc.ts';

export interface ProcessExit {
  /** `undefined` when it cannot be known (an adopted process). */
  exitCode: number | undefined;
  finishedAt: number;
}

export interface SpawnSpec {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  logPath: string;
}

/** How often a stopping adopted process is looked for in /proc. */
const STOPPING_POLL_MS = 100;

export class ContainerProcess {
  readonly pid: number;
  private ticks: number;
  private readonly clock: Clock;
  private readonly child: ChildProcess | undefined;
  private exit: ProcessExit | undefined;
  private readonly listeners: ((exit: ProcessExit) => void)[] = [];
  private poll: TimerHandle | undefined;
  private killTimer: TimerHandle | undefined;
  private killDeadline = Infinity;

  private constructor(clock: Clock, pid: number, startTicks: number, child: ChildProcess | undefined) {
    this.clock = clock;
    this.pid = pid;
    this.ticks = startTicks;
    this.child = child;
  }

  /** Starts the process; rejects with the OS error (ENOENT, EACCES…) when it cannot be started. */
  static async spawn(spec: SpawnSpec, clock: Clock): Promise<ContainerProcess> {
    const [file = '', ...args] = spec.argv;
    const log = await open(spec.logPath, 'a', 0o640);
    let proc: ContainerProcess;
    try {
      const child = spawn(file, args, {
        cwd: spec.cwd,
        env: spec.env,
        detached: true,
        stdio: ['ignore', log.fd, log.fd],
      });
      // Listen before anything awaits: a short-lived process may exit during the next await.
      const started = new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
      // spawn() sets the pid at once when the process started (and leaves it unset when not).
      proc = new ContainerProcess(clock, child.pid ?? 0, 0, child);
      child.on('exit', (code, signal) => proc.exited(code ?? 128 + (signal ? constants.signals[signal] : 0)));
      await started;
    } finally {
      // The child holds its own copies of the descriptor.
      await log.close();
    }
    // Stays 0 (unknown) when the process is gone before its start time could be read.
    proc.ticks = (await processStartTicks(proc.pid)) ?? 0;
    return proc;
  }

  /** Watches a process an earlier runtime instance started; the caller checked it is that process. */
  static adopt(pid: number, startTicks: number, clock: Clock, pollMs: number): ContainerProcess {
    const proc = new ContainerProcess(clock, pid, startTicks, undefined);
    proc.watch(pollMs);
    return proc;
  }

  /** Start time in clock ticks since boot (/proc/<pid>/stat), to tell a reused pid apart. */
  get startTicks(): number {
    return this.ticks;
  }

  /** Calls `fn` once when the process exits (at once if it has). */
  onExit(fn: (exit: ProcessExit) => void): void {
    if (this.exit) fn(this.exit);
    else this.listeners.push(fn);
  }

  /** SIGTERM now, SIGKILL to the group after `graceMs`; resolves when the process has exited. */
  async kill(graceMs: number): Promise<ProcessExit> {
    const exited = new Promise<ProcessExit>((resolve) => this.onExit(resolve));
    if (this.exit) return exited;
    await this.signal('SIGTERM', false);
    // A second kill may shorten the grace period, never lengthen it (kubelet allows the same).
    const deadline = this.clock.now() + graceMs;
    if (deadline < this.killDeadline) {
      this.killDeadline = deadline;
      this.killTimer?.cancel();
      this.killTimer = this.clock.setTimeout(() => {
        // Nothing better can be done about a failure here: the process is out of our reach.
        this.signal('SIGKILL', true).catch(() => undefined);
      }, graceMs);
    }
    if (!this.child) this.watch(STOPPING_POLL_MS);
    return exited;
  }

  /** Stops watching without touching the process, for the next runtime instance to adopt it. */
  detach(): void {
    this.cancelTimers();
    this.listeners.length = 0;
    this.child?.removeAllListeners('exit');
    this.child?.unref();
  }

  private async signal(signal: NodeJS.Signals, group: boolean): Promise<void> {
    if (this.exit) return;
    // An adopted pid is signalled only while it is still the same process.
    if (!this.child && !(await isSameProcess(this.pid, this.ticks))) return;
    sendSignal(this.pid, signal, group);
  }

  private watch(pollMs: number): void {
    this.poll?.cancel();
    this.poll = this.clock.setInterval(() => {
      void isSameProcess(this.pid, this.ticks).then((alive) => {
        if (!alive) this.exited(undefined);
      });
    }, pollMs);
  }

  private exited(exitCode: number | undefined): void {
    if (this.exit) return;
    this.exit = { exitCode, finishedAt: this.clock.now() };
    this.cancelTimers();
    // What the main process started dies with it. Our own child's group id cannot have been reused
    // yet: Linux keeps a pid number allocated while a group of that id has members.
    if (this.child) {
      try {
        sendSignal(this.pid, 'SIGKILL', true);
      } catch {
        // Members we may not signal (they changed user) are out of our reach.
      }
    }
    for (const fn of this.listeners.splice(0)) fn(this.exit);
  }

  private cancelTimers(): void {
    this.poll?.cancel();
    this.killTimer?.cancel();
    this.poll = undefined;
    this.killTimer = undefined;
  }
}
