/**
 * twinConverges, judged from samples of one device property: the desired value (the Device's
 * `spec.properties[].desired.value`) and the reported one (its DeviceStatus'
 * `status.twins[].reported.value`, written by DeviceController from the mapper's twin reports,
 * kubeedge-protocol.md §7.4). After every fault window ends, the reported value equals the desired
 * one within `within`; and at the end of the run they are equal ("steady state": the twin has
 * converged). Samples without an answer (the API server down) are skipped.
 */
import { formatMs } from '../duration.ts';
import type { FaultWindow, InvariantVerdict } from '../report/result-types.ts';
import { windowLabel } from './window-label.ts';

export type TwinValues = { desired?: string; reported?: string };
export type TwinSample = ({ atMs: number } & TwinValues) | { atMs: number; error: string };

export type TwinRule = { device: string; property: string; withinMs: number };

type Seen = { atMs: number; desired?: string; reported?: string; converged: boolean };

export function evaluateTwin(
  rule: TwinRule,
  samples: readonly TwinSample[],
  windows: readonly FaultWindow[],
): InvariantVerdict[] {
  const seen: Seen[] = samples
    .filter((s): s is { atMs: number } & TwinValues => !('error' in s))
    .map((s) => ({ ...s, converged: s.desired !== undefined && s.reported === s.desired }));
  const what = `${rule.device} ${rule.property}`;
  const verdicts: InvariantVerdict[] = windows.map((w) => {
    const label = windowLabel(w);
    const end = w.endMs;
    if (end === undefined)
      return { window: w.id, windowLabel: label, status: 'skip', message: 'never healed: not checked' };
    const back = seen.find((s) => s.atMs >= end && s.converged);
    if (back !== undefined && back.atMs - end <= rule.withinMs) {
      return {
        window: w.id,
        windowLabel: label,
        status: 'pass',
        message: `reported = desired (${JSON.stringify(back.desired)}) ${formatMs(back.atMs - end)} after the end`,
        atMs: back.atMs,
      };
    }
    const last = seen.filter((s) => s.atMs >= end && s.atMs <= end + rule.withinMs).at(-1);
    return {
      window: w.id,
      windowLabel: label,
      status: 'fail',
      message: `${what}: reported not the desired value within ${formatMs(rule.withinMs)} of the end`,
      expected: `${what} reported = desired within ${formatMs(rule.withinMs)}`,
      seen: back !== undefined ? `only after ${formatMs(back.atMs - end)}` : describe(last),
      atMs: end + rule.withinMs,
    };
  });
  const final = seen.at(-1);
  verdicts.push(
    final?.converged === true
      ? {
          window: 'steady',
          windowLabel: 'end of the run',
          status: 'pass',
          message: `reported = desired (${JSON.stringify(final.desired)})`,
        }
      : {
          window: 'steady',
          windowLabel: 'end of the run',
          status: 'fail',
          message: `${what} did not converge`,
          expected: `${what} reported = desired`,
          seen: describe(final),
          ...(final !== undefined ? { atMs: final.atMs } : {}),
        },
  );
  return verdicts;
}

function describe(s: { desired?: string; reported?: string } | undefined): string {
  if (s === undefined) return 'no answer from the API server';
  if (s.desired === undefined) return 'the Device has no desired value for the property';
  return `desired ${JSON.stringify(s.desired)}, reported ${s.reported === undefined ? 'nothing' : JSON.stringify(s.reported)}`;
}
