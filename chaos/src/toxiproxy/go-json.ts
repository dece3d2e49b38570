/**
 * Decoding request bodies the way Toxiproxy's Go `encoding/json` does, so that bad input gets the
 * same 400 and a message of the same form: `json: cannot unmarshal string into Go struct field
 * Proxy.name of type string`. Go matches keys case-insensitively (exact match first), treats
 * `null` as "leave the default", and rejects fractions for integer fields. This is the one place
 * where untyped JSON is looked at (ARCHITECTURE.md §4: validated once, at the wire boundary).
 */
import { ApiError, ErrBadRequestBody } from './api-error.ts';

export type JsonObject = Record<string, unknown>;

/** The body as one JSON value; `bad request body: EOF` for an empty body, as Go's decoder says. */
export function parseBody(text: string): unknown {
  if (text.trim() === '') throw ApiError.join('EOF', ErrBadRequestBody);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw ApiError.join(`invalid JSON: ${(err as Error).message}`, ErrBadRequestBody);
  }
}

/** Go's name for the JSON kind of a value, as its unmarshal errors print it. */
export function jsonKind(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number') return 'number';
  if (typeof value === 'boolean') return 'bool';
  return 'object';
}

/** A JSON object, or `{}` for `null` (Go leaves a struct untouched when it decodes null). */
export function asObject(value: unknown, goType: string): JsonObject {
  if (value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw ApiError.join(
      `json: cannot unmarshal ${jsonKind(value)} into Go value of type ${goType}`,
      ErrBadRequestBody,
    );
  }
  return value as JsonObject;
}

/** The value of `key`, matched as Go does: exact key first, then case-insensitively. */
export function field(obj: JsonObject, key: string): unknown {
  if (Object.hasOwn(obj, key)) return obj[key];
  const lower = key.toLowerCase();
  for (const k of Object.keys(obj)) if (k.toLowerCase() === lower) return obj[k];
  return undefined;
}

function mismatch(value: unknown, struct: string, name: string, goType: string): ApiError {
  const kind = jsonKind(value);
  const shown = kind === 'number' ? `number ${String(value)}` : kind;
  return ApiError.join(
    `json: cannot unmarshal ${shown} into Go struct field ${struct}.${name} of type ${goType}`,
    ErrBadRequestBody,
  );
}

/** A string field; `fallback` when absent or null. */
export function stringField(obj: JsonObject, struct: string, name: string, fallback: string): string {
  const v = field(obj, name);
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'string') throw mismatch(v, struct, name, 'string');
  return v;
}

/** A bool field; `fallback` when absent or null. */
export function boolField(obj: JsonObject, struct: string, name: string, fallback: boolean): boolean {
  const v = field(obj, name);
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') throw mismatch(v, struct, name, 'bool');
  return v;
}

/** An integer field (Go int / int64): fractions and non-numbers are 400s; `fallback` when absent. */
export function intField(
  obj: JsonObject,
  struct: string,
  name: string,
  fallback: number,
  goType: 'int' | 'int64' = 'int64',
): number {
  const v = field(obj, name);
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw mismatch(v, struct, name, goType);
  return v;
}

/** A float32 field (toxicity), rounded to float32 as Go stores it. */
export function float32Field(obj: JsonObject, struct: string, name: string, fallback: number): number {
  const v = field(obj, name);
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw mismatch(v, struct, name, 'float32');
  return Math.fround(v);
}

/**
 * A float32 printed the way Go's encoding/json prints it: the shortest decimal that reads back
 * as the same float32 (0.1, not 0.10000000149011612).
 */
export function float32Json(value: number): number {
  const f = Math.fround(value);
  for (let p = 1; p <= 9; p++) {
    const candidate = Number(f.toPrecision(p));
    if (Math.fround(candidate) === f) return candidate;
  }
  return f;
}

/**
 * JSON as Go's json.Marshal writes it: `<`, `>`, `&`, U+2028 and U+2029 escaped, so a name taken
 * from a request cannot turn into markup in whatever displays the response.
 */
export function goJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}
