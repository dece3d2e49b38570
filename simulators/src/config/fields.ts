/**
 * Small strict readers for configuration values: each checks one field of a plain object (parsed
 * YAML or JSON), records a problem with its path when the field is wrong, and returns undefined
 * then, so one pass finds every mistake.
 */
import { parseDuration } from '../duration.ts';
import { formatPath, type FieldPath, type IssueList } from './config-error.ts';

export type Obj = Record<string, unknown>;

export function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `value` as a mapping with only `allowed` keys; unknown keys are problems (strict configs catch typos). */
export function mapping(
  value: unknown,
  path: FieldPath,
  issues: IssueList,
  allowed: readonly string[],
): Obj | undefined {
  if (!isObject(value)) {
    issues.add(path, `must be a mapping, not ${describe(value)}`);
    return undefined;
  }
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      issues.add([...path, key], `unknown field; expected one of ${allowed.join(', ')}`);
    }
  }
  return value;
}

export function list(value: unknown, path: FieldPath, issues: IssueList): unknown[] | undefined {
  if (!Array.isArray(value)) {
    issues.add(path, `must be a list, not ${describe(value)}`);
    return undefined;
  }
  return value as unknown[];
}

/** A list with at least one entry (`what` names the entries in the problem). */
export function nonEmptyList(
  value: unknown,
  path: FieldPath,
  issues: IssueList,
  what: string,
): unknown[] | undefined {
  const raw = list(value, path, issues);
  if (!raw) return undefined;
  if (raw.length === 0) {
    issues.add(path, `needs at least one ${what}`);
    return undefined;
  }
  return raw;
}

/**
 * Records that entry `index` of the list at `listPath` has `value` in its `field`, which must be
 * unique in the list; a repeat is a problem naming the first entry (`the name`, `the NodeId`).
 */
export function claimUnique(
  seen: Map<string, number>,
  value: string,
  index: number,
  listPath: FieldPath,
  field: string,
  label: string,
  issues: IssueList,
): void {
  const first = seen.get(value);
  if (first !== undefined)
    issues.add(
      [...listPath, index, field],
      `${value} is already ${label} of ${formatPath([...listPath, first])}`,
    );
  else seen.set(value, index);
}

type NumberRule = { min?: number; max?: number; integer?: boolean; nonZero?: boolean; positive?: boolean };

export function number(
  obj: Obj,
  key: string,
  path: FieldPath,
  issues: IssueList,
  rule: NumberRule = {},
): number | undefined {
  const value = obj[key];
  const at = [...path, key];
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    issues.add(at, `must be a number, not ${describe(value)}`);
    return undefined;
  }
  if (rule.integer && !Number.isInteger(value)) {
    issues.add(at, `must be a whole number, not ${value}`);
    return undefined;
  }
  if ((rule.min !== undefined && value < rule.min) || (rule.max !== undefined && value > rule.max)) {
    issues.add(at, `must be between ${rule.min ?? '-∞'} and ${rule.max ?? '∞'}, not ${value}`);
    return undefined;
  }
  if (rule.nonZero && value === 0) {
    issues.add(at, 'must not be 0');
    return undefined;
  }
  if (rule.positive && !(value > 0)) {
    issues.add(at, `must be above 0, not ${value}`);
    return undefined;
  }
  return value;
}

export function optionalNumber(
  obj: Obj,
  key: string,
  path: FieldPath,
  issues: IssueList,
  rule: NumberRule = {},
): number | undefined {
  return obj[key] === undefined ? undefined : number(obj, key, path, issues, rule);
}

export function string(obj: Obj, key: string, path: FieldPath, issues: IssueList): string | undefined {
  const value = obj[key];
  if (typeof value !== 'string' || value === '') {
    issues.add([...path, key], `must be a non-empty string, not ${describe(value)}`);
    return undefined;
  }
  return value;
}

export function optionalString(
  obj: Obj,
  key: string,
  path: FieldPath,
  issues: IssueList,
): string | undefined {
  return obj[key] === undefined ? undefined : string(obj, key, path, issues);
}

export function optionalBoolean(
  obj: Obj,
  key: string,
  path: FieldPath,
  issues: IssueList,
): boolean | undefined {
  const value = obj[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') {
    issues.add([...path, key], `must be true or false, not ${describe(value)}`);
    return undefined;
  }
  return value;
}

export function oneOf<T extends string>(
  obj: Obj,
  key: string,
  path: FieldPath,
  issues: IssueList,
  choices: readonly T[],
): T | undefined {
  const value = obj[key];
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    issues.add([...path, key], `must be one of ${choices.join(', ')}, not ${describe(value)}`);
    return undefined;
  }
  return value as T;
}

export function optionalOneOf<T extends string>(
  obj: Obj,
  key: string,
  path: FieldPath,
  issues: IssueList,
  choices: readonly T[],
): T | undefined {
  return obj[key] === undefined ? undefined : oneOf(obj, key, path, issues, choices);
}

/** A duration field (`10s`, `500ms`, or a number of milliseconds), in milliseconds. */
export function duration(
  obj: Obj,
  key: string,
  path: FieldPath,
  issues: IssueList,
  rule: { positive?: boolean } = {},
): number | undefined {
  const ms = parseDuration(obj[key]);
  if (ms === undefined) {
    issues.add(
      [...path, key],
      `must be a duration such as 10s, 500ms or a number of milliseconds, not ${describe(obj[key])}`,
    );
    return undefined;
  }
  if (rule.positive && ms <= 0) {
    issues.add([...path, key], 'must be longer than 0');
    return undefined;
  }
  return ms;
}

/** How a wrong value is shown in a message. */
export function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  return typeof value;
}
