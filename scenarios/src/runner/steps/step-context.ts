/**
 * What a step needs while it runs: the bench, kubectl, the fault windows, the clock, the
 * variables, and where to record what happened. One per scenario run.
 */
import type { Clock } from '@edgeproof/core';
import type { Bench } from '../bench/bench.ts';
import type { FaultTracker } from '../fault-tracker.ts';
import type { Kubectl } from '../kubectl.ts';
import type { StepResult, TimelineEvent } from '../report/result-types.ts';
import type { VariableValues } from '../variables.ts';

/** Live progress of steps, for the terminal (progress.ts). */
export interface StepProgress {
  stepStarted(path: string, label: string, depth: number, iteration?: number): void;
  stepFinished(result: StepResult, depth: number): void;
  note(text: string): void;
}

export type StepContext = {
  bench: Bench;
  kubectl: Kubectl;
  faults: FaultTracker;
  clock: Clock;
  /** The scenario's start (clock time); events are relative to it. */
  t0: number;
  vars: VariableValues;
  /** The directory of the scenario file, for `apply.file`. */
  scenarioDir: string;
  /** Where applied manifests are written (inside the data dir). */
  manifestsDir: string;
  record: (event: TimelineEvent) => void;
  /** Samples of each measure, by name. */
  measurements: Map<string, number[]>;
  /** The latest start and end of each step with an id (for measure from/to). */
  stepTimes: Map<string, { startMs: number; endMs?: number }>;
  progress: StepProgress;
};

/** Milliseconds since the scenario started. */
export function elapsed(ctx: Pick<StepContext, 'clock' | 't0'>): number {
  return ctx.clock.now() - ctx.t0;
}
