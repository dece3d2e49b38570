/**
 * Runtime `hollow`, for scale tests: a pod reaches Running with every container running and Ready
 * the moment it is synced, and nothing runs (kubemark's hollow kubelet, whose fake runtime does the
 * same). Only the reported status is kept per pod, so thousands of hollow nodes fit in one process.
 * A pod marked for deletion, or killed, ends as its containers would after a clean SIGTERM: exit 0,
 * Completed, phase Succeeded.
 */
import { errorMessage } from '@edgeproof/core';
import { buildPodStatus, kubeTime, sameStatus } from './pod-status.ts';
import {
  newContainerId,
  validatePod,
  type KillPodOptions,
  type PodRuntime,
  type RuntimeOptions,
  type RuntimePod,
} from './runtime.ts';
import type { ContainerState, Pod, PodStatus } from './pod-types.ts';

interface HollowPod {
  namespace: string;
  name: string;
  status: PodStatus;
}

export class HollowRuntime implements PodRuntime {
  readonly kind = 'hollow';
  private readonly options: RuntimeOptions;
  private readonly pods = new Map<string, HollowPod>();

  constructor(options: RuntimeOptions) {
    this.options = options;
  }

  start(): Promise<string[]> {
    return Promise.resolve([]);
  }

  syncPod(pod: Pod): Promise<void> {
    // The executor turns a refused pod into a rejection, as from the other runtimes.
    return new Promise((resolve) => {
      this.sync(pod);
      resolve();
    });
  }

  killPod(uid: string, _options?: KillPodOptions): Promise<void> {
    const known = this.pods.get(uid);
    this.pods.delete(uid);
    if (known && known.status.phase !== 'Succeeded')
      this.report(uid, this.finished(known.status), known.status);
    return Promise.resolve();
  }

  listPods(): RuntimePod[] {
    return [...this.pods].map(([uid, p]) => ({
      uid,
      namespace: p.namespace,
      name: p.name,
      status: p.status,
    }));
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }

  private sync(pod: Pod): void {
    const { uid, namespace, name } = validatePod(pod);
    const known = this.pods.get(uid);
    // A terminated pod is never started again (kubelet does not restart a pod uid it terminated).
    if (known?.status.phase === 'Succeeded') return;
    const running = this.running(pod, known?.status);
    const status = pod.metadata.deletionTimestamp ? this.finished(running) : running;
    this.pods.set(uid, { namespace, name, status });
    this.report(uid, status, known?.status);
  }

  /** The pod's status with every container running since it was first synced. */
  private running(pod: Pod, previous: PodStatus | undefined): PodStatus {
    const now = this.options.clock.now();
    return buildPodStatus({
      spec: pod.spec,
      containerStatuses: pod.spec.containers.map((c) => {
        const before = previous?.containerStatuses.find((s) => s.name === c.name);
        return {
          name: c.name,
          state: before?.state ?? { running: { startedAt: kubeTime(now) } },
          lastState: {},
          ready: true,
          restartCount: 0,
          image: c.image ?? '',
          imageID: '',
          containerID: before?.containerID ?? newContainerId(),
          started: true,
        };
      }),
      terminal: false,
      hostIP: this.nodeIP,
      podIP: this.nodeIP,
      startTime: previous?.startTime ?? pod.status?.startTime ?? kubeTime(now),
      now,
      previous,
    });
  }

  /** The status once every container exited 0 after a clean stop. */
  private finished(status: PodStatus): PodStatus {
    const now = kubeTime(this.options.clock.now());
    const containerStatuses = status.containerStatuses.map((s) => {
      const state: ContainerState = {
        terminated: {
          exitCode: 0,
          reason: 'Completed',
          startedAt: s.state.running?.startedAt,
          finishedAt: now,
          containerID: s.containerID,
        },
      };
      return { ...s, state, ready: false, started: false };
    });
    return buildPodStatus({
      spec: { containers: containerStatuses.map((s) => ({ name: s.name })) },
      containerStatuses,
      terminal: true,
      hostIP: this.nodeIP,
      podIP: this.nodeIP,
      startTime: status.startTime ?? now,
      now: this.options.clock.now(),
      previous: status,
    });
  }

  private get nodeIP(): string {
    return this.options.nodeIP ?? '127.0.0.1';
  }

  private report(uid: string, status: PodStatus, previous: PodStatus | undefined): void {
    if (sameStatus(previous, status)) return;
    try {
      this.options.onStatus?.(uid, status);
    } catch (err) {
      this.options.logger.warn('status listener failed', { pod: uid, err: errorMessage(err) });
    }
  }
}
