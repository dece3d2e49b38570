/**
 * Checks a scenario's invariants in the background for the whole run: it samples the cloud (node
 * readiness every `nodeEveryMs`, matching pods every `podEveryMs`) and keeps the ConfigMap watches
 * of delivery invariants, then judges every invariant per fault window when the run is over
 * (node-readiness.ts, pod-stability.ts, delivery.ts). Time is the injected clock's, relative to
 * the scenario's start `t0`.
 */
import type { Clock, TimerHandle } from '@edgeproof/core';
import { durationMs } from '../duration.ts';
import type {
  FaultWindow,
  InvariantResult,
  InvariantVerdict,
  VerdictStatus,
} from '../report/result-types.ts';
import type { InvariantNode } from '../scenario-types.ts';
import { evaluateDelivery, type CloudVersion, type EdgeObservation } from './delivery.ts';
import type { ClusterSource, ConfigMapFeed, NodeReadinessFeed } from './kube-sources.ts';
import { evaluateNodeReadiness, type NodeSample } from './node-readiness.ts';
import { evaluatePodStability, type PodSample } from './pod-stability.ts';
import { evaluateTwin, type TwinSample } from './twin-convergence.ts';

/** Default `settle` of delivery invariants. */
export const DEFAULT_SETTLE_MS = 10_000;
/** Default `settle` of pod invariants. */
export const DEFAULT_POD_SETTLE_MS = 5_000;

export type MonitorOptions = {
  invariants: readonly InvariantNode[];
  cluster: ClusterSource;
  /** Every change of the nodes' readiness (optional: without it, samples only). */
  nodeFeed?: NodeReadinessFeed;
  /** Feeds for a delivery invariant: the cloud's and the node's view of its ConfigMap. */
  feeds: (namespace: string, name: string, node: string) => { cloud: ConfigMapFeed; edge: ConfigMapFeed };
  clock: Clock;
  t0: number;
  nodeEveryMs?: number;
  podEveryMs?: number;
};

type Delivery = { cloud: CloudVersion[]; edge: EdgeObservation[]; feeds: ConfigMapFeed[] };

export class InvariantMonitor {
  private readonly o: MonitorOptions;
  private readonly nodeSamples: NodeSample[] = [];
  private readonly podSamples = new Map<string, PodSample[]>();
  private readonly deliveries = new Map<string, Delivery>();
  private readonly twinSamples = new Map<string, TwinSample[]>();
  private readonly timers: TimerHandle[] = [];
  private readonly busy = new Set<string>();
  private readonly pending = new Set<Promise<void>>();

  constructor(options: MonitorOptions) {
    this.o = options;
  }

  private now(): number {
    return this.o.clock.now() - this.o.t0;
  }

  /** Starts sampling and watching (nothing to do without invariants). */
  start(): void {
    const { invariants } = this.o;
    if (invariants.some((i) => i.spec.kind === 'nodeReadiness')) {
      this.every('nodes', this.o.nodeEveryMs ?? 500, async () => {
        const atMs = this.now();
        try {
          this.nodeSamples.push({ atMs, ready: await this.o.cluster.nodeReadiness() });
        } catch (err) {
          this.nodeSamples.push({ atMs, error: String(err) });
        }
      });
      this.o.nodeFeed?.start((ready) => this.nodeSamples.push({ atMs: this.now(), ready }));
    }
    for (const inv of invariants) {
      const spec = inv.spec;
      if (spec.kind === 'noPodRestart' || spec.kind === 'noPodRecreated') {
        const key = `${spec.namespace ?? 'default'}\0${spec.selector}`;
        if (this.podSamples.has(key)) continue;
        const samples: PodSample[] = [];
        this.podSamples.set(key, samples);
        this.every(`pods ${key}`, this.o.podEveryMs ?? 1000, async () => {
          const atMs = this.now();
          try {
            samples.push({
              atMs,
              pods: await this.o.cluster.pods(spec.namespace ?? 'default', spec.selector),
            });
          } catch (err) {
            samples.push({ atMs, error: String(err) });
          }
        });
      } else if (spec.kind === 'twinConverges') {
        const samples: TwinSample[] = [];
        this.twinSamples.set(spec.name, samples);
        this.every(`twin ${spec.name}`, this.o.podEveryMs ?? 1000, async () => {
          const atMs = this.now();
          try {
            samples.push({
              atMs,
              ...(await this.o.cluster.twin(spec.namespace ?? 'default', spec.device, spec.property)),
            });
          } catch (err) {
            samples.push({ atMs, error: String(err) });
          }
        });
      } else if (spec.kind === 'noDuplicateOrLostDelivery') {
        const d: Delivery = { cloud: [], edge: [], feeds: [] };
        const { cloud, edge } = this.o.feeds(spec.namespace ?? 'default', spec.configMap, spec.node);
        cloud.start((ob) => {
          if (ob.type !== 'DELETED') d.cloud.push({ atMs: this.now(), rv: ob.rv });
        });
        edge.start((ob) => {
          if (ob.type !== 'DELETED')
            d.edge.push({ atMs: this.now(), rv: ob.rv, type: ob.type, connection: ob.connection });
        });
        d.feeds.push(cloud, edge);
        this.deliveries.set(inv.spec.name, d);
      }
    }
  }

  /**
   * Until when (relative to t0) the run must keep watching after its last step for every
   * invariant to be decided, given what has been observed so far; the caller asks again as time
   * passes. A node seen Ready after a window's end needs no more time for that window; otherwise
   * up to `end + readyWithin`. Pods need `settle` after each window (the cloud learns of a restart
   * during a partition only after heal). A delivery is decided once the edge has the cloud's last
   * version, or `settle` after that version.
   */
  pendingUntilMs(windows: readonly FaultWindow[], stepsEndMs: number): number {
    let until = stepsEndMs;
    for (const inv of this.o.invariants) {
      const spec = inv.spec;
      if (spec.kind === 'nodeReadiness') {
        const readyWithin = durationMs(spec.readyWithin, 0);
        for (const w of windows) {
          if (w.endMs === undefined) continue;
          const end = w.endMs;
          const back = [...this.nodeSamples]
            .sort((a, b) => a.atMs - b.atMs)
            .find((s) => s.atMs >= end && !('error' in s) && s.ready[spec.node] === 'True');
          until = Math.max(until, back ? back.atMs : end + readyWithin);
        }
      } else if (spec.kind === 'noPodRestart' || spec.kind === 'noPodRecreated') {
        const settle = durationMs(spec.settle, DEFAULT_POD_SETTLE_MS);
        for (const w of windows) if (w.endMs !== undefined) until = Math.max(until, w.endMs + settle);
      } else if (spec.kind === 'twinConverges') {
        const within = durationMs(spec.within, 0);
        const samples = this.twinSamples.get(spec.name) ?? [];
        const converged = (s: TwinSample): boolean =>
          !('error' in s) && s.desired !== undefined && s.reported === s.desired;
        for (const w of windows) {
          if (w.endMs === undefined) continue;
          const end = w.endMs;
          const back = samples.find((s) => s.atMs >= end && converged(s));
          until = Math.max(until, back ? back.atMs : end + within);
        }
        const last = samples.at(-1);
        if (last === undefined || !converged(last)) until = Math.max(until, stepsEndMs + within);
      } else {
        const d = this.deliveries.get(spec.name);
        const last = d?.cloud.at(-1);
        if (last !== undefined && d?.edge.at(-1)?.rv !== last.rv) {
          until = Math.max(until, last.atMs + durationMs(spec.settle, DEFAULT_SETTLE_MS));
        }
      }
    }
    return until;
  }

  /** Stops sampling and watching; waits for samples in flight. */
  async stop(): Promise<void> {
    for (const t of this.timers) t.cancel();
    this.timers.length = 0;
    this.o.nodeFeed?.stop();
    for (const d of this.deliveries.values()) for (const f of d.feeds) f.stop();
    await Promise.allSettled([...this.pending]);
  }

  /** Every invariant's verdicts per window, from what was observed. */
  evaluate(windows: readonly FaultWindow[], endMs: number): InvariantResult[] {
    return this.o.invariants.map((inv) => {
      const spec = inv.spec;
      let verdicts: InvariantVerdict[];
      switch (spec.kind) {
        case 'nodeReadiness':
          verdicts = evaluateNodeReadiness(
            {
              node: spec.node,
              readyWithinMs: durationMs(spec.readyWithin, 0),
              ...(spec.notReadyWithin !== undefined
                ? { notReadyWithinMs: durationMs(spec.notReadyWithin, 0) }
                : {}),
              staysReady: spec.staysReady === true,
            },
            // A sample's answer may arrive after a watch event that came later: order by time.
            [...this.nodeSamples].sort((a, b) => a.atMs - b.atMs),
            windows,
            endMs,
          );
          break;
        case 'noPodRestart':
        case 'noPodRecreated':
          verdicts = evaluatePodStability(
            { kind: spec.kind, settleMs: durationMs(spec.settle, DEFAULT_POD_SETTLE_MS) },
            this.podSamples.get(`${spec.namespace ?? 'default'}\0${spec.selector}`) ?? [],
            windows,
          );
          break;
        case 'twinConverges':
          verdicts = evaluateTwin(
            { device: spec.device, property: spec.property, withinMs: durationMs(spec.within, 0) },
            this.twinSamples.get(spec.name) ?? [],
            windows,
          );
          break;
        case 'noDuplicateOrLostDelivery': {
          const d = this.deliveries.get(spec.name) ?? { cloud: [], edge: [], feeds: [] };
          verdicts = evaluateDelivery(
            { settleMs: durationMs(spec.settle, DEFAULT_SETTLE_MS), node: spec.node },
            d.cloud,
            d.edge,
            windows,
            endMs,
          );
          break;
        }
      }
      return {
        name: spec.name,
        kind: spec.kind,
        path: inv.path,
        line: inv.line,
        status: worst(verdicts),
        verdicts,
      };
    });
  }

  /** The node samples so far (for the report's timeline). */
  nodeHistory(): readonly NodeSample[] {
    return this.nodeSamples;
  }

  private every(key: string, ms: number, fn: () => Promise<void>): void {
    const tick = (): void => {
      // One look at a time: a slow answer (the API server restarting) does not pile up requests.
      if (this.busy.has(key)) return;
      this.busy.add(key);
      const p = fn().finally(() => {
        this.busy.delete(key);
        this.pending.delete(p);
      });
      this.pending.add(p);
    };
    tick();
    this.timers.push(this.o.clock.setInterval(tick, ms));
  }
}

/** fail over pass over skip. */
export function worst(verdicts: readonly { status: VerdictStatus }[]): VerdictStatus {
  if (verdicts.some((v) => v.status === 'fail')) return 'fail';
  if (verdicts.some((v) => v.status === 'pass')) return 'pass';
  return 'skip';
}
