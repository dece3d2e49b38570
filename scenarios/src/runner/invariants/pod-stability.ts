/**
 * noPodRestart and noPodRecreated, judged from samples of the matching pods as the cloud reports
 * them. A pod is known by its name; at first sight its UID and restart count (the sum of its
 * containers' `restartCount`) are its baseline.
 *
 * - recreated: the same name with another UID (the pod was deleted and made again: for a
 *   KubeEdge pod bound to a node, offline autonomy has failed);
 * - restarted (noPodRestart only): the restart count went up (a container died and edged ran it
 *   again; with the process runtime, also a process that was not adopted after an edgecore
 *   restart).
 *
 * A pod that disappears is not a violation (the scenario may delete it). Each change is charged to
 * every window it falls in, from the window's start to `settle` after its end (the cloud learns of
 * a change made while the node was cut off only after heal), or to the steady state otherwise.
 */
import { formatMs } from '../duration.ts';
import type { FaultWindow, InvariantVerdict } from '../report/result-types.ts';
import { windowLabel } from './window-label.ts';

export type PodState = { uid: string; restarts: number };
export type PodSample = { atMs: number; pods: Record<string, PodState> } | { atMs: number; error: string };

export type PodRule = { kind: 'noPodRestart' | 'noPodRecreated'; settleMs: number };

type Change = { atMs: number; text: string };

export function evaluatePodStability(
  rule: PodRule,
  samples: readonly PodSample[],
  windows: readonly FaultWindow[],
): InvariantVerdict[] {
  const baseline = new Map<string, PodState>();
  const changes: Change[] = [];
  for (const s of samples) {
    if ('error' in s) continue;
    for (const [name, now] of Object.entries(s.pods)) {
      const before = baseline.get(name);
      baseline.set(name, now);
      if (before === undefined) continue;
      if (before.uid !== now.uid) {
        changes.push({
          atMs: s.atMs,
          text: `pod ${name} recreated (uid ${short(before.uid)} → ${short(now.uid)})`,
        });
      } else if (rule.kind === 'noPodRestart' && now.restarts > before.restarts) {
        changes.push({
          atMs: s.atMs,
          text: `pod ${name} restarted (restartCount ${before.restarts} → ${now.restarts})`,
        });
      }
    }
  }
  const inWindow = (w: FaultWindow, t: number): boolean =>
    t >= w.startMs && (w.endMs === undefined || t <= w.endMs + rule.settleMs);
  const what = rule.kind === 'noPodRestart' ? 'UID and restart count unchanged' : 'UID unchanged';
  const verdict = (id: string, label: string, mine: Change[]): InvariantVerdict => {
    const first = mine[0];
    if (first === undefined) {
      return {
        window: id,
        windowLabel: label,
        status: 'pass',
        message: `${baseline.size} pod${baseline.size === 1 ? '' : 's'}: ${what}`,
      };
    }
    return {
      window: id,
      windowLabel: label,
      status: 'fail',
      message: `${first.text} at ${formatMs(first.atMs)}${mine.length > 1 ? ` (and ${mine.length - 1} more)` : ''}`,
      expected: `every pod: ${what}`,
      seen: mine.map((c) => c.text).join('; '),
      atMs: first.atMs,
    };
  };
  const verdicts = windows.map((w) =>
    verdict(
      w.id,
      windowLabel(w),
      changes.filter((c) => inWindow(w, c.atMs)),
    ),
  );
  verdicts.push(
    verdict(
      'steady',
      'steady state (outside fault windows)',
      changes.filter((c) => !windows.some((w) => inWindow(w, c.atMs))),
    ),
  );
  if (baseline.size === 0) {
    for (const v of verdicts) {
      v.status = 'fail';
      v.message = 'no pod matched the selector';
      v.expected = 'at least one matching pod';
      v.seen = 'none';
    }
  }
  return verdicts;
}

function short(uid: string): string {
  return uid.slice(0, 8);
}
