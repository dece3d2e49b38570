/**
 * Signal models: how a point's value changes over time. Values are computed from the elapsed
 * time at read time (no timers), so a FakeClock drives them in tests. Times are milliseconds since
 * the signal's epoch: the simulator's start, or the moment the signal was set at run time.
 */

/** A point value before it is encoded for a protocol. */
export type SignalValue = number | boolean | string;

/** Always `value`. */
export type ConstantSignal = { kind: 'constant'; value: SignalValue };

/**
 * A sensor's resolution: the value is rounded to the nearest multiple of it (0.1 reads 21.3, not
 * 21.2947…). Continuous signals take it; without it they give the exact value.
 */
export type Quantized = { resolution?: number };

/** `offset + amplitude · sin(2π·t/period + phase)`; `phase` in degrees. */
export type SineSignal = Quantized & {
  kind: 'sine';
  amplitude: number;
  /** ms */
  period: number;
  offset?: number;
  phase?: number;
};

/** From `from` to `to` linearly over `period` ms; then again from `from` (repeat, the default) or holds `to`. */
export type RampSignal = Quantized & {
  kind: 'ramp';
  from: number;
  to: number;
  period: number;
  repeat?: boolean;
};

/**
 * A bounded random walk: starts at `start`, every `interval` ms (default 1 s) moves by a uniform
 * amount in [-step, +step], clamped to [min, max]. Deterministic for a given `seed` (default 1).
 */
export type RandomWalkSignal = Quantized & {
  kind: 'random-walk';
  start: number;
  step: number;
  min: number;
  max: number;
  seed?: number;
  /** ms */
  interval?: number;
};

/** A schedule: the value of the last step whose `at` (ms) has passed; before the first, the first's value. */
export type StepsSignal = { kind: 'steps'; steps: { at: number; value: SignalValue }[] };

/**
 * A recorded series (from a CSV file of `time,value` rows, time in seconds). Between rows the
 * value holds (`interpolate: step`, the default) or moves linearly. With `loop` (the default) the
 * recording repeats; one loop lasts until the last row plus the gap before it.
 */
export type ReplaySignal = Quantized & {
  kind: 'replay';
  /** `at` in ms from the first row, ascending. */
  samples: { at: number; value: number }[];
  loop?: boolean;
  interpolate?: 'step' | 'linear';
  /** The CSV file the samples came from, for display. */
  file?: string;
};

export type SignalModel =
  ConstantSignal | SineSignal | RampSignal | RandomWalkSignal | StepsSignal | ReplaySignal;

export const SIGNAL_KINDS = ['constant', 'sine', 'ramp', 'random-walk', 'steps', 'replay'] as const;
export type SignalKind = (typeof SIGNAL_KINDS)[number];
