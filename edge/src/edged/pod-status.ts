/**
 * PodStatus from container statuses, as kubelet computes it (pkg/kubelet/kubelet_pods.go
 * `getPhase` and `generateAPIPodStatus`, pkg/kubelet/status/generate.go for the conditions). Pure:
 * the runtimes keep container statuses, this turns them into the pod's phase and conditions.
 */
import type {
  ContainerState,
  ContainerStateTerminated,
  ContainerStatus,
  PodCondition,
  PodConditionType,
  PodPhase,
  PodSpec,
  PodStatus,
} from './pod-types.ts';

/** A Kubernetes timestamp (RFC 3339, whole seconds, as metav1.Time marshals). */
export function kubeTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/**
 * kubelet `getPhase`: Pending while any container waits for its first start; Running while one runs
 * (or, with restartPolicy Always or a failure under OnFailure, while they are being restarted);
 * Succeeded when all exited 0; Failed when one failed and none will be restarted. A pod that is
 * terminal (being deleted: nothing will restart) is Succeeded or Failed once every container stopped.
 */
export function podPhase(spec: PodSpec, statuses: ContainerStatus[], terminal: boolean): PodPhase {
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  let unknown = 0;
  for (const container of spec.containers) {
    const status = statuses.find((s) => s.name === container.name);
    if (!status) unknown++;
    else if (status.state.running) running++;
    else if (status.state.terminated) {
      stopped++;
      if (status.state.terminated.exitCode === 0) succeeded++;
    } else if (status.state.waiting) {
      // A container waiting for a restart has run before: it counts as stopped, not pending.
      if (status.lastState.terminated) stopped++;
      else waiting++;
    } else unknown++;
  }
  if (waiting > 0) return 'Pending';
  if (running > 0 && unknown === 0) return 'Running';
  if (running === 0 && stopped > 0 && unknown === 0) {
    if (terminal) return stopped === succeeded ? 'Succeeded' : 'Failed';
    const policy = spec.restartPolicy ?? 'Always';
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

export interface PodStatusInput {
  spec: PodSpec;
  /** One per container of the spec, in spec order. */
  containerStatuses: ContainerStatus[];
  /** The pod is being terminated: none of its containers will be restarted. */
  terminal: boolean;
  hostIP: string;
  podIP: string;
  startTime: string;
  now: number;
  /** The status reported before, whose condition transition times are kept when nothing changed. */
  previous: PodStatus | undefined;
}

/** The pod's status; conditions in kubelet's order: Initialized, Ready, ContainersReady, PodScheduled. */
export function buildPodStatus(input: PodStatusInput): PodStatus {
  const phase = podPhase(input.spec, input.containerStatuses, input.terminal);
  const init = input.spec.initContainers ?? [];
  const unready = input.containerStatuses.filter((s) => !s.ready).map((s) => s.name);
  const condition = (
    type: PodConditionType,
    ok: boolean,
    reason?: string,
    message?: string,
  ): PodCondition => {
    const status = ok ? 'True' : 'False';
    const before = input.previous?.conditions.find((c) => c.type === type);
    const lastTransitionTime =
      before && before.status === status ? before.lastTransitionTime : kubeTime(input.now);
    return {
      type,
      status,
      lastProbeTime: null,
      lastTransitionTime,
      ...(ok || reason === undefined ? {} : { reason }),
      ...(ok || message === undefined ? {} : { message }),
    };
  };
  // generate.go: a Succeeded pod's readiness is False with reason PodCompleted, whatever its containers.
  const ready = (type: PodConditionType): PodCondition =>
    phase === 'Succeeded'
      ? condition(type, false, 'PodCompleted')
      : condition(
          type,
          unready.length === 0,
          'ContainersNotReady',
          `containers with unready status: [${unready.join(' ')}]`,
        );
  return {
    phase,
    conditions: [
      condition(
        'Initialized',
        init.length === 0,
        'ContainersNotInitialized',
        `containers with incomplete status: [${init.map((c) => c.name).join(' ')}]`,
      ),
      ready('Ready'),
      ready('ContainersReady'),
      condition('PodScheduled', true),
    ],
    hostIP: input.hostIP,
    hostIPs: [{ ip: input.hostIP }],
    podIP: input.podIP,
    podIPs: [{ ip: input.podIP }],
    startTime: input.startTime,
    containerStatuses: input.containerStatuses,
  };
}

/** A container status as it starts out, before anything ran (kubelet: waiting, ContainerCreating). */
export function initialContainerStatus(name: string, image: string | undefined): ContainerStatus {
  return {
    name,
    state: { waiting: { reason: 'ContainerCreating' } },
    lastState: {},
    ready: false,
    restartCount: 0,
    image: image ?? '',
    // No image is pulled, so no image digest exists to report; kubelet leaves imageID empty too
    // until the runtime has resolved one.
    imageID: '',
    started: false,
  };
}

/** A running container's state. */
export function runningState(startedAtMs: number): ContainerState {
  return { running: { startedAt: kubeTime(startedAtMs) } };
}

/**
 * kubelet: a container it can no longer find when the pod is terminated is reported terminated with
 * exit code 137 and reason ContainerStatusUnknown (kubelet_pods.go `convertToAPIContainerStatuses`).
 */
export function containerStatusUnknown(): ContainerStateTerminated {
  return {
    exitCode: 137,
    reason: 'ContainerStatusUnknown',
    message: 'The container could not be located when the pod was terminated',
  };
}

/** True when two statuses would tell the API server the same thing. */
export function sameStatus(a: PodStatus | undefined, b: PodStatus): boolean {
  return a !== undefined && JSON.stringify(a) === JSON.stringify(b);
}
