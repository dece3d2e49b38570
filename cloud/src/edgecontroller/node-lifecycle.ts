/**
 * Marks silent edge nodes `Unknown`, the job kube-controller-manager's node lifecycle controller
 * does for kubelets (`pkg/controller/nodelifecycle/node_lifecycle_controller.go`
 * `monitorNodeHealth` / `tryUpdateNodeHealth`): every `monitorPeriodMs` (KCM's
 * `--node-monitor-period`, 5 s) look at each edge node; when no heartbeat has been seen for
 * `gracePeriodMs` (`--node-monitor-grace-period`, 40 s), set every condition that is not already
 * Unknown to `Unknown`, reason `NodeStatusUnknown`, message `Kubelet stopped posting node status.`;
 * a missing Ready condition is added as Unknown with reason `NodeStatusNeverUpdated`, message
 * `Kubelet never posted node status.` (KCM's wording for both).
 *
 * A heartbeat is a change of the node's Lease `kube-node-lease/<node>` `spec.renewTime` or of its
 * Ready condition's `lastHeartbeatTime`, and — as in KCM (`nodeHealthData.probeTimestamp`) — it is
 * timed by when this controller *saw* the change, on its own clock, never by the timestamp the
 * edge wrote: an edge board without a real-time clock may be minutes off, and must not be marked
 * Unknown for it. A node seen for the first time (also after a cloudcore restart) gets a full grace
 * period from then.
 *
 * Nodes and leases come from informers (list + watch caches), so a pass costs no API call however
 * many nodes there are; each pass reads the caches' current state (level-based, ARCHITECTURE.md
 * §4), so a missed tick loses nothing. The status patch carries the node's resourceVersion, so if
 * the edge's own nodepatch lands in between, the patch fails with 409 and the next pass looks again
 * rather than overwrite a fresh Ready=True. Going back to Ready=True is the edge's doing, never this
 * controller's.
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
import { KeptInformer } from '../kube-informer.ts';
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
  /**
   * The edge nodes' informer of another controller, started and stopped by its owner: cloudcore
   * shares the downstream controller's, so one watch and one cache hold every Node instead of two,
   * and each node status update is parsed once. Without it the controller runs its own.
   */
  nodes?: KeptInformer<V1Node>;
}

/** The last heartbeat values seen for a node, and when (this controller's clock) they changed. */
interface Probe {
  leaseRenewTime: string | undefined;
  readyHeartbeat: string | undefined;
  observedAt: number;
}

/** See the module comment. Constructing does no I/O; `start()` begins watching and the passes. */
export class NodeLifecycleController {
  private readonly core: CoreV1Api;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly gracePeriodMs: number;
  private readonly monitorPeriodMs: number;
  private readonly nodes: KeptInformer<V1Node>;
  /** Whether `nodes` is this controller's own (started and stopped with it) or borrowed. */
  private readonly ownsNodes: boolean;
  private readonly leases: KeptInformer<V1Lease>;
  private readonly probes = new Map<string, Probe>();
  private timer: TimerHandle | undefined;
  private running: Promise<void> | undefined;

  constructor(options: NodeLifecycleControllerOptions) {
    const { kubeConfig, clock, logger } = options;
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    const coordination = kubeConfig.makeApiClient(CoordinationV1Api);
    this.clock = clock;
    this.logger = logger;
    this.gracePeriodMs = options.gracePeriodMs ?? DEFAULT_NODE_GRACE_PERIOD_MS;
    this.monitorPeriodMs = options.monitorPeriodMs ?? DEFAULT_NODE_MONITOR_PERIOD_MS;
    if (!(this.gracePeriodMs > 0) || !(this.monitorPeriodMs > 0)) {
      throw new RangeError('gracePeriodMs and monitorPeriodMs must be positive');
    }
    this.ownsNodes = options.nodes === undefined;
    this.nodes =
      options.nodes ??
      new KeptInformer<V1Node>({
        kubeConfig,
        path: '/api/v1/nodes',
        list: () => this.core.listNode({ labelSelector: EDGE_NODE_ROLE_LABEL }),
        labelSelector: EDGE_NODE_ROLE_LABEL,
        clock,
        logger,
        what: 'edge nodes',
      });
    this.leases = new KeptInformer<V1Lease>({
      kubeConfig,
      path: `/apis/coordination.k8s.io/v1/namespaces/${NODE_LEASE_NAMESPACE}/leases`,
      list: () => coordination.listNamespacedLease({ namespace: NODE_LEASE_NAMESPACE }),
      clock,
      logger,
      what: 'node leases',
    });
    const onNode = (n: V1Node): void => {
      const name = n.metadata?.name;
      const ready = n.status?.conditions?.find((c) => c.type === 'Ready');
      if (name) this.observe(name, { readyHeartbeat: timeText(ready?.lastHeartbeatTime) });
    };
    const onLease = (l: V1Lease): void => {
      const name = l.metadata?.name;
      if (name) this.observe(name, { leaseRenewTime: timeText(l.spec?.renewTime) });
    };
    this.nodes.informer.on('add', onNode);
    this.nodes.informer.on('update', onNode);
    this.nodes.informer.on('delete', (n) => n.metadata?.name && this.probes.delete(n.metadata.name));
    this.leases.informer.on('add', onLease);
    this.leases.informer.on('update', onLease);
  }

  /** Starts watching nodes (its own informer) and leases, and a pass every monitor period (never two at once). */
  async start(): Promise<void> {
    if (this.timer) return;
    this.timer = this.clock.setInterval(() => {
      if (this.running) return;
      this.running = this.reconcile().finally(() => (this.running = undefined));
    }, this.monitorPeriodMs);
    await Promise.all([this.ownsNodes ? this.nodes.start() : undefined, this.leases.start()]);
  }

  /** Stops the passes and its watches (not a borrowed node informer), and waits for a pass in progress. */
  async stop(): Promise<void> {
    this.timer?.cancel();
    this.timer = undefined;
    await Promise.all([this.ownsNodes ? this.nodes.stop() : undefined, this.leases.stop()]);
    await this.running;
  }

  /** When (this controller's clock) a heartbeat of `node` was last seen; undefined before any. */
  lastHeartbeatSeen(node: string): number | undefined {
    return this.probes.get(node)?.observedAt;
  }

  /** True once both caches hold the cluster's state; passes before that do nothing. */
  synced(): boolean {
    return this.nodes.synced() && this.leases.synced();
  }

  /**
   * One pass over the edge nodes in the cache. Never throws: failures are logged and the next pass
   * retries. Exposed so tests and callers can run a pass on demand.
   */
  async reconcile(): Promise<void> {
    if (!this.synced()) return;
    const now = this.clock.now();
    for (const node of this.nodes.informer.list()) {
      const name = node.metadata?.name;
      if (!name) continue;
      const conditions = node.status?.conditions ?? [];
      if (conditions.find((c) => c.type === 'Ready')?.status === 'Unknown') continue;
      const observedAt = this.probes.get(name)?.observedAt ?? this.observe(name, {});
      const silentMs = now - observedAt;
      if (silentMs <= this.gracePeriodMs) continue;
      await this.markUnknown(node, name, conditions, now, silentMs);
    }
  }

  /** Records heartbeat values for `name`; a changed value (or a new node) is a heartbeat now. */
  private observe(name: string, seen: Partial<Omit<Probe, 'observedAt'>>): number {
    const previous = this.probes.get(name);
    const next: Probe = {
      leaseRenewTime: seen.leaseRenewTime ?? previous?.leaseRenewTime,
      readyHeartbeat: seen.readyHeartbeat ?? previous?.readyHeartbeat,
      observedAt: previous?.observedAt ?? this.clock.now(),
    };
    if (
      previous !== undefined &&
      (next.leaseRenewTime !== previous.leaseRenewTime || next.readyHeartbeat !== previous.readyHeartbeat)
    ) {
      next.observedAt = this.clock.now();
    }
    this.probes.set(name, next);
    return next.observedAt;
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
          // with 409 if the node changed since the cache saw it.
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

/** A heartbeat timestamp as text, for comparing (client-node gives `Date`s, the wire strings). */
function timeText(t: Date | string | undefined | null): string | undefined {
  if (t === undefined || t === null) return undefined;
  return t instanceof Date ? t.toISOString() : String(t);
}
