/**
 * Reading values out of a free-form `configData` map (Go `CustomizedValue`, kubeedge-protocol.md
 * §8.1). YAML authors write `port: '5020'` as often as `port: 5020`, and mapper-framework decodes
 * both (its configData travels as `google.protobuf.Any`, §8.2), so numbers and booleans are also
 * accepted as strings. Every error names the field and says what is expected.
 */
import { InvalidInputError } from '@edgeproof/core';

/** A configData map with the place it came from, for error messages. */
export type ConfigSource = { data: Record<string, unknown>; where: string };

/** Wraps an unknown configData value; a missing map is an empty one. */
export function configSource(value: unknown, where: string): ConfigSource {
  if (value === undefined || value === null) return { data: {}, where };
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidInputError(`${where} must be a mapping of keys to values`);
  }
  return { data: value as Record<string, unknown>, where };
}

/** The first of `keys` present (KubeEdge spells some keys two ways, e.g. `slaveID`/`slaveId`). */
function lookup(src: ConfigSource, keys: readonly string[]): { key: string; value: unknown } | undefined {
  for (const key of keys) {
    const value = src.data[key];
    if (value !== undefined && value !== null) return { key, value };
  }
  return undefined;
}

/** A non-empty string, or undefined when absent. */
export function optionalString(src: ConfigSource, keys: readonly string[]): string | undefined {
  const hit = lookup(src, keys);
  if (!hit) return undefined;
  if (typeof hit.value === 'number') return String(hit.value);
  if (typeof hit.value !== 'string' || hit.value.trim() === '') {
    throw new InvalidInputError(`${src.where}.${hit.key} must be a non-empty string`);
  }
  return hit.value.trim();
}

/** A non-empty string that must be there. */
export function requiredString(src: ConfigSource, keys: readonly string[], hint: string): string {
  const value = optionalString(src, keys);
  if (value === undefined) {
    throw new InvalidInputError(`${src.where}.${keys[0]} is required: ${hint}`);
  }
  return value;
}

export type NumberRule = { integer?: boolean; min?: number; max?: number };

/** A finite number within the rule, or undefined when absent. Numeric strings count. */
export function optionalNumber(
  src: ConfigSource,
  keys: readonly string[],
  rule: NumberRule = {},
): number | undefined {
  const hit = lookup(src, keys);
  if (!hit) return undefined;
  const n =
    typeof hit.value === 'number'
      ? hit.value
      : typeof hit.value === 'string' && /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(hit.value)
        ? Number(hit.value)
        : NaN;
  const kind = rule.integer ? 'an integer' : 'a number';
  const range =
    rule.min !== undefined && rule.max !== undefined
      ? ` from ${rule.min} to ${rule.max}`
      : rule.min !== undefined
        ? ` of at least ${rule.min}`
        : '';
  if (
    !Number.isFinite(n) ||
    (rule.integer && !Number.isInteger(n)) ||
    (rule.min !== undefined && n < rule.min) ||
    (rule.max !== undefined && n > rule.max)
  ) {
    throw new InvalidInputError(
      `${src.where}.${hit.key} must be ${kind}${range}, got ${JSON.stringify(hit.value)}`,
    );
  }
  return n;
}

/** true/false (or the strings "true"/"false"), or undefined when absent. */
export function optionalBoolean(src: ConfigSource, keys: readonly string[]): boolean | undefined {
  const hit = lookup(src, keys);
  if (!hit) return undefined;
  if (typeof hit.value === 'boolean') return hit.value;
  if (typeof hit.value === 'string' && /^(true|false)$/i.test(hit.value.trim())) {
    return hit.value.trim().toLowerCase() === 'true';
  }
  throw new InvalidInputError(
    `${src.where}.${hit.key} must be true or false, got ${JSON.stringify(hit.value)}`,
  );
}

/**
 * One of `allowed`, matched without regard to case, returned in its canonical spelling; undefined
 * when absent.
 */
export function optionalChoice<T extends string>(
  src: ConfigSource,
  keys: readonly string[],
  allowed: readonly T[],
): T | undefined {
  const value = optionalString(src, keys);
  if (value === undefined) return undefined;
  const match = allowed.find((a) => a.toLowerCase() === value.toLowerCase());
  if (match === undefined) {
    throw new InvalidInputError(
      `${src.where}.${keys[0]} is "${value}"; expected one of ${allowed.join(', ')}`,
    );
  }
  return match;
}

/** Keys of the map that none of `known` names: typos such as `registr` are worth a warning. */
export function unknownKeys(src: ConfigSource, known: readonly string[]): string[] {
  return Object.keys(src.data).filter((k) => !known.includes(k));
}
