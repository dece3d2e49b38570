/**
 * Liveness, readiness and startup probes of one container instance, as kubelet's prober worker
 * runs them (pkg/kubelet/prober/worker.go):
 *
 * - The first attempt is made when the worker starts, then one every `periodSeconds`; attempts
 *   within `initialDelaySeconds` of the container's start are skipped.
 * - Until the startup probe succeeds, only it runs; once it has, it stops.
 * - The result changes only after `failureThreshold` failures or `successThreshold` successes in a
 *   row. Liveness starts as success, readiness as failure, startup as unknown.
 * - After a liveness or startup failure the worker holds: the container is restarted and the new
 *   instance gets new workers.
 *
 * Defaults are core/v1's: period 10 s, timeout 1 s, success 1, failure 3.
 */
import { errorMessage, type Clock, type TimerHandle } from '@edgeproof/core';
import { ContainerConfigError } from './runtime.ts';
import type { ProbeAction, ProbeOutcome } from './probe-actions.ts';
import type { Container, IntOrString, Probe } from './pod-types.ts';

export type ProbeKind = 'liveness' | 'readiness' | 'startup';

export interface ProbeSpec {
  action: ProbeAction;
  initialDelayMs: number;
  periodMs: number;
  timeoutMs: number;
  failureThreshold: number;
  successThreshold: number;
  /** The probe's own grace period for the kill a liveness or startup failure causes. */
  terminationGracePeriodSeconds: number | undefined;
}

/** Where and how a container's exec probes run, and the address its network probes use. */
export interface ProbeContext {
  host: string;
  env: Record<string, string>;
  cwd: string;
}

/** Checks a probe and fills in core/v1's defaults; a probe that cannot run is a CreateContainerConfigError. */
export function parseProbe(
  kind: ProbeKind,
  probe: Probe,
  container: Container,
  ctx: ProbeContext,
): ProbeSpec {
  const where = `container "${container.name}" ${kind}Probe`;
  const bad = (what: string): ContainerConfigError => new ContainerConfigError(`${where}: ${what}`);
  const handlers = (['exec', 'httpGet', 'tcpSocket', 'grpc'] as const).filter((h) => probe[h] !== undefined);
  if (handlers.length !== 1) {
    throw bad(`must set exactly one of exec, httpGet, tcpSocket (found ${handlers.join(', ') || 'none'})`);
  }
  const number = (field: keyof Probe, fallback: number, min: number): number => {
    const value = probe[field] ?? fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
      throw bad(`${field} must be an integer of at least ${min}`);
    }
    return value;
  };
  const successThreshold = number('successThreshold', 1, 1);
  // core/v1 validation: liveness and startup probes must have successThreshold 1.
  if (kind !== 'readiness' && successThreshold !== 1) throw bad('successThreshold must be 1');
  const grace = probe.terminationGracePeriodSeconds;
  return {
    action: probeAction(probe, container, ctx, bad),
    initialDelayMs: number('initialDelaySeconds', 0, 0) * 1000,
    periodMs: number('periodSeconds', 10, 1) * 1000,
    timeoutMs: number('timeoutSeconds', 1, 1) * 1000,
    failureThreshold: number('failureThreshold', 3, 1),
    successThreshold,
    terminationGracePeriodSeconds: typeof grace === 'number' && grace >= 0 ? grace : undefined,
  };
}

function probeAction(
  probe: Probe,
  container: Container,
  ctx: ProbeContext,
  bad: (what: string) => ContainerConfigError,
): ProbeAction {
  if (probe.exec) {
    const command = probe.exec.command;
    if (!Array.isArray(command) || command.length === 0 || !command.every((w) => typeof w === 'string')) {
      throw bad('exec.command must be a non-empty list of strings');
    }
    return { type: 'exec', command, env: ctx.env, cwd: ctx.cwd };
  }
  if (probe.httpGet) {
    const scheme = (probe.httpGet.scheme ?? 'HTTP').toUpperCase();
    if (scheme !== 'HTTP' && scheme !== 'HTTPS')
      throw bad(`httpGet.scheme must be HTTP or HTTPS, not ${scheme}`);
    const path = probe.httpGet.path ?? '/';
    return {
      type: 'httpGet',
      scheme: scheme === 'HTTPS' ? 'https' : 'http',
      host: probe.httpGet.host || ctx.host,
      port: resolvePort(probe.httpGet.port, container, bad),
      path: path.startsWith('/') ? path : `/${path}`,
      headers: (probe.httpGet.httpHeaders ?? []).map((h) => [h.name, h.value]),
    };
  }
  if (probe.tcpSocket) {
    return {
      type: 'tcpSocket',
      host: probe.tcpSocket.host || ctx.host,
      port: resolvePort(probe.tcpSocket.port, container, bad),
    };
  }
  throw bad('grpc probes are not supported by this runtime; use exec, httpGet or tcpSocket');
}

/** A probe port: a number, or the name of one of the container's ports (kubelet `findPortByName`). */
function resolvePort(
  port: IntOrString,
  container: Container,
  bad: (what: string) => ContainerConfigError,
): number {
  const value =
    typeof port === 'string' && !/^\d+$/.test(port)
      ? container.ports?.find((p) => p.name === port)?.containerPort
      : Number(port);
  if (value === undefined) throw bad(`port "${port}" is not a named port of the container`);
  if (!Number.isInteger(value) || value < 1 || value > 65535)
    throw bad(`port ${String(port)} is not a valid port`);
  return value;
}

export interface ProbeWorkerOptions {
  kind: ProbeKind;
  spec: ProbeSpec;
  clock: Clock;
  /** When the container instance started, for `initialDelaySeconds`. */
  startedAt: number;
  /** Makes one attempt; `runProbeAction` in production. */
  attempt: (spec: ProbeSpec) => Promise<ProbeOutcome>;
  /** Whether the container has started (its startup probe, if any, succeeded). */
  isStarted: () => boolean;
  /** The result changed (after the thresholds). */
  onResult: (ok: boolean) => void;
  /** An attempt failed (kubelet records an `Unhealthy` event for each). */
  onFailedAttempt: (message: string) => void;
}

export class ProbeWorker {
  private readonly o: ProbeWorkerOptions;
  /** Liveness starts as success, readiness as failure, startup as unknown (worker.go `initialValue`). */
  private result: boolean | undefined;
  private lastAttempt: boolean | undefined;
  private run = 0;
  private inFlight = false;
  private onHold = false;
  private timer: TimerHandle | undefined;

  constructor(options: ProbeWorkerOptions) {
    this.o = options;
    this.result = { liveness: true, readiness: false, startup: undefined }[options.kind];
  }

  /** The current result: success or failure. */
  get ok(): boolean {
    return this.result === true;
  }

  start(): void {
    if (this.timer) return;
    this.timer = this.o.clock.setInterval(() => void this.tick(), this.o.spec.periodMs);
    void this.tick();
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.onHold = true;
  }

  private async tick(): Promise<void> {
    if (this.onHold || this.inFlight) return;
    // worker.go: startup probes run only until the container has started, the others only after.
    if ((this.o.kind === 'startup') === this.o.isStarted()) return;
    if (this.o.clock.now() - this.o.startedAt < this.o.spec.initialDelayMs) return;
    this.inFlight = true;
    const outcome = await this.o
      .attempt(this.o.spec)
      .catch((err: unknown): ProbeOutcome => ({ ok: false, message: errorMessage(err) }));
    this.inFlight = false;
    if (this.onHold) return;
    if (!outcome.ok) this.o.onFailedAttempt(outcome.message);
    if (outcome.ok === this.lastAttempt) this.run++;
    else {
      this.lastAttempt = outcome.ok;
      this.run = 1;
    }
    const threshold = outcome.ok ? this.o.spec.successThreshold : this.o.spec.failureThreshold;
    if (this.run < threshold) return;
    if (!outcome.ok && this.o.kind !== 'readiness') this.stop();
    if (outcome.ok !== this.result) {
      this.result = outcome.ok;
      this.o.onResult(outcome.ok);
    }
  }
}
