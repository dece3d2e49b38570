/**
 * The result of a run: what the JSON report holds (`result.json`), and what the JUnit and HTML
 * reports are made from. Times are milliseconds since the scenario started (`startedAt`), so a
 * report reads as a timeline. `version` changes when a field changes meaning.
 */
import type { InvariantKind, StepKind } from '../scenario-types.ts';

export const REPORT_VERSION = 1;

export type StepStatus = 'passed' | 'failed' | 'skipped';

export type StepResult = {
  /** `steps[3]`, `steps[4].repeat.steps[0]`. */
  path: string;
  line: number;
  kind: StepKind;
  /** What it does, in a few words: `wait pods app=demo Ready`. */
  label: string;
  /** For steps inside repeat: which round, from 1. */
  iteration?: number;
  status: StepStatus;
  startMs?: number;
  endMs?: number;
  /** Why it failed. */
  message?: string;
  expected?: string;
  seen?: string;
  children?: StepResult[];
};

export type FaultKind = 'partition' | 'degrade' | 'flap' | 'kill' | 'stop' | 'restart';

/** A period with a fault in place, from its step until healed (or, for restart and flap, done). */
export type FaultWindow = {
  /** `w1`, `w2`, … in order of start. */
  id: string;
  kind: FaultKind;
  /** `partition edge-1 (blackhole)`. */
  label: string;
  /** Nodes whose link to the cloud it cuts (partition, edgecore killed or stopped). */
  cuts: string[];
  /** Nodes and components it touches. */
  nodes: string[];
  components: string[];
  startMs: number;
  /** Undefined while open. */
  endMs?: number;
  stepPath: string;
  line: number;
};

export type VerdictStatus = 'pass' | 'fail' | 'skip';

export type InvariantVerdict = {
  /** A window id, or `steady` for the time outside every window. */
  window: string;
  windowLabel: string;
  status: VerdictStatus;
  /** `NotReady after 11.2 s, Ready 3.1 s after heal`. */
  message: string;
  expected?: string;
  seen?: string;
  /** When the deciding observation was made (a violation, or the last check). */
  atMs?: number;
};

export type InvariantResult = {
  name: string;
  kind: InvariantKind;
  path: string;
  line: number;
  status: VerdictStatus;
  verdicts: InvariantVerdict[];
};

export type Measurement = {
  name: string;
  samples: number[];
  min: number;
  max: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
};

export type TimelineEventKind =
  'bench' | 'step' | 'fault' | 'heal' | 'measure' | 'invariant' | 'component' | 'failure';

export type TimelineEvent = { atMs: number; kind: TimelineEventKind; text: string; stepPath?: string };

export type LogExcerpt = { component: string; file: string; lines: string[] };

export type ScenarioStatus = 'passed' | 'failed' | 'error' | 'interrupted';

export type ScenarioResult = {
  name: string;
  file: string;
  description?: string;
  status: ScenarioStatus;
  /** ISO time the scenario started. */
  startedAt: string;
  durationMs: number;
  /** How long bringing the bench up took. */
  benchMs?: number;
  /** Why it did not pass: the first failing step or invariant, or the bench error. */
  failure?: {
    message: string;
    /** `scenarios/x.yaml:12`. */
    where?: string;
    expected?: string;
    seen?: string;
    atMs?: number;
    logs: LogExcerpt[];
  };
  steps: StepResult[];
  windows: FaultWindow[];
  invariants: InvariantResult[];
  measurements: Measurement[];
  events: TimelineEvent[];
  /** Each component's full log, copied beside the report. */
  logs: { component: string; file: string }[];
  dataDir: string;
};

export type RunReport = {
  version: typeof REPORT_VERSION;
  tool: 'edgeproof run';
  startedAt: string;
  durationMs: number;
  status: 'passed' | 'failed' | 'interrupted';
  scenarios: ScenarioResult[];
};
