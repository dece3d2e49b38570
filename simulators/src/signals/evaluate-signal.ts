/**
 * Turns a signal model into a function of elapsed time. Pure except for the random walk, which
 * caches its last step so reading it every cycle stays O(1) (it restarts from the seed when time
 * goes backwards, so it is still a function of time).
 */
import { mulberry32 } from './prng.ts';
import type { RandomWalkSignal, ReplaySignal, SignalModel, SignalValue } from './signal-model.ts';

export type SignalFunction = (elapsedMs: number) => SignalValue;

export function evaluateSignal(model: SignalModel): SignalFunction {
  const exact = exactSignal(model);
  const resolution = 'resolution' in model ? model.resolution : undefined;
  if (resolution === undefined) return exact;
  return (t) => {
    const v = exact(t);
    return typeof v === 'number' ? quantize(v, resolution) : v;
  };
}

/**
 * `value` rounded to the nearest multiple of `resolution`, printed as that many decimals would
 * print it (Math.round(v / 0.1) * 0.1 alone gives 21.300000000000001).
 */
function quantize(value: number, resolution: number): number {
  const rounded = Math.round(value / resolution) * resolution;
  return Number(rounded.toFixed(Math.min(20, decimalsOf(resolution))));
}

/** Digits after the decimal point in `n`'s shortest form: 0.25 → 2, 1e-7 → 7, 5 → 0. */
function decimalsOf(n: number): number {
  const [mantissa = '', exponent] = n.toExponential().split('e');
  const fraction = mantissa.split('.')[1]?.length ?? 0;
  return Math.max(0, fraction - Number(exponent));
}

function exactSignal(model: SignalModel): SignalFunction {
  switch (model.kind) {
    case 'constant':
      return () => model.value;
    case 'sine': {
      const offset = model.offset ?? 0;
      const phase = ((model.phase ?? 0) * Math.PI) / 180;
      return (t) => offset + model.amplitude * Math.sin((2 * Math.PI * clamp0(t)) / model.period + phase);
    }
    case 'ramp': {
      const span = model.to - model.from;
      const repeat = model.repeat ?? true;
      return (t) => {
        const e = clamp0(t);
        const frac = repeat ? (e % model.period) / model.period : Math.min(e / model.period, 1);
        return model.from + span * frac;
      };
    }
    case 'random-walk':
      return randomWalk(model);
    case 'steps': {
      const steps = [...model.steps].sort((a, b) => a.at - b.at);
      return (t) => {
        let value = steps[0]?.value ?? 0;
        for (const s of steps) {
          if (s.at > t) break;
          value = s.value;
        }
        return value;
      };
    }
    case 'replay':
      return replay(model);
  }
}

function clamp0(t: number): number {
  return t < 0 ? 0 : t;
}

function randomWalk(model: RandomWalkSignal): SignalFunction {
  const interval = model.interval ?? 1000;
  const seed = model.seed ?? 1;
  const clampValue = (v: number): number => Math.min(model.max, Math.max(model.min, v));
  let rng = mulberry32(seed);
  let stepIndex = 0;
  let value = clampValue(model.start);
  return (t) => {
    const target = Math.floor(clamp0(t) / interval);
    if (target < stepIndex) {
      rng = mulberry32(seed);
      stepIndex = 0;
      value = clampValue(model.start);
    }
    for (; stepIndex < target; stepIndex++) value = clampValue(value + model.step * (2 * rng() - 1));
    return value;
  };
}

function replay(model: ReplaySignal): SignalFunction {
  const samples = model.samples;
  const first = samples[0];
  if (first === undefined) return () => 0;
  const last = samples[samples.length - 1] ?? first;
  const before = samples[samples.length - 2];
  // One loop lasts until the last row plus the gap before it, so a uniformly sampled recording
  // repeats with its own rhythm (a one-row recording is a constant).
  const period = last.at + (before ? last.at - before.at : 0);
  const loop = (model.loop ?? true) && period > 0;
  const linear = model.interpolate === 'linear';
  return (t) => {
    let e = clamp0(t);
    if (loop) e %= period;
    if (e >= last.at) {
      // Past the last row: in a loop, linear interpolation runs back towards the first value.
      if (loop && linear && period > last.at) {
        return last.value + ((first.value - last.value) * (e - last.at)) / (period - last.at);
      }
      return last.value;
    }
    // Binary search for the last row at or before e.
    let lo = 0;
    let hi = samples.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((samples[mid]?.at ?? 0) <= e) lo = mid;
      else hi = mid - 1;
    }
    const a = samples[lo] ?? first;
    const b = samples[lo + 1];
    if (!linear || b === undefined || b.at === a.at) return a.value;
    return a.value + ((b.value - a.value) * (e - a.at)) / (b.at - a.at);
  };
}
