/**
 * noDuplicateOrLostDelivery for one ConfigMap, from two watches the runner keeps for the whole
 * run: one on the cloud (every version the API server acknowledged) and one on the node's
 * MetaServer (what reached the edge's store; kubeedge-protocol.md §5: MetaServer serves the store).
 * The definition, precisely:
 *
 * 1. no duplicate: within one watch connection to MetaServer, no resourceVersion arrives twice (the
 *    edge stored the same version again: a resend the edge did not recognise as one, §3.2). A
 *    reconnect of the watch itself (edgecore restarted) starts a new connection, and lists first;
 * 2. no going back: the edge never sees a version older than one it saw before. resourceVersions are
 *    compared as integers, which holds for the embedded API server (one cluster-wide counter);
 * 3. no loss: every version that stayed the newest on the cloud for at least `settle` outside the
 *    node's fault windows (it was not superseded before the edge could reasonably have it) is seen
 *    at the edge. KubeEdge delivers state, not every change: versions superseded sooner, or while
 *    the node was cut off, may be coalesced, and that is not a loss;
 * 4. convergence: the edge's last version is the cloud's last (a special case of 3, since the runner
 *    waits `settle` after the last step).
 *
 * Each violation is charged to every window it falls in (from the start to `settle` after the end)
 * or to the steady state. Windows of other nodes' faults get no verdict.
 */
import { formatMs } from '../duration.ts';
import type { FaultWindow, InvariantVerdict } from '../report/result-types.ts';
import { concerns } from './node-readiness.ts';
import { windowLabel } from './window-label.ts';

/** A version the cloud acknowledged (seen by the cloud watch). */
export type CloudVersion = { atMs: number; rv: number };
/** What the edge watch saw: a listed version at (re)connect, or a watch event. */
export type EdgeObservation = {
  atMs: number;
  rv: number;
  type: 'LIST' | 'ADDED' | 'MODIFIED';
  connection: number;
};

export type DeliveryRule = { settleMs: number; node: string };

type Violation = { atMs: number; text: string };

export function evaluateDelivery(
  rule: DeliveryRule,
  cloud: readonly CloudVersion[],
  edge: readonly EdgeObservation[],
  windows: readonly FaultWindow[],
  endMs: number,
): InvariantVerdict[] {
  const violations: Violation[] = [];
  const perConnection = new Map<number, Set<number>>();
  let highest = -1;
  for (const e of edge) {
    const set = perConnection.get(e.connection) ?? new Set<number>();
    perConnection.set(e.connection, set);
    if (e.type !== 'LIST' && set.has(e.rv))
      violations.push({ atMs: e.atMs, text: `version ${e.rv} delivered twice` });
    if (e.rv < highest)
      violations.push({ atMs: e.atMs, text: `version ${e.rv} seen after the newer ${highest}` });
    set.add(e.rv);
    highest = Math.max(highest, e.rv);
  }
  const atEdge = new Set(edge.map((e) => e.rv));
  const distinct = dedupe(cloud);
  const relevant = windows.filter((w) => concerns(w, rule.node));
  distinct.forEach((c, i) => {
    const until = distinct[i + 1]?.atMs ?? endMs;
    // Only time with the link up counts: a version superseded while the node was cut off (or its
    // link flapping) may be coalesced away, which is KubeEdge's level-based delivery, not a loss.
    const upFor = until - c.atMs - covered(relevant, c.atMs, until, endMs);
    if (upFor >= rule.settleMs && !atEdge.has(c.rv)) {
      violations.push({
        atMs: c.atMs,
        text: `version ${c.rv} (newest on the cloud for ${formatMs(until - c.atMs)}, ${formatMs(upFor)} of it outside faults) never reached the edge`,
      });
    }
  });
  const last = distinct.at(-1);
  const edgeLast = edge.at(-1)?.rv;
  if (last !== undefined && edgeLast !== last.rv && endMs - last.atMs >= rule.settleMs) {
    violations.push({
      atMs: endMs,
      text: `the edge ended at version ${edgeLast ?? 'none'}, the cloud at ${last.rv}`,
    });
  }
  violations.sort((a, b) => a.atMs - b.atMs);
  const inWindow = (w: FaultWindow, t: number): boolean =>
    t >= w.startMs && (w.endMs === undefined || t <= w.endMs + rule.settleMs);
  const summary = `${distinct.length} cloud version${distinct.length === 1 ? '' : 's'}, ${atEdge.size} seen at the edge`;
  const verdict = (id: string, label: string, mine: Violation[]): InvariantVerdict => {
    const first = mine[0];
    if (first === undefined)
      return {
        window: id,
        windowLabel: label,
        status: 'pass',
        message: `no duplicate or lost version (${summary})`,
      };
    return {
      window: id,
      windowLabel: label,
      status: 'fail',
      message: `${first.text}${mine.length > 1 ? ` (and ${mine.length - 1} more)` : ''}`,
      expected: 'every settled version at the edge exactly once, in order',
      seen: mine.map((v) => v.text).join('; '),
      atMs: first.atMs,
    };
  };
  const verdicts = relevant.map((w) =>
    verdict(
      w.id,
      windowLabel(w),
      violations.filter((v) => inWindow(w, v.atMs)),
    ),
  );
  verdicts.push(
    verdict(
      'steady',
      'steady state (outside fault windows)',
      violations.filter((v) => !relevant.some((w) => inWindow(w, v.atMs))),
    ),
  );
  if (distinct.length === 0) {
    for (const v of verdicts) {
      v.status = 'fail';
      v.message = 'the ConfigMap was never seen on the cloud';
      v.expected = 'the ConfigMap to exist';
      v.seen = 'no version';
    }
  }
  return verdicts;
}

/** How much of [from, to) the windows cover (their union). */
function covered(windows: readonly FaultWindow[], from: number, to: number, endMs: number): number {
  const spans = windows
    .map((w) => [Math.max(from, w.startMs), Math.min(to, w.endMs ?? endMs)] as const)
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0]);
  let total = 0;
  let reach = from;
  for (const [a, b] of spans) {
    const start = Math.max(a, reach);
    if (b > start) total += b - start;
    reach = Math.max(reach, b);
  }
  return total;
}

/** Versions in order of arrival, each once (a watch reconnect lists the current one again). */
function dedupe(cloud: readonly CloudVersion[]): CloudVersion[] {
  const seen = new Set<number>();
  const out: CloudVersion[] = [];
  for (const c of cloud) {
    if (seen.has(c.rv)) continue;
    seen.add(c.rv);
    out.push(c);
  }
  return out;
}
