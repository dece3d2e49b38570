/**
 * Strict parsing of a signal model from YAML or JSON (config files and `PUT /points/{name}/signal`).
 * Durations may be written `10s` or as milliseconds; the result holds milliseconds.
 */
import { isAbsolute, resolve } from 'node:path';
import { ConfigError, IssueList, type FieldPath } from '../config/config-error.ts';
import {
  describe,
  duration,
  isObject,
  list,
  mapping,
  number,
  oneOf,
  optionalBoolean,
  optionalNumber,
  optionalOneOf,
  optionalString,
  type Obj,
} from '../config/fields.ts';
import { readCsvSamples } from './csv.ts';
import { SIGNAL_KINDS, type SignalModel, type SignalValue, type SignalKind } from './signal-model.ts';

export type ParseSignalOptions = {
  /** Where a relative replay `file` is found: the config file's folder, or the working directory. */
  baseDir?: string;
};

const FIELDS: Record<SignalKind, readonly string[]> = {
  constant: ['kind', 'value'],
  sine: ['kind', 'amplitude', 'period', 'offset', 'phase', 'resolution'],
  ramp: ['kind', 'from', 'to', 'period', 'repeat', 'resolution'],
  'random-walk': ['kind', 'start', 'step', 'min', 'max', 'seed', 'interval', 'resolution'],
  steps: ['kind', 'steps'],
  replay: ['kind', 'file', 'samples', 'loop', 'interpolate', 'resolution'],
};

export function parseSignal(
  value: unknown,
  path: FieldPath,
  issues: IssueList,
  options: ParseSignalOptions = {},
): SignalModel | undefined {
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string') {
    // Shorthand: `signal: 21.5` is a constant.
    return { kind: 'constant', value };
  }
  const before = issues.count;
  if (!isObject(value)) {
    issues.add(path, `must be a mapping with a kind (${SIGNAL_KINDS.join(', ')}), or a constant value`);
    return undefined;
  }
  const kind = oneOf(value, 'kind', path, issues, SIGNAL_KINDS);
  if (!kind) return undefined;
  const o = mapping(value, path, issues, FIELDS[kind]);
  if (!o) return undefined;
  const model = parseKind(kind, o, path, issues, options);
  const resolution = optionalNumber(o, 'resolution', path, issues, { positive: true });
  if (issues.count !== before || model === undefined) return undefined;
  // FIELDS lets only the continuous kinds have a resolution.
  if (resolution === undefined || model.kind === 'constant' || model.kind === 'steps') return model;
  return { ...model, resolution };
}

function parseKind(
  kind: SignalKind,
  o: Obj,
  path: FieldPath,
  issues: IssueList,
  options: ParseSignalOptions,
): SignalModel | undefined {
  switch (kind) {
    case 'constant': {
      const v = signalValue(o.value, [...path, 'value'], issues);
      return v === undefined ? undefined : { kind, value: v };
    }
    case 'sine': {
      const amplitude = number(o, 'amplitude', path, issues);
      const period = duration(o, 'period', path, issues, { positive: true });
      const offset = optionalNumber(o, 'offset', path, issues);
      const phase = optionalNumber(o, 'phase', path, issues);
      if (amplitude === undefined || period === undefined) return undefined;
      return {
        kind,
        amplitude,
        period,
        ...(offset !== undefined ? { offset } : {}),
        ...(phase !== undefined ? { phase } : {}),
      };
    }
    case 'ramp': {
      const from = number(o, 'from', path, issues);
      const to = number(o, 'to', path, issues);
      const period = duration(o, 'period', path, issues, { positive: true });
      const repeat = optionalBoolean(o, 'repeat', path, issues);
      if (from === undefined || to === undefined || period === undefined) return undefined;
      return { kind, from, to, period, ...(repeat !== undefined ? { repeat } : {}) };
    }
    case 'random-walk': {
      const start = number(o, 'start', path, issues);
      const step = number(o, 'step', path, issues, { min: 0 });
      const min = number(o, 'min', path, issues);
      const max = number(o, 'max', path, issues);
      const seed = optionalNumber(o, 'seed', path, issues, { integer: true, min: 0, max: 2 ** 32 - 1 });
      const interval =
        o.interval === undefined ? undefined : duration(o, 'interval', path, issues, { positive: true });
      if (min !== undefined && max !== undefined && min > max) {
        issues.add([...path, 'max'], `must not be below min (${min})`);
        return undefined;
      }
      if (start === undefined || step === undefined || min === undefined || max === undefined)
        return undefined;
      return {
        kind,
        start,
        step,
        min,
        max,
        ...(seed !== undefined ? { seed } : {}),
        ...(interval !== undefined ? { interval } : {}),
      };
    }
    case 'steps': {
      const raw = list(o.steps, [...path, 'steps'], issues);
      if (!raw) return undefined;
      if (raw.length === 0) {
        issues.add([...path, 'steps'], 'needs at least one {at, value} step');
        return undefined;
      }
      const steps: { at: number; value: SignalValue }[] = [];
      raw.forEach((s, i) => {
        const at = [...path, 'steps', i];
        const so = mapping(s, at, issues, ['at', 'value']);
        if (!so) return;
        const when = duration(so, 'at', at, issues);
        const v = signalValue(so.value, [...at, 'value'], issues);
        if (when !== undefined && v !== undefined) steps.push({ at: when, value: v });
      });
      return steps.length === raw.length ? { kind, steps } : undefined;
    }
    case 'replay': {
      const loop = optionalBoolean(o, 'loop', path, issues);
      const interpolate = optionalOneOf(o, 'interpolate', path, issues, ['step', 'linear'] as const);
      const file = optionalString(o, 'file', path, issues);
      const extra = {
        ...(loop !== undefined ? { loop } : {}),
        ...(interpolate !== undefined ? { interpolate } : {}),
      };
      if (file === undefined && o.samples === undefined) {
        issues.add(path, 'a replay signal needs file (a CSV of time,value rows) or samples');
        return undefined;
      }
      // With samples, file only names where they came from (as GET /points shows it).
      if (file !== undefined && o.samples === undefined) {
        const full = isAbsolute(file) ? file : resolve(options.baseDir ?? process.cwd(), file);
        try {
          return { kind, samples: readCsvSamples(full), file: full, ...extra };
        } catch (err) {
          if (!(err instanceof ConfigError)) throw err;
          for (const issue of err.issues) issues.addIssue(issue);
          issues.add([...path, 'file'], `the CSV file ${full} is not usable (see above)`);
          return undefined;
        }
      }
      const raw = list(o.samples, [...path, 'samples'], issues);
      if (!raw) return undefined;
      const samples: { at: number; value: number }[] = [];
      raw.forEach((s, i) => {
        const at = [...path, 'samples', i];
        const so = mapping(s, at, issues, ['at', 'value']);
        if (!so) return;
        const when = duration(so, 'at', at, issues);
        const v = number(so, 'value', at, issues);
        const prev = samples[samples.length - 1];
        if (when !== undefined && prev && when < prev.at) {
          issues.add([...at, 'at'], 'samples must be in time order');
          return;
        }
        if (when !== undefined && v !== undefined) samples.push({ at: when, value: v });
      });
      if (raw.length === 0) issues.add([...path, 'samples'], 'needs at least one {at, value} sample');
      return samples.length === raw.length && raw.length > 0
        ? { kind, samples, ...extra, ...(file !== undefined ? { file } : {}) }
        : undefined;
    }
  }
}

function signalValue(value: unknown, path: FieldPath, issues: IssueList): SignalValue | undefined {
  if (typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  issues.add(path, `must be a number, true/false or a string, not ${describe(value)}`);
  return undefined;
}

/**
 * A signal model from JSON or YAML values, for code that has one in hand (a scenario step).
 * @throws ConfigError saying which field is wrong.
 */
export function parseSignalModel(
  value: unknown,
  source = 'signal',
  options: ParseSignalOptions = {},
): SignalModel {
  const issues = new IssueList(source);
  const model = parseSignal(value, [], issues, options);
  issues.throwIfAny();
  return model as SignalModel;
}
