/**
 * The scenario format as TypeScript: the shape `scenarios/schema/scenario.schema.json` accepts.
 * Values of these types exist only after validation (load-scenario.ts), so the runner can rely on
 * them; the schema is the one source of what is allowed, these types follow it.
 */

export type Duration = string;

export type BenchSpec = {
  nodes?: number;
  runtime?: 'process' | 'hollow';
  devices?: DeviceKind[];
  nodeGracePeriod?: Duration;
  statusFrequency?: Duration;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Each node's MQTT broker: edgecore's embedded one (default), or a mosquitto process per node. */
  mqtt?: 'embedded' | 'mosquitto';
};

export type DeviceKind = 'modbus' | 'opcua';
/** `edgecore` and `mqtt-broker` are per node (`node:` names which). */
export type ComponentKind = 'apiserver' | 'cloudcore' | 'edgecore' | 'mqtt-broker' | DeviceKind;

export type NodeReadinessInvariant = {
  name: string;
  kind: 'nodeReadiness';
  node: string;
  notReadyWithin?: Duration;
  readyWithin: Duration;
  staysReady?: boolean;
};

export type PodInvariant = {
  name: string;
  kind: 'noPodRestart' | 'noPodRecreated';
  selector: string;
  namespace?: string;
  settle?: Duration;
};

export type DeliveryInvariant = {
  name: string;
  kind: 'noDuplicateOrLostDelivery';
  configMap: string;
  namespace?: string;
  node: string;
  settle?: Duration;
};

export type TwinInvariant = {
  name: string;
  kind: 'twinConverges';
  device: string;
  namespace?: string;
  property: string;
  within: Duration;
};

export type InvariantSpec = NodeReadinessInvariant | PodInvariant | DeliveryInvariant | TwinInvariant;
export type InvariantKind = InvariantSpec['kind'];

export type ApplyStep = {
  file?: string;
  manifest?: Record<string, unknown>;
  manifests?: Record<string, unknown>[];
};
export type DeleteStep = { resource: string; selector?: string; namespace?: string };
export type WaitStep = {
  for: string;
  selector?: string;
  namespace?: string;
  node?: string;
  condition?: string;
  jsonpath?: string;
  deleted?: true;
  timeout?: Duration;
};
export type RunStep = {
  command: string;
  expectExit?: number;
  expectOutput?: string;
  timeout?: Duration;
  retryFor?: Duration;
};
export type GetAssert = {
  get: string;
  selector?: string;
  namespace?: string;
  jsonpath?: string;
  equals?: string | number | boolean;
  matches?: string;
  count?: number;
  within?: Duration;
};
/** A message on a node's MQTT broker (steps/mqtt-assert.ts). */
export type MqttAssert = {
  node: string;
  topic: string;
  matches?: string;
  within?: Duration;
  publish?: { topic: string; payload: string | Record<string, unknown> };
};
export type AssertStep =
  | { api: GetAssert }
  | { metaserver: GetAssert & { node: string } }
  | { mqtt: MqttAssert }
  | { process: { component: ComponentKind; node?: string; running: boolean } };

export type PartitionMode = 'clean-close' | 'blackhole' | 'half-open';
export type FaultStep = {
  partition?: { nodes: string[]; mode?: PartitionMode };
  degrade?: {
    nodes: string[];
    latency?: Duration;
    jitter?: Duration;
    bandwidth?: number;
    slice?: number;
    sliceDelay?: Duration;
  };
  flap?: { nodes: string[]; down: Duration; up: Duration; times: number; mode?: 'clean-close' | 'blackhole' };
  kill?: ComponentKind;
  stop?: ComponentKind;
  restart?: ComponentKind;
  node?: string;
  hard?: boolean;
  'partition-device'?: DeviceKind;
};
export type HealStep = 'all' | { nodes?: string[]; components?: ComponentKind[]; devices?: DeviceKind[] };
export type SignalStep = { device: DeviceKind; point: string; model: Record<string, unknown> };
export type MeasureStep = { name: string; steps?: StepSpec[]; from?: string; to?: string; max?: Duration };
export type RepeatStep = { times: number; steps: StepSpec[] };

/** One entry of `steps`: exactly one kind key, plus an optional id and name. */
export type StepSpec = {
  id?: string;
  name?: string;
  apply?: ApplyStep;
  delete?: DeleteStep;
  wait?: WaitStep;
  sleep?: Duration;
  run?: RunStep;
  assert?: AssertStep;
  fault?: FaultStep;
  heal?: HealStep;
  signal?: SignalStep;
  measure?: MeasureStep;
  parallel?: StepSpec[];
  repeat?: RepeatStep;
};

export const STEP_KINDS = [
  'apply',
  'delete',
  'wait',
  'sleep',
  'run',
  'assert',
  'fault',
  'heal',
  'signal',
  'measure',
  'parallel',
  'repeat',
] as const;
export type StepKind = (typeof STEP_KINDS)[number];

export type ScenarioSpec = {
  name: string;
  description?: string;
  timeout?: Duration;
  bench?: BenchSpec;
  invariants?: InvariantSpec[];
  steps: StepSpec[];
};

/** A step of a loaded scenario, with where it is written, so failures can point at it. */
export type StepNode = {
  /** `steps[3]`, `steps[4].repeat.steps[0]`. */
  path: string;
  /** 1-based line of the step in its file. */
  line: number;
  kind: StepKind;
  spec: StepSpec;
  /** The inner steps of parallel, repeat and measure. */
  children: StepNode[];
};

/** An invariant of a loaded scenario, with its line. */
export type InvariantNode = { path: string; line: number; spec: InvariantSpec };

/** A scenario read from a file and validated. */
export type LoadedScenario = {
  /** The file as the user named it (for messages), and its absolute path. */
  file: string;
  absoluteFile: string;
  spec: ScenarioSpec;
  steps: StepNode[];
  invariants: InvariantNode[];
};
