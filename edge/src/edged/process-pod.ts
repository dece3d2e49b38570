/**
 * One pod of the process runtime: kubelet's pod worker and `SyncPod` for it (pkg/kubelet/pod_workers.go,
 * pkg/kubelet/kuberuntime/kuberuntime_manager.go), reduced to host processes.
 *
 * Level-based: every entry point (a sync, an exit, a back-off timer, a probe result, the periodic
 * resync) ends in `reconcile` or `ensureRunning`, which look at what is and converge on the spec.
 * Work that awaits runs one job at a time per pod (`enqueue`), as kubelet runs one sync per pod at a
 * time; an exit is recorded at once and acted on by a queued job.
 *
 * Kubernetes behaviour followed, with its source:
 * - restartPolicy Always / OnFailure / Never decides whether an exit restarts
 *   (`ShouldContainerBeRestarted`), under the crash back-off of crash-backoff.ts, waiting as
 *   `CrashLoopBackOff` with a `BackOff` event.
 * - A container whose spec changed is killed and started again ("definition changed").
 * - A failed liveness or startup probe kills the container ("failed liveness probe, will be
 *   restarted"); the restart policy then applies to that exit like to any other.
 * - Kills give at least 2 s of grace (`minimumGracePeriodInSeconds`).
 * - A process that cannot be started is a terminated container, reason `StartError`, exit code 128,
 *   started at the epoch, as containerd reports it.
 */
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage, type Clock, type Logger, type TimerHandle } from '@edgeproof/core';
import type { ConfigResolver } from './config-source.ts';
import { planContainer, type ContainerPlan, type PlanContext } from './container-plan.ts';
import { ContainerProcess, type ProcessExit } from './container-process.ts';
import { CrashBackoff, goDuration, type CrashBackoffOptions } from './crash-backoff.ts';
import type { FieldContext } from './field-ref.ts';
import {
  buildPodStatus,
  containerStatusUnknown,
  initialContainerStatus,
  kubeTime,
  runningState,
  sameStatus,
} from './pod-status.ts';
import { writePodRecord, type ContainerRecord, type PodRecord } from './pod-state-file.ts';
import { isSameProcess } from './proc.ts';
import { runProbeAction } from './probe-actions.ts';
import { ProbeWorker, type ProbeKind, type ProbeSpec } from './prober.ts';
import {
  ContainerConfigError,
  DEFAULT_TERMINATION_GRACE_SECONDS,
  formatPod,
  gracePeriodSeconds,
  newContainerId,
  validatePod,
  type PodEvent,
  type PodEventListener,
  type PodIdentity,
  type PodStatusListener,
} from './runtime.ts';
import { linkMount, setUpVolumes } from './volumes.ts';
import type {
  Container,
  ContainerStateTerminated,
  ContainerStatus,
  Pod,
  PodStatus,
  RestartPolicy,
} from './pod-types.ts';

/** kubelet `minimumGracePeriodInSeconds`: every kill gives at least this much time. */
export const MINIMUM_GRACE_SECONDS = 2;

export interface ProcessPodDeps {
  clock: Clock;
  logger: Logger;
  /** `<rootDir>/pods`. */
  podsDir: string;
  fields: FieldContext;
  resolveConfig: ConfigResolver;
  baseEnv: Record<string, string>;
  crashBackoff: CrashBackoffOptions;
  /** How often an adopted process is looked for in /proc. */
  pollIntervalMs: number;
  onStatus: PodStatusListener;
  onEvent: PodEventListener;
}

/** One container of the pod, across its restarts. */
interface Slot {
  spec: Container;
  hash: string;
  status: ContainerStatus;
  process: ContainerProcess | undefined;
  startedAtMs: number;
  pendingExit: ContainerRecord['pendingExit'];
  backoff: CrashBackoff;
  restartTimer: TimerHandle | undefined;
  probes: Partial<Record<ProbeKind, ProbeWorker>>;
  /** Being stopped on purpose (spec change, pod termination): its exit is not a crash. */
  stopping: boolean;
  /** The last config error reported as an event, so a retry that fails the same way stays quiet. */
  lastWarning: string | undefined;
}

/** kubelet `ShouldContainerBeRestarted`. */
export function shouldRestart(policy: RestartPolicy | undefined, exitCode: number): boolean {
  if (policy === 'Never') return false;
  if (policy === 'OnFailure') return exitCode !== 0;
  return true;
}

const PROBE_NAMES: Record<ProbeKind, string> = {
  liveness: 'Liveness',
  readiness: 'Readiness',
  startup: 'Startup',
};

export class ProcessPod {
  readonly uid: string;
  readonly dir: string;
  private readonly deps: ProcessPodDeps;
  private readonly logger: Logger;
  private pod: Pod;
  private identity: PodIdentity;
  private startTime: string;
  private readonly slots = new Map<string, Slot>();
  private queue: Promise<void> = Promise.resolve();
  private writes: Promise<void> = Promise.resolve();
  private saveQueued = false;
  private terminating = false;
  private volumesReady = false;
  private closed = false;
  private lastStatus: PodStatus | undefined;

  /** No I/O: the pod folder is made by the first sync. */
  constructor(pod: Pod, deps: ProcessPodDeps) {
    this.identity = validatePod(pod);
    this.uid = this.identity.uid;
    this.pod = pod;
    this.deps = deps;
    this.dir = join(deps.podsDir, this.uid);
    this.logger = deps.logger.child(`pod ${this.identity.namespace}/${this.identity.name}`);
    this.startTime = pod.status?.startTime ?? kubeTime(deps.clock.now());
  }

  /** Converges on `pod` (same uid); resolves when this sync is done. */
  sync(pod: Pod): Promise<void> {
    return this.enqueue(() => this.reconcile(pod));
  }

  /** Syncs again with the last spec, to retry what failed (kubelet's periodic sync). */
  resync(): void {
    this.background(() => this.reconcile(this.pod));
  }

  /** Takes over the pod an earlier runtime instance recorded: adopts live processes, restarts dead ones. */
  adopt(record: PodRecord): Promise<void> {
    return this.enqueue(() => this.restore(record));
  }

  /** Stops every container and removes the pod folder. */
  remove(gracePeriodOverride?: number): Promise<void> {
    return this.enqueue(async () => {
      await this.terminate(gracePeriodSeconds(this.pod, gracePeriodOverride));
      this.closed = true;
      await this.writes;
      await rm(this.dir, { recursive: true, force: true });
    });
  }

  /** Stops supervising and leaves the processes running, their state recorded for adoption. */
  detach(): Promise<void> {
    return this.enqueue(async () => {
      for (const slot of this.slots.values()) {
        this.quiet(slot);
        slot.process?.detach();
      }
      this.saveState();
      await this.writes;
      this.closed = true;
    });
  }

  /** The last status reported (or the current one, before any report). */
  get status(): PodStatus {
    return this.lastStatus ?? this.buildStatus();
  }

  get namespace(): string {
    return this.identity.namespace;
  }

  get name(): string {
    return this.identity.name;
  }

  private enqueue(job: () => Promise<void>): Promise<void> {
    const run = this.queue.then(job);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** A job nobody awaits: its failure is logged. */
  private background(job: () => Promise<void>): void {
    this.enqueue(job).catch((err: unknown) =>
      this.logger.error('pod sync failed', { err: errorMessage(err) }),
    );
  }

  private async reconcile(pod: Pod): Promise<void> {
    if (this.closed) return;
    this.pod = pod;
    this.identity = validatePod(pod);
    await mkdir(join(this.dir, 'logs'), { recursive: true });
    if (pod.metadata.deletionTimestamp) {
      await this.terminate(gracePeriodSeconds(pod));
      return;
    }
    if (this.terminating) return;
    for (const [name, slot] of this.slots) {
      const spec = pod.spec.containers.find((c) => c.name === name);
      if (!spec) {
        await this.stopContainer(slot, this.killGraceSeconds());
        this.slots.delete(name);
      } else if (JSON.stringify(spec) !== slot.hash) {
        slot.spec = spec;
        slot.hash = JSON.stringify(spec);
        slot.status.image = spec.image ?? '';
        if (slot.process) await this.restartChanged(slot);
      }
    }
    for (const container of pod.spec.containers) {
      if (!this.slots.has(container.name)) this.slots.set(container.name, this.newSlot(container));
    }
    const blocked = await this.podBlocker();
    if (blocked) {
      for (const slot of this.slots.values()) if (!slot.process) this.waitFor(slot, blocked);
    } else {
      for (const slot of this.slots.values()) await this.ensureRunning(slot);
    }
    this.report();
  }

  /** What keeps every container of the pod from starting: unsupported init containers, volumes not set up. */
  private async podBlocker(): Promise<ContainerConfigError | undefined> {
    const init = this.pod.spec.initContainers ?? [];
    if (init.length > 0) {
      return new ContainerConfigError(
        `initContainers (${init.map((c) => c.name).join(', ')}) are not supported by the process runtime; run their work in the main container's command`,
      );
    }
    if (this.volumesReady) return undefined;
    try {
      await setUpVolumes(this.pod, {
        podDir: this.dir,
        resolveConfig: this.deps.resolveConfig,
        fields: this.deps.fields,
        onWarning: (message) => this.emit({ type: 'Warning', reason: 'FailedMount', message }),
      });
    } catch (err) {
      if (err instanceof ContainerConfigError) return err;
      throw err;
    }
    this.volumesReady = true;
    return undefined;
  }

  /** Starts the container if it should run and is not running: first start, retry, or restart after an exit. */
  private async ensureRunning(slot: Slot): Promise<void> {
    if (this.closed || this.terminating || slot.process || slot.restartTimer) return;
    if (this.slots.get(slot.spec.name) !== slot) return;
    const exit = slot.pendingExit;
    if (exit) {
      if (!shouldRestart(this.pod.spec.restartPolicy, exit.terminated.exitCode)) return;
      const now = this.deps.clock.now();
      const wait = slot.backoff.remaining(exit.finishedAtMs, now);
      if (wait > 0) {
        this.backOff(slot, exit.terminated, wait);
        return;
      }
      slot.backoff.next(exit.finishedAtMs, now);
      slot.pendingExit = undefined;
      slot.status.restartCount++;
      slot.status.lastState = { terminated: exit.terminated };
    }
    await this.startContainer(slot);
  }

  private backOff(slot: Slot, last: ContainerStateTerminated, waitMs: number): void {
    const name = slot.spec.name;
    const pod = formatPod(this.identity);
    slot.status.state = {
      waiting: {
        reason: 'CrashLoopBackOff',
        message: `back-off ${goDuration(slot.backoff.currentMs)} restarting failed container=${name} pod=${pod}`,
      },
    };
    slot.status.lastState = { terminated: last };
    this.emit({
      type: 'Warning',
      reason: 'BackOff',
      message: `Back-off restarting failed container ${name} in pod ${pod}`,
    });
    slot.restartTimer = this.deps.clock.setTimeout(() => {
      slot.restartTimer = undefined;
      this.background(() => this.ensureRunning(slot));
    }, waitMs);
    this.saveState();
    this.report();
  }

  private async startContainer(slot: Slot): Promise<void> {
    const name = slot.spec.name;
    let plan: ContainerPlan;
    try {
      plan = planContainer(this.pod, slot.spec, this.planContext());
      await this.prepareHost(plan, name);
    } catch (err) {
      if (!(err instanceof ContainerConfigError)) throw err;
      this.waitFor(slot, err);
      this.report();
      return;
    }
    const containerID = newContainerId();
    let proc: ContainerProcess;
    try {
      proc = await ContainerProcess.spawn(
        { argv: plan.argv, env: plan.env, cwd: plan.cwd, logPath: join(this.dir, 'logs', `${name}.log`) },
        this.deps.clock,
      );
    } catch (err) {
      const message = `failed to start container "${name}": ${spawnFailure(err, plan.argv[0] ?? '')}`;
      this.emit({ type: 'Warning', reason: 'Failed', message: `Error: ${message}` });
      const now = this.deps.clock.now();
      this.recordExit(
        slot,
        {
          exitCode: 128,
          reason: 'StartError',
          message,
          startedAt: kubeTime(0),
          finishedAt: kubeTime(now),
          containerID,
        },
        now,
      );
      return;
    }
    const now = this.deps.clock.now();
    slot.process = proc;
    slot.startedAtMs = now;
    slot.lastWarning = undefined;
    slot.status.containerID = containerID;
    slot.status.state = runningState(now);
    this.emit({ type: 'Normal', reason: 'Created', message: `Created container ${name}` });
    this.emit({ type: 'Normal', reason: 'Started', message: `Started container ${name}` });
    this.watchProcess(slot, proc, plan.probes);
    this.saveState();
    this.report();
  }

  /** Host-side checks and links before a start; a failure is a CreateContainerError. */
  private async prepareHost(plan: ContainerPlan, name: string): Promise<void> {
    const cwd = await stat(plan.cwd).catch(() => undefined);
    if (!cwd?.isDirectory()) {
      throw new ContainerConfigError(
        `container "${name}": workingDir ${plan.cwd} is not a folder on this host (the process runtime runs containers on the host file system)`,
        { reason: 'CreateContainerError' },
      );
    }
    try {
      for (const m of plan.mounts) await linkMount(this.dir, m.mountPath, m.hostPath);
    } catch (err) {
      throw new ContainerConfigError(
        `container "${name}": cannot link a volume mount: ${errorMessage(err)}`,
        {
          reason: 'CreateContainerError',
          cause: err,
        },
      );
    }
  }

  private watchProcess(slot: Slot, proc: ContainerProcess, probes: ContainerPlan['probes']): void {
    const isStarted = (): boolean => slot.probes.startup?.ok ?? true;
    slot.probes = {};
    for (const [kind, spec] of Object.entries(probes) as [ProbeKind, ProbeSpec][]) {
      slot.probes[kind] = new ProbeWorker({
        kind,
        spec,
        clock: this.deps.clock,
        startedAt: slot.startedAtMs,
        attempt: (s) => runProbeAction(s.action, s.timeoutMs, this.deps.clock),
        isStarted,
        onFailedAttempt: (message) =>
          this.emit({
            type: 'Warning',
            reason: 'Unhealthy',
            message: `${PROBE_NAMES[kind]} probe failed: ${message}`,
          }),
        onResult: (ok) => this.onProbeResult(slot, proc, kind, ok, spec),
      });
    }
    for (const worker of Object.values(slot.probes)) worker.start();
    proc.onExit((exit) => this.onExit(slot, proc, exit));
  }

  private onProbeResult(
    slot: Slot,
    proc: ContainerProcess,
    kind: ProbeKind,
    ok: boolean,
    spec: ProbeSpec,
  ): void {
    if (slot.process !== proc) return;
    if (!ok && kind !== 'readiness') {
      this.emit({
        type: 'Normal',
        reason: 'Killing',
        message: `Container ${slot.spec.name} failed ${kind} probe, will be restarted`,
      });
      // The probe's own terminationGracePeriodSeconds wins over the pod's (core/v1 Probe).
      const grace = spec.terminationGracePeriodSeconds ?? this.killGraceSeconds();
      this.background(async () => {
        if (!this.closed && slot.process === proc) await proc.kill(graceMs(grace));
      });
    }
    this.report();
  }

  private onExit(slot: Slot, proc: ContainerProcess, exit: ProcessExit): void {
    if (slot.process !== proc) return;
    slot.process = undefined;
    this.quiet(slot);
    const code = exit.exitCode;
    this.ended(
      slot,
      code === undefined
        ? unknownExit(
            'the process was adopted after an edgecore restart, and only its parent can read its exit status',
          )
        : { exitCode: code, reason: code === 0 ? 'Completed' : 'Error' },
      exit.finishedAt,
    );
  }

  /** The running instance of the slot ended at `finishedAtMs`, as `how` says. */
  private ended(
    slot: Slot,
    how: Pick<ContainerStateTerminated, 'exitCode' | 'reason' | 'message'>,
    finishedAtMs: number,
  ): void {
    this.recordExit(
      slot,
      {
        ...how,
        startedAt: slot.status.state.running?.startedAt ?? kubeTime(slot.startedAtMs),
        finishedAt: kubeTime(finishedAtMs),
        containerID: slot.status.containerID,
      },
      finishedAtMs,
    );
  }

  /** Records a container's end; unless it was stopped on purpose, a queued job decides on a restart. */
  private recordExit(slot: Slot, terminated: ContainerStateTerminated, finishedAtMs: number): void {
    slot.status.state = { terminated };
    if (!slot.stopping && !this.terminating) {
      slot.pendingExit = { terminated, finishedAtMs };
      this.background(() => this.ensureRunning(slot));
    }
    this.saveState();
    this.report();
  }

  /** Kills the container's process, if any, and cancels its restart; resolves when it has exited. */
  private async stopContainer(slot: Slot, graceSeconds: number): Promise<void> {
    slot.stopping = true;
    this.quiet(slot);
    const proc = slot.process;
    if (proc) {
      this.emit({ type: 'Normal', reason: 'Killing', message: `Stopping container ${slot.spec.name}` });
      await proc.kill(graceMs(graceSeconds));
    }
    slot.stopping = false;
  }

  private async restartChanged(slot: Slot): Promise<void> {
    this.emit({
      type: 'Normal',
      reason: 'Killing',
      message: `Container ${slot.spec.name} definition changed, will be restarted`,
    });
    await this.stopContainer(slot, this.killGraceSeconds());
    const last = slot.status.state.terminated;
    slot.status.restartCount++;
    if (last) slot.status.lastState = { terminated: last };
    slot.status.state = initialContainerStatus(slot.spec.name, slot.spec.image).state;
  }

  /** Stops every container for good (pod deletion); their last states become terminal. */
  private async terminate(graceSeconds: number): Promise<void> {
    this.terminating = true;
    await Promise.all([...this.slots.values()].map((slot) => this.stopContainer(slot, graceSeconds)));
    for (const slot of this.slots.values()) {
      if (!slot.status.state.terminated) {
        slot.status.state = { terminated: slot.status.lastState.terminated ?? containerStatusUnknown() };
      }
      slot.pendingExit = undefined;
    }
    this.saveState();
    this.report();
  }

  private async restore(record: PodRecord): Promise<void> {
    this.pod = record.pod;
    this.identity = validatePod(record.pod);
    this.startTime = record.startTime;
    this.volumesReady = true;
    for (const container of record.pod.spec.containers) {
      const slot = this.newSlot(container);
      this.slots.set(container.name, slot);
      const saved = record.containers[container.name];
      if (!saved) continue;
      slot.status = saved.status;
      slot.pendingExit = saved.pendingExit;
      slot.startedAtMs = saved.startedAtMs ?? this.deps.clock.now();
      if (!saved.status.state.running) continue;
      const { pid, startTicks } = saved;
      if (pid && startTicks && (await isSameProcess(pid, startTicks))) {
        const proc = ContainerProcess.adopt(pid, startTicks, this.deps.clock, this.deps.pollIntervalMs);
        slot.process = proc;
        this.watchProcess(slot, proc, this.probesFor(container));
        this.logger.info('adopted a running container', { container: container.name, pid });
      } else {
        // It ended while no runtime watched it: its exit code is lost.
        this.ended(
          slot,
          unknownExit('the process ended while edgecore was not running'),
          this.deps.clock.now(),
        );
      }
    }
    await this.reconcile(record.pod);
  }

  /** The probes of an adopted container; none when its spec no longer plans (that is logged). */
  private probesFor(container: Container): ContainerPlan['probes'] {
    try {
      return planContainer(this.pod, container, this.planContext()).probes;
    } catch (err) {
      this.logger.warn('adopted container runs without probes', {
        container: container.name,
        err: errorMessage(err),
      });
      return {};
    }
  }

  private newSlot(container: Container): Slot {
    return {
      spec: container,
      hash: JSON.stringify(container),
      status: initialContainerStatus(container.name, container.image),
      process: undefined,
      startedAtMs: 0,
      pendingExit: undefined,
      backoff: new CrashBackoff(this.deps.crashBackoff),
      restartTimer: undefined,
      probes: {},
      stopping: false,
      lastWarning: undefined,
    };
  }

  /** Cancels the slot's restart timer and probes. */
  private quiet(slot: Slot): void {
    slot.restartTimer?.cancel();
    slot.restartTimer = undefined;
    for (const worker of Object.values(slot.probes)) worker.stop();
    slot.probes = {};
  }

  /** Puts a container that cannot start in waiting with the error's reason; one event per new message. */
  private waitFor(slot: Slot, err: ContainerConfigError): void {
    slot.status.state = { waiting: { reason: err.reason, message: err.message } };
    if (slot.lastWarning === err.message) return;
    slot.lastWarning = err.message;
    const message = err.eventReason === 'Failed' ? `Error: ${err.message}` : err.message;
    this.emit({ type: 'Warning', reason: err.eventReason, message });
  }

  private killGraceSeconds(): number {
    return this.pod.spec.terminationGracePeriodSeconds ?? DEFAULT_TERMINATION_GRACE_SECONDS;
  }

  private planContext(): PlanContext {
    return {
      podDir: this.dir,
      baseEnv: this.deps.baseEnv,
      resolveConfig: this.deps.resolveConfig,
      fields: this.deps.fields,
    };
  }

  private buildStatus(): PodStatus {
    const statuses = this.pod.spec.containers.map((c) => {
      const slot = this.slots.get(c.name);
      if (!slot) return initialContainerStatus(c.name, c.image);
      const running = slot.status.state.running !== undefined && slot.process !== undefined;
      const started = running && (slot.probes.startup?.ok ?? true);
      const ready = started && (slot.probes.readiness?.ok ?? true);
      return { ...slot.status, ready, started };
    });
    return buildPodStatus({
      spec: this.pod.spec,
      containerStatuses: statuses,
      terminal: this.terminating,
      hostIP: this.deps.fields.hostIP,
      podIP: this.deps.fields.podIP,
      startTime: this.startTime,
      now: this.deps.clock.now(),
      previous: this.lastStatus,
    });
  }

  private report(): void {
    if (this.closed) return;
    const status = this.buildStatus();
    if (sameStatus(this.lastStatus, status)) return;
    this.lastStatus = status;
    try {
      this.deps.onStatus(this.uid, status);
    } catch (err) {
      this.logger.warn('status listener failed', { err: errorMessage(err) });
    }
  }

  private emit(event: PodEvent): void {
    if (this.closed) return;
    this.logger.debug('event', { ...event });
    try {
      this.deps.onEvent(this.uid, event);
    } catch (err) {
      this.logger.warn('event listener failed', { err: errorMessage(err) });
    }
  }

  /** Writes the record soon; writes run one at a time and always write the latest state. */
  private saveState(): void {
    if (this.closed || this.saveQueued) return;
    this.saveQueued = true;
    this.writes = this.writes
      .then(async () => {
        this.saveQueued = false;
        if (!this.closed) await writePodRecord(this.dir, this.snapshot());
      })
      .catch((err: unknown) => this.logger.warn('cannot record pod state', { err: errorMessage(err) }));
  }

  private snapshot(): Omit<PodRecord, 'version'> {
    const containers: Record<string, ContainerRecord> = {};
    for (const [name, slot] of this.slots) {
      containers[name] = {
        status: slot.status,
        ...(slot.process ? { pid: slot.process.pid, startTicks: slot.process.startTicks } : {}),
        startedAtMs: slot.startedAtMs,
        ...(slot.pendingExit ? { pendingExit: slot.pendingExit } : {}),
      };
    }
    return { pod: this.pod, startTime: this.startTime, containers };
  }
}

/**
 * An end whose exit code cannot be known. kubelet reports 137 for a container whose end it could not
 * see (ContainerStatusUnknown); the reason stays Error, and the message says why the code is unknown.
 */
function unknownExit(why: string): Pick<ContainerStateTerminated, 'exitCode' | 'reason' | 'message'> {
  return { exitCode: 137, reason: 'Error', message: `exit code unknown: ${why}` };
}

function graceMs(seconds: number): number {
  return Math.max(seconds, MINIMUM_GRACE_SECONDS) * 1000;
}

/** containerd's words for a process that cannot be executed. */
function spawnFailure(err: unknown, file: string): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return `exec: "${file}": executable file not found in $PATH`;
  if (code === 'EACCES') return `exec: "${file}": permission denied`;
  return errorMessage(err);
}
