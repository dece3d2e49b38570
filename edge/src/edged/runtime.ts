/**
 * The pod runtime contract of edgeproof's edged: what kubelet's container runtime manager does
 * (k8s.io/kubernetes pkg/kubelet/kuberuntime), behind one interface so the bench can run pods as
 * host processes (`process`), as nothing at all (`hollow`, for scale) or, one day, over CRI (`cri`).
 *
 * The runtime has no cloud link (kubeedge-protocol.md §6: edged's apiserver calls go through
 * metaclient): edgecore hands it pods, and it reports back through two callbacks, `onStatus` with a
 * core/v1 PodStatus and `onEvent` with a kubelet-style event. Everything is instance-scoped
 * (ARCHITECTURE.md §4): clock and logger are injected, constructors do no I/O.
 */
import { randomBytes } from 'node:crypto';
import { EdgeproofError, InvalidInputError, type Clock, type Logger } from '@edgeproof/core';
import type { Container, Pod, PodStatus } from './pod-types.ts';

export const RUNTIME_KINDS = ['process', 'hollow', 'cri'] as const;
export type RuntimeKind = (typeof RUNTIME_KINDS)[number];

/** A kubelet event about a pod (core/v1 Event's type, reason and message). */
export interface PodEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export type PodStatusListener = (podUid: string, status: PodStatus) => void;
export type PodEventListener = (podUid: string, event: PodEvent) => void;

/** One pod the runtime holds, with its last status. */
export interface RuntimePod {
  uid: string;
  namespace: string;
  name: string;
  status: PodStatus;
}

export interface KillPodOptions {
  /** Overrides the pod's grace period, as a delete's `gracePeriodSeconds` does. */
  gracePeriodSeconds?: number;
}

/** A pod runtime: runs the pods edged is given and reports their status. */
export interface PodRuntime {
  readonly kind: RuntimeKind;
  /**
   * Prepares the runtime and re-adopts what a previous instance left running (after an edgecore
   * restart); returns the uids of the pods it adopted. Call once, before the first `syncPod`.
   */
  start(): Promise<string[]>;
  /**
   * Makes the pod run as its spec says: starts what is not running, restarts a container whose spec
   * changed, and terminates the pod when `metadata.deletionTimestamp` is set. A spec that cannot run
   * is reported through the pod's status and an event; only a pod without identity is refused.
   */
  syncPod(pod: Pod): Promise<void>;
  /** Stops every container of the pod (SIGTERM, then SIGKILL after the grace period) and forgets it. */
  killPod(uid: string, options?: KillPodOptions): Promise<void>;
  /** The pods the runtime holds now. */
  listPods(): RuntimePod[];
  /** Stops supervising, leaving pods running for the next instance to adopt; cancels every timer. */
  stop(): Promise<void>;
}

/** What every runtime is given. */
export interface RuntimeOptions {
  clock: Clock;
  logger: Logger;
  nodeName: string;
  /** The node's InternalIP, reported as hostIP and, with no pod network, as podIP; default 127.0.0.1. */
  nodeIP?: string;
  onStatus?: PodStatusListener;
  onEvent?: PodEventListener;
}

/** Error codes this module uses, beside core's EINVALID. */
export const RUNTIME_ERROR_CODES = {
  /** The runtime cannot work on this machine or in this version. */
  unavailable: 'ERUNTIMEUNAVAILABLE',
  /** A container's spec cannot be run; reported as a waiting reason, never thrown out. */
  containerConfig: 'ECONTAINERCONFIG',
} as const;

/** The runtime asked for cannot work here; choosing another one is the fix. */
export class RuntimeUnavailableError extends EdgeproofError {
  constructor(message: string) {
    super(RUNTIME_ERROR_CODES.unavailable, message, { retriable: false });
  }
}

/** Waiting reasons kubelet reports for a container it could not create or start. */
export type ContainerConfigReason =
  'CreateContainerConfigError' | 'CreateContainerError' | 'ContainerCreating';

/**
 * A container that cannot be started as specified. Thrown inside the runtime only; the runtime turns
 * it into a waiting state with `reason` and an event with `eventReason` (kubelet: `Failed` for a
 * container config error, `FailedMount` for a volume).
 */
export class ContainerConfigError extends EdgeproofError {
  readonly reason: ContainerConfigReason;
  readonly eventReason: string;

  constructor(
    message: string,
    options: { reason?: ContainerConfigReason; eventReason?: string; cause?: unknown } = {},
  ) {
    super(RUNTIME_ERROR_CODES.containerConfig, message, { cause: options.cause, retriable: true });
    this.reason = options.reason ?? 'CreateContainerConfigError';
    this.eventReason = options.eventReason ?? 'Failed';
  }
}

/** Parses a `--runtime` value. */
export function parseRuntimeKind(value: string): RuntimeKind {
  const kind = RUNTIME_KINDS.find((k) => k === value);
  if (!kind) {
    throw new InvalidInputError(`unknown runtime "${value}"; use one of ${RUNTIME_KINDS.join(', ')}`);
  }
  return kind;
}

/** kubelet's default `terminationGracePeriodSeconds` (core/v1 PodSpec). */
export const DEFAULT_TERMINATION_GRACE_SECONDS = 30;

/** The identity of a pod the runtime accepts. */
export interface PodIdentity {
  uid: string;
  namespace: string;
  name: string;
}

/**
 * Checks what a runtime needs before it can even report on a pod: uid, name, and containers with
 * unique names. Everything else is judged per container and reported through the status.
 */
export function validatePod(pod: unknown): PodIdentity {
  if (typeof pod !== 'object' || pod === null) throw new InvalidInputError('a pod must be an object');
  const { metadata, spec } = pod as Partial<Pod>;
  const uid = metadata?.uid;
  const name = metadata?.name;
  if (typeof uid !== 'string' || uid === '' || typeof name !== 'string' || name === '') {
    throw new InvalidInputError('a pod needs metadata.uid and metadata.name to be run and reported');
  }
  const where = `pod ${metadata?.namespace ?? 'default'}/${name}`;
  const containers: unknown = spec?.containers;
  if (!Array.isArray(containers) || containers.length === 0) {
    throw new InvalidInputError(`${where} has no spec.containers`);
  }
  const seen = new Set<string>();
  for (const c of containers as Partial<Container>[]) {
    if (typeof c?.name !== 'string' || c.name === '' || seen.has(c.name)) {
      throw new InvalidInputError(`${where}: every container needs a unique name`);
    }
    seen.add(c.name);
  }
  const namespace = typeof metadata?.namespace === 'string' ? metadata.namespace : 'default';
  return { uid, namespace, name };
}

/** A pod as kubelet names it in messages (`format.Pod`): `name_namespace(uid)`. */
export function formatPod(pod: PodIdentity): string {
  return `${pod.name}_${pod.namespace}(${pod.uid})`;
}

/** A fresh container id as CRI reports them, `<runtime>://<64 hex>`. */
export function newContainerId(): string {
  return `edgeproof://${randomBytes(32).toString('hex')}`;
}

/** The grace period a kill uses (kubelet `killPodWithSyncResult`): the override, else the spec's, else 30 s. */
export function gracePeriodSeconds(pod: Pod, override?: number): number {
  const value = override ?? pod.metadata.deletionGracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds;
  return typeof value === 'number' && value >= 0 ? value : DEFAULT_TERMINATION_GRACE_SECONDS;
}
