/**
 * Edged: the edge's kubelet as far as pods go (kubeedge-protocol.md §6), between what MetaManager
 * stored and a pod runtime.
 *
 * - A pod `insert`/`update` for this node becomes a runtime sync (KubeEdge: kubelet UPDATE); a
 *   `delete` a kill (REMOVE). Pods for other nodes are ignored (§6).
 * - At start, the pods stored in SQLite are run again: KubeEdge's edged queries `default/pod` from
 *   MetaManager and hands them to the kubelet as one SET (§5.2). The runtime first re-adopts what
 *   survived the restart, and anything it adopted that the store no longer holds is killed. This is
 *   what keeps a node's workloads running through an edgecore restart while the cloud is away.
 * - ConfigMaps and Secrets for env and volumes are read from the store (they were sent down with
 *   the pods that reference them, §4.1).
 * - Status and events from the runtime go to the callbacks; edgecore turns them into `podpatch`
 *   and `event` messages.
 * - A pod being deleted (`deletionTimestamp` set, as a real API server does it) is confirmed gone
 *   once every container has terminated: `onPodTerminated`, which edgecore sends as the pod
 *   `delete` with the uid as precondition (§4.2) — the kubelet's final delete, without which the
 *   pod would stay Terminating in the cloud.
 *
 * Calls for one pod are run one after another, in arrival order, so a delete can never overtake
 * the sync it follows.
 */
import { errorMessage, type Clock, type Logger } from '@edgeproof/core';
import type { MetaStore } from '../metamanager/store.ts';
import { createRuntime } from './index.ts';
import type { Pod, PodStatus } from './pod-types.ts';
import {
  validatePod,
  type PodEvent,
  type PodIdentity,
  type PodRuntime,
  type RuntimeKind,
} from './runtime.ts';

export interface EdgedOptions {
  nodeName: string;
  /** Reported as hostIP (and podIP: pods share the host network). */
  nodeIP?: string;
  runtime: RuntimeKind;
  /** kubelet's root dir: pods' folders, logs and state live under it. */
  rootDir: string;
  store: MetaStore;
  clock: Clock;
  logger: Logger;
  onPodStatus: (pod: PodIdentity, status: PodStatus) => void;
  onPodEvent: (pod: PodIdentity, event: PodEvent) => void;
  /** A pod with `deletionTimestamp` has no container left running; called once per pod. */
  onPodTerminated?: (pod: PodIdentity) => void;
}

export class Edged {
  private readonly opts: EdgedOptions;
  private readonly log: Logger;
  private readonly runtime: PodRuntime;
  /** uid → identity of every pod handed to the runtime, for status reports. */
  private readonly pods = new Map<string, PodIdentity>();
  /** uid → the tail of that pod's call chain. */
  private readonly chains = new Map<string, Promise<void>>();
  private started = false;
  /** Pods being deleted whose end has not yet been reported. */
  private readonly terminating = new Set<string>();

  constructor(options: EdgedOptions) {
    this.opts = options;
    this.log = options.logger.child('edged');
    this.runtime = createRuntime(options.runtime, {
      clock: options.clock,
      logger: this.log,
      nodeName: options.nodeName,
      ...(options.nodeIP !== undefined ? { nodeIP: options.nodeIP } : {}),
      rootDir: options.rootDir,
      resolveConfig: (kind, namespace, name) => this.readConfig(kind, namespace, name),
      onStatus: (uid, status) => this.reportStatus(uid, status),
      onEvent: (uid, event) => this.reportEvent(uid, event),
    });
  }

  /** The runtime's kind (`process`, `hollow`, `cri`). */
  get runtimeKind(): RuntimeKind {
    return this.runtime.kind;
  }

  /**
   * Starts the runtime (re-adopting what survived), runs every stored pod of this node again, and
   * kills what the runtime adopted that is no longer stored; resolves when that is done. Rejects only when the runtime cannot
   * start at all (`cri` here); one bad stored pod is logged and skipped.
   */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const adopted = await this.runtime.start();
    const stored: Pod[] = [];
    for (const row of this.opts.store.listByType('pod')) {
      const pod = parsePod(row.value);
      if (pod?.spec?.nodeName === this.opts.nodeName) stored.push(pod);
    }
    const storedUids = new Set(stored.map((p) => p.metadata?.uid));
    for (const uid of adopted) {
      if (!storedUids.has(uid)) this.podDeleted(uid);
    }
    for (const pod of stored) this.podChanged(pod);
    // Resolve once every stored pod has been handed to the runtime (adopted, or started again).
    await Promise.all([...this.chains.values()]);
    this.log.info('pods restored from the store', { stored: stored.length, adopted: adopted.length });
  }

  /** A pod was inserted or updated in the store: run it as its spec says. */
  podChanged(pod: unknown): void {
    let id: PodIdentity;
    try {
      id = validatePod(pod);
    } catch (err) {
      this.log.warn('pod cannot be run', { error: errorMessage(err) });
      return;
    }
    if ((pod as Pod).spec.nodeName !== this.opts.nodeName) return;
    this.pods.set(id.uid, id);
    if ((pod as Pod).metadata.deletionTimestamp) this.terminating.add(id.uid);
    this.log.debug('pod sync', { uid: id.uid, resourceVersion: (pod as Pod).metadata.resourceVersion });
    this.chain(id.uid, () => this.runtime.syncPod(pod as Pod), 'sync');
  }

  /** A pod was deleted from the store: stop its containers and forget it. */
  podDeleted(uid: string): void {
    this.chain(uid, () => this.runtime.killPod(uid), 'kill');
    void this.chains.get(uid)?.then(() => this.pods.delete(uid));
  }

  /** Waits for every pending pod call, then stops supervising (processes keep running). */
  async stop(): Promise<void> {
    await Promise.all(this.chains.values());
    await this.runtime.stop();
  }

  private chain(uid: string, call: () => Promise<void>, what: string): void {
    const previous = this.chains.get(uid) ?? Promise.resolve();
    const next = previous
      .then(call)
      .catch((err: unknown) => this.log.error(`pod ${what} failed`, { uid, error: errorMessage(err) }));
    this.chains.set(uid, next);
    void next.then(() => {
      if (this.chains.get(uid) === next) this.chains.delete(uid);
    });
  }

  private readConfig(kind: 'configmap' | 'secret', namespace: string, name: string): object | undefined {
    const row = this.opts.store.get(`${namespace}/${kind}/${name}`);
    if (row === undefined) return undefined;
    return JSON.parse(row.value) as object;
  }

  private reportStatus(uid: string, status: PodStatus): void {
    const id = this.pods.get(uid) ?? this.fromRuntime(uid);
    this.log.debug('pod status', {
      uid,
      phase: status.phase,
      ready: status.containerStatuses?.map((c) => c.ready).join(','),
    });
    if (id === undefined) return;
    try {
      this.opts.onPodStatus(id, status);
      if (this.terminating.has(uid) && allTerminated(status)) {
        this.terminating.delete(uid);
        this.opts.onPodTerminated?.(id);
      }
    } catch (err) {
      this.log.error('pod status handler failed', { uid, error: errorMessage(err) });
    }
  }

  private reportEvent(uid: string, event: PodEvent): void {
    const id = this.pods.get(uid) ?? this.fromRuntime(uid);
    if (id === undefined) return;
    try {
      this.opts.onPodEvent(id, event);
    } catch (err) {
      this.log.error('pod event handler failed', { uid, error: errorMessage(err) });
    }
  }

  private fromRuntime(uid: string): PodIdentity | undefined {
    const p = this.runtime.listPods().find((r) => r.uid === uid);
    return p === undefined ? undefined : { uid, namespace: p.namespace, name: p.name };
  }
}

/** True when no container of the pod is running or waiting to run. */
function allTerminated(status: PodStatus): boolean {
  const containers = status.containerStatuses ?? [];
  return containers.length > 0 && containers.every((c) => c.state?.terminated !== undefined);
}

function parsePod(json: string): Pod | undefined {
  try {
    return JSON.parse(json) as Pod;
  } catch {
    return undefined;
  }
}
