/**
 * nodeReadiness, judged per fault window from samples of the node's Ready condition as the cloud
 * reports it (what kube-controller-manager's node lifecycle, here cloudcore's, decides):
 *
 * - a window that cuts the node off (a partition of it, its edgecore killed or stopped): the node
 *   is NotReady (`Ready` False or Unknown) within `notReadyWithin` of the window's start (when
 *   given), and Ready again within `readyWithin` of its end (heal);
 * - any other window that concerns the node (its link flapping or degraded, cloudcore or the API
 *   server restarted; not faults of other nodes): the node is Ready within `readyWithin` of the
 *   window's end and, with `staysReady`, Ready throughout;
 * - the rest of the run ("steady state", outside every window and its `readyWithin` after the
 *   end): Ready, from the first time it was seen Ready.
 *
 * Samples taken while the API server could not answer tell nothing and are skipped.
 */
import { formatMs, formatOffset } from '../duration.ts';
import type { FaultWindow, InvariantVerdict } from '../report/result-types.ts';
import { windowLabel } from './window-label.ts';

/** One look at the nodes: each node's `Ready` status, or why there was no answer. */
export type NodeSample = { atMs: number; ready: Record<string, string> } | { atMs: number; error: string };

export type NodeReadinessRule = {
  node: string;
  notReadyWithinMs?: number;
  readyWithinMs: number;
  staysReady: boolean;
};

type Seen = { atMs: number; ready: boolean };

export function evaluateNodeReadiness(
  rule: NodeReadinessRule,
  samples: readonly NodeSample[],
  windows: readonly FaultWindow[],
  endMs: number,
): InvariantVerdict[] {
  const seen: Seen[] = [];
  for (const s of samples) {
    if ('error' in s) continue;
    const status = s.ready[rule.node];
    seen.push({ atMs: s.atMs, ready: status === 'True' });
  }
  const verdicts: InvariantVerdict[] = [];
  const cutWindows = windows.filter((w) => w.cuts.includes(rule.node));
  // Times a cut (and the recovery after it) excuses: other windows are not judged there.
  const excused = (t: number): boolean =>
    cutWindows.some((w) => t >= w.startMs && (w.endMs === undefined || t <= w.endMs + rule.readyWithinMs));
  const cutUntil = cutSpans(cutWindows);
  for (const w of windows) {
    if (!concerns(w, rule.node)) continue;
    const label = windowLabel(w);
    if (w.cuts.includes(rule.node)) verdicts.push(judgeCut(rule, w, seen, cutUntil.get(w.id), endMs, label));
    else verdicts.push(judgeOther(rule, w, seen, w.endMs, label, excused));
  }
  verdicts.push(
    judgeSteady(
      rule,
      seen,
      windows.filter((w) => concerns(w, rule.node)),
    ),
  );
  return verdicts;
}

/** Whether a window can touch the node: its own faults, and those of the cloud it depends on. */
export function concerns(w: FaultWindow, node: string): boolean {
  return w.nodes.includes(node) || w.components.some((c) => c === 'apiserver' || c === 'cloudcore');
}

/**
 * For each cut window, when the node is connected again: the end of the run of overlapping cuts it
 * belongs to (a partition healed while edgecore is still down leaves the node cut off until
 * edgecore is back). Undefined while one of them is open.
 */
function cutSpans(cuts: readonly FaultWindow[]): Map<string, number | undefined> {
  const sorted = [...cuts].sort((a, b) => a.startMs - b.startMs);
  const out = new Map<string, number | undefined>();
  let group: FaultWindow[] = [];
  let groupEnd: number | undefined = -Infinity;
  const flush = (): void => {
    for (const w of group) out.set(w.id, groupEnd);
    group = [];
  };
  for (const w of sorted) {
    if (group.length > 0 && groupEnd !== undefined && w.startMs > groupEnd) flush();
    if (group.length === 0) groupEnd = w.endMs;
    else groupEnd = groupEnd === undefined || w.endMs === undefined ? undefined : Math.max(groupEnd, w.endMs);
    group.push(w);
  }
  flush();
  return out;
}

function judgeCut(
  rule: NodeReadinessRule,
  w: FaultWindow,
  seen: readonly Seen[],
  end: number | undefined,
  runEndMs: number,
  label: string,
): InvariantVerdict {
  const parts: string[] = [];
  if (rule.notReadyWithinMs !== undefined) {
    const until = end ?? runEndMs;
    const first = seen.find((s) => s.atMs >= w.startMs && s.atMs <= until && !s.ready);
    const after = first === undefined ? undefined : first.atMs - w.startMs;
    if (after === undefined || after > rule.notReadyWithinMs) {
      return {
        window: w.id,
        windowLabel: label,
        status: 'fail',
        message: `not NotReady within ${formatMs(rule.notReadyWithinMs)} of the cut`,
        expected: `${rule.node} NotReady within ${formatMs(rule.notReadyWithinMs)} of the cut`,
        seen:
          after === undefined
            ? `Ready for all ${formatMs(until - w.startMs)} of the window`
            : `NotReady only after ${formatMs(after)}`,
        atMs: w.startMs + rule.notReadyWithinMs,
      };
    }
    parts.push(`NotReady after ${formatMs(after)}`);
  }
  if (end === undefined) {
    return {
      window: w.id,
      windowLabel: label,
      status: parts.length > 0 ? 'pass' : 'skip',
      message: [...parts, 'never healed: Ready after heal not checked'].join('; '),
    };
  }
  const back = seen.find((s) => s.atMs >= end && s.ready);
  const lastLook = seen.at(-1)?.atMs ?? end;
  if (back === undefined || back.atMs - end > rule.readyWithinMs) {
    return {
      window: w.id,
      windowLabel: label,
      status: 'fail',
      message: [...parts, `not Ready within ${formatMs(rule.readyWithinMs)} of the heal`].join('; '),
      expected: `${rule.node} Ready within ${formatMs(rule.readyWithinMs)} of the heal`,
      seen:
        back === undefined
          ? `still NotReady ${formatMs(Math.max(0, lastLook - end))} after the heal`
          : `Ready only after ${formatMs(back.atMs - end)}`,
      atMs: end + rule.readyWithinMs,
    };
  }
  parts.push(
    `Ready ${formatMs(back.atMs - end)} after heal${end !== w.endMs ? ` (cut off until ${formatOffset(end)})` : ''}`,
  );
  return { window: w.id, windowLabel: label, status: 'pass', message: parts.join(', '), atMs: back.atMs };
}

function judgeOther(
  rule: NodeReadinessRule,
  w: FaultWindow,
  seen: readonly Seen[],
  end: number | undefined,
  label: string,
  excused: (t: number) => boolean,
): InvariantVerdict {
  if (rule.staysReady) {
    const dip = seen.find(
      (s) => s.atMs >= w.startMs && (end === undefined || s.atMs <= end) && !s.ready && !excused(s.atMs),
    );
    if (dip) {
      return {
        window: w.id,
        windowLabel: label,
        status: 'fail',
        message: `NotReady ${formatMs(dip.atMs - w.startMs)} into the window`,
        expected: `${rule.node} Ready throughout`,
        seen: `NotReady at ${formatMs(dip.atMs)}`,
        atMs: dip.atMs,
      };
    }
  }
  if (end === undefined) {
    return {
      window: w.id,
      windowLabel: label,
      status: 'skip',
      message: 'never ended: Ready after it not checked',
    };
  }
  const back = seen.find((s) => s.atMs >= end && s.ready);
  if (back === undefined || back.atMs - end > rule.readyWithinMs) {
    if (excused(end))
      return {
        window: w.id,
        windowLabel: label,
        status: 'skip',
        message: `${rule.node} was cut off meanwhile`,
      };
    return {
      window: w.id,
      windowLabel: label,
      status: 'fail',
      message: `not Ready within ${formatMs(rule.readyWithinMs)} of the end`,
      expected: `${rule.node} Ready within ${formatMs(rule.readyWithinMs)} of the end`,
      seen:
        back === undefined
          ? 'not Ready again before the run ended'
          : `Ready only after ${formatMs(back.atMs - end)}`,
      atMs: end + rule.readyWithinMs,
    };
  }
  return {
    window: w.id,
    windowLabel: label,
    status: 'pass',
    message: rule.staysReady ? 'Ready throughout' : `Ready ${formatMs(back.atMs - end)} after the end`,
    atMs: back.atMs,
  };
}

function judgeSteady(
  rule: NodeReadinessRule,
  seen: readonly Seen[],
  windows: readonly FaultWindow[],
): InvariantVerdict {
  const covered = (t: number): boolean =>
    windows.some((w) => t >= w.startMs && (w.endMs === undefined || t <= w.endMs + rule.readyWithinMs));
  const firstReady = seen.find((s) => s.ready);
  const label = 'steady state (outside fault windows)';
  if (firstReady === undefined) {
    return {
      window: 'steady',
      windowLabel: label,
      status: 'fail',
      message: `${rule.node} was never seen Ready`,
      expected: `${rule.node} Ready`,
      seen: seen.length === 0 ? 'no answer from the API server' : 'NotReady at every look',
    };
  }
  const dip = seen.find((s) => s.atMs >= firstReady.atMs && !s.ready && !covered(s.atMs));
  if (dip) {
    return {
      window: 'steady',
      windowLabel: label,
      status: 'fail',
      message: `NotReady at ${formatMs(dip.atMs)} with no fault in place`,
      expected: `${rule.node} Ready outside fault windows`,
      seen: `NotReady at ${formatMs(dip.atMs)}`,
      atMs: dip.atMs,
    };
  }
  const looks = seen.filter((s) => s.atMs >= firstReady.atMs && !covered(s.atMs)).length;
  return { window: 'steady', windowLabel: label, status: 'pass', message: `Ready at all ${looks} looks` };
}
