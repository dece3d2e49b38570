/**
 * Marks silent edge nodes `Unknown`, the job kube-controller-manager's node lifecycle controller
 * does for kubelets (`pkg/controller/nodelifecycle/node_lifecycle_controller.go`
 * `monitorNodeHealth` / `tryUpdateNodeHealth`): every `monitorPeriodMs` (KCM's
 * `--node-monitor-period`, 5 s) look at each edge node; when its heartbeat — the Lease
 * `kube-node-lease/<node>` `spec.renewTime`, else the Ready condition's `lastHeartbeatTime` — is
 * older than `gracePeriodMs` (`--node-monitor-grace-period`, 40 s), set every condition that is not
 * already Unknown to `Unknown`, reason `NodeStatusUnknown`, message `Kubelet stopped posting node
 * status.`; a missing Ready condition is added as Unknown with reason `NodeStatusNeverUpdated`,
 * message `Kubelet never posted node status.` (KCM's wording for both).
 *
 * Level-based (ARCHITECTURE.md §4): each tick lists the current nodes and leases and acts on what
 * it sees, so a missed tick or a restart loses nothing. Time is the injected clock. The status patch
 * carries the node's resourceVersion, so if the edge's own nodepatch lands in between, the patch
 * fails with 409 and the next tick looks again rather than overwrite a fresh Ready=True. Going back
 * to Ready=True is the edge's nodepatch, never this controller.
 *
 * Only nodes labelled `node-role.kubernetes.io/edge` are looked at (§4.1).
 */
import {
  CoordinationV1Api,
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type V1Lease,
  type V1Node,
  type V1NodeCondition,
} from '@kubernetes/client-node';
import { errorMessage, type Clock, type Logger, type TimerHandle } from '@edgeproof/core';
import { EDGE_NODE_ROLE_LABEL, NODE_LEASE_NAMESPACE } from './upstream.ts';

/** KCM `--node-monitor-grace-period` default. */
export const DEFAULT_NODE_GRACE_PERIOD_MS = 40_000;
/** KCM `--node-monitor-period` default. */
export const DEFAULT_NODE_MONITOR_PERIOD_MS = 5_000;

export const NODE_STATUS_UNKNOWN_REASON = 'NodeStatusUnknown';
export const NODE_STATUS_UNKNOWN_MESSAGE = 'Kubelet stopped posting node status.';
export const NODE_STATUS_NEVER_UPDATED_REASON = 'NodeStatusNeverUpdated';
export const NODE_STATUS_NEVER_UPDATED_MESSAGE = 'Kubelet never posted node status.';

export interface NodeLifecycleControllerOptions {
  kubeConfig: KubeConfig;
  clock: Clock;
  logger: Logger;
  /** How stale a heartbeat may get before the node is Unknown. */
  gracePeriodMs?: number;
  /** How often nodes are looked at. */
  monitorPeriodMs?: number;
}

/** See the module comment. Constructing does no I/O; `start()` begins the ticks. */
export class NodeLifecycleController {
  private readonly core: CoreV1Api;
  private readonly coordination: CoordinationV1Api;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly gracePeriodMs: number;
  private readonly monitorPeriodMs: number;
  private timer: TimerHandle | undefined;
  private running: Promise<void> | undefined;

  constructor(options: NodeLifecycleControllerOptions) {
    this.core = options.kubeConfig.makeApiClient(CoreV1Api);
    this.coordination = options.kubeConfig.makeApiClient(CoordinationV1Api);
    this.clock = options.clock;
    this.logger = options.logger;
    this.gracePeriodMs = options.gracePeriodMs ?? DEFAULT_NODE_GRACE_PERIOD_MS;
    this.monitorPeriodMs = options.monitorPeriodMs ?? DEFAULT_NODE_MONITOR_PERIOD_MS;
    if (!(this.gracePeriodMs > 0) || !(this.monitorPeriodMs > 0)) {
      throw new RangeError('gracePeriodMs and monitorPeriodMs must be positive');
    }
  }

  /** Starts ticking every monitor period; a tick still running when the next is due is not doubled. */
  start(): void {
    if (this.timer) return;
    this.timer = this.clock.setInterval(() => {
      if (this.running) return;
      this.running = this.reconcile().finally(() => (this.running = undefined));
    }, this.monitorPeriodMs);
  }

  /** Stops ticking and waits for a tick in progress. */
  async stop(): Promise<void> {
    this.timer?.cancel();
    this.timer = undefined;
    await this.running;
  }

  /**
   * One pass over the edge nodes. Never throws: failures are logged and the next tick retries.
   * Exposed so tests and callers can run a pass on demand.
   */
  async reconcile(): Promise<void> {
    let nodes: V1Node[];
    let leases: V1Lease[];
    try {
      [nodes, leases] = await Promise.all([
        this.core.listNode({ labelSelector: EDGE_NODE_ROLE_LABEL }).then((l) => l.items),
        this.coordination.listNamespacedLease({ namespace: NODE_LEASE_NAMESPACE }).then((l) => l.items),
      ]);
    } catch (err) {
      this.logger.warn('cannot list edge nodes and leases', { error: errorMessage(err) });
      return;
    }
    const renewed = new Map<string, number>();
    for (const lease of leases) {
      const t = timeMs(lease.spec?.renewTime);
      if (lease.metadata?.name && t !== undefined) renewed.set(lease.metadata.name, t);
    }
    const now = this.clock.now();
    for (const node of nodes) {
      const name = node.metadata?.name;
      if (!name) continue;
      const conditions = node.status?.conditions ?? [];
      const ready = conditions.find((c) => c.type === 'Ready');
      if (ready?.status === 'Unknown') continue;
      // KCM falls back to the time it first saw the node; the creation time is our equivalent.
      const heartbeat =
        renewed.get(name) ?? timeMs(ready?.lastHeartbeatTime) ?? timeMs(node.metadata?.creationTimestamp);
      if (heartbeat === undefined || now - heartbeat <= this.gracePeriodMs) continue;
      await this.markUnknown(node, name, conditions, now, now - heartbeat);
    }
  }

  private async markUnknown(
    node: V1Node,
    name: string,
    conditions: V1NodeCondition[],
    now: number,
    silentMs: number,
  ): Promise<void> {
    const at = new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const changed: Array<Record<string, unknown>> = [];
    for (const c of conditions) {
      if (c.status === 'Unknown') continue;
      changed.push({
        type: c.type,
        status: 'Unknown',
        reason: NODE_STATUS_UNKNOWN_REASON,
        message: NODE_STATUS_UNKNOWN_MESSAGE,
        lastTransitionTime: at,
      });
    }
    if (!conditions.some((c) => c.type === 'Ready')) {
      changed.push({
        type: 'Ready',
        status: 'Unknown',
        reason: NODE_STATUS_NEVER_UPDATED_REASON,
        message: NODE_STATUS_NEVER_UPDATED_MESSAGE,
        lastHeartbeatTime: at,
        lastTransitionTime: at,
      });
    }
    if (changed.length === 0) return;
    try {
      await this.core.patchNodeStatus(
        {
          name,
          // Conditions merge by `type` (patchMergeKey); the resourceVersion makes the patch fail
          // with 409 if the node changed since we listed it.
          body: {
            metadata: { resourceVersion: node.metadata?.resourceVersion },
            status: { conditions: changed },
          },
        },
        setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
      );
      this.logger.info('edge node stopped posting status; conditions set to Unknown', {
        node: name,
        silentMs,
      });
    } catch (err) {
      this.logger.warn('cannot mark edge node Unknown', { node: name, error: errorMessage(err) });
    }
  }
}

function timeMs(t: Date | string | undefined | null): number | undefined {
  if (t === undefined || t === null) return undefined;
  const ms = new Date(t).getTime();
  return Number.isNaN(ms) ? undefined : ms;
}
