/**
 * Resource types made from apiextensions.k8s.io/v1 CustomResourceDefinitions: one per served
 * version, with the CRD's names, scope, status subresource, schema and additionalPrinterColumns
 * (evaluated with a small JSONPath subset, rendered as apiextensions' tableconvertor does), and
 * the CRD validation rules users hit (apiextensions `pkg/apis/apiextensions/validation`).
 */
import type { StatusCause } from '../status.ts';
import type {
  ScaleSubresource,
  ColumnType,
  JSONSchemaProps,
  KubeObject,
  ResourceType,
  TableColumn,
} from '../types.ts';
import { ageColumn, nameColumn, STANDARD_VERBS } from './builtin-resources.ts';
import {
  dnsNameErrors,
  fieldForbidden,
  fieldInvalid,
  fieldNotSupported,
  fieldRequired,
  validateObjectMeta,
} from './builtin-validation.ts';
import { ageSince } from './table.ts';

type Json = Record<string, unknown>;
const rec = (v: unknown): Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {};
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

// ---------------------------------------------------------------------------------------------
// JSONPath, the subset CRD printer columns and selectable fields use (client-go util/jsonpath):
// `.a.b`, `['a.b']`, `[0]`, `[-1]`, `[*]`, `.*`, `[?(@.type=="Ready")]`, escaped dots `a\.b`.

export type JsonPathStep =
  | { kind: 'field'; name: string }
  | { kind: 'index'; index: number }
  | { kind: 'wildcard' }
  | { kind: 'filter'; path: JsonPathStep[]; op: FilterOp; value: unknown };

type FilterOp = 'exists' | '==' | '!=' | '<' | '<=' | '>' | '>=';

export class JsonPathError extends Error {
  readonly code = 'JSONPATH_INVALID';
  constructor(expr: string, why: string) {
    super(`invalid JSONPath ${JSON.stringify(expr)}: ${why}`);
    this.name = 'JsonPathError';
  }
}

/** Parses a JSONPath such as `.status.conditions[?(@.type=="Ready")].status`; `{…}` and `$` are optional. */
export function parseJsonPath(expr: string): JsonPathStep[] {
  let s = expr.trim();
  if (s.startsWith('{') && s.endsWith('}')) s = s.slice(1, -1).trim();
  if (s.startsWith('$')) s = s.slice(1);
  const steps: JsonPathStep[] = [];
  let i = 0;
  const fail = (why: string): never => {
    throw new JsonPathError(expr, why);
  };
  while (i < s.length) {
    const ch = s[i];
    if (ch === '.') {
      i++;
      if (s[i] === '.') fail('recursive descent (..) is not supported');
      if (s[i] === '*') {
        steps.push({ kind: 'wildcard' });
        i++;
        continue;
      }
      let name = '';
      while (i < s.length && s[i] !== '.' && s[i] !== '[') {
        if (s[i] === '\\' && i + 1 < s.length) i++;
        name += s[i];
        i++;
      }
      if (name === '') fail(`empty field name at ${i}`);
      steps.push({ kind: 'field', name });
    } else if (ch === '[') {
      const close = findClose(s, i);
      if (close < 0) fail(`unterminated [ at ${i}`);
      const inner = s.slice(i + 1, close).trim();
      i = close + 1;
      if (inner === '*') steps.push({ kind: 'wildcard' });
      else if (/^-?\d+$/.test(inner)) steps.push({ kind: 'index', index: Number(inner) });
      else if (/^'.*'$|^".*"$/.test(inner)) steps.push({ kind: 'field', name: inner.slice(1, -1) });
      else if (inner.startsWith('?(') && inner.endsWith(')'))
        steps.push(parseFilter(inner.slice(2, -1).trim(), fail));
      else fail(`unsupported subscript [${inner}]`);
    } else {
      fail(`unexpected ${JSON.stringify(ch)} at ${i}`);
    }
  }
  return steps;
}

function findClose(s: string, open: number): number {
  let depth = 0;
  let quote: string | undefined;
  for (let i = open; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '[') {
      depth++;
    } else if (c === ']') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

function parseFilter(body: string, fail: (why: string) => never): JsonPathStep {
  const m = /^@((?:\.[^.=!<>\s]+|\[[^\]]*\])*)\s*(?:(==|!=|<=|>=|<|>)\s*(.+))?$/.exec(body);
  if (!m) return fail(`unsupported filter ?(${body})`);
  const path = m[1] ? parseJsonPath(m[1]) : [];
  if (m[2] === undefined) return { kind: 'filter', path, op: 'exists', value: undefined };
  const raw = (m[3] ?? '').trim();
  let value: unknown;
  if (/^'.*'$|^".*"$/.test(raw)) value = raw.slice(1, -1);
  else if (raw === 'true' || raw === 'false') value = raw === 'true';
  else if (raw !== '' && !Number.isNaN(Number(raw))) value = Number(raw);
  else return fail(`unsupported filter value ${raw}`);
  return { kind: 'filter', path, op: m[2] as FilterOp, value };
}

/** All values the path selects (missing keys select nothing, as with AllowMissingKeys). */
export function evaluateJsonPath(steps: JsonPathStep[], data: unknown): unknown[] {
  let current: unknown[] = [data];
  for (const step of steps) {
    const next: unknown[] = [];
    for (const v of current) {
      switch (step.kind) {
        case 'field':
          if (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.hasOwn(v, step.name)) {
            next.push((v as Json)[step.name]);
          }
          break;
        case 'index':
          if (Array.isArray(v)) {
            const idx = step.index < 0 ? v.length + step.index : step.index;
            if (idx >= 0 && idx < v.length) next.push(v[idx]);
          }
          break;
        case 'wildcard':
          if (Array.isArray(v)) next.push(...(v as unknown[]));
          else if (typeof v === 'object' && v !== null) next.push(...Object.values(v as Json));
          break;
        case 'filter':
          for (const item of Array.isArray(v) ? (v as unknown[]) : []) {
            if (filterMatches(step, item)) next.push(item);
          }
          break;
      }
    }
    current = next;
  }
  return current;
}

function filterMatches(f: Extract<JsonPathStep, { kind: 'filter' }>, item: unknown): boolean {
  const found = evaluateJsonPath(f.path, item);
  if (f.op === 'exists') return found.length > 0;
  const left = found[0];
  if (found.length === 0) return f.op === '!=';
  switch (f.op) {
    case '==':
      return left === f.value;
    case '!=':
      return left !== f.value;
    case '<':
    case '<=':
    case '>':
    case '>=': {
      if (typeof left !== 'number' || typeof f.value !== 'number') return false;
      const r = f.value;
      return f.op === '<' ? left < r : f.op === '<=' ? left <= r : f.op === '>' ? left > r : left >= r;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Printer columns.

const COLUMN_TYPES = ['boolean', 'date', 'integer', 'number', 'string'];

/** Go's json.Marshal of maps sorts keys; jsonpath prints maps and slices as compact JSON. */
function sortedJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    typeof x === 'object' && x !== null && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x as Json).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : x,
  );
}

/**
 * One additionalPrinterColumn as a TableColumn, cells as apiextensions' tableconvertor renders
 * them: the first JSONPath result; `string` columns print it (objects as JSON), `integer` /
 * `number` / `boolean` keep numbers and booleans, `date` becomes an age (`5m`), anything missing
 * or of the wrong type is null (kubectl prints `<none>`).
 */
export function printerColumn(def: Json): TableColumn {
  const jsonPath = str(def['jsonPath']);
  let steps: JsonPathStep[] | undefined;
  try {
    steps = parseJsonPath(jsonPath);
  } catch {
    steps = undefined; // validateCrd rejects these; a stored bad one renders <none>
  }
  const type = (COLUMN_TYPES.includes(str(def['type'])) ? str(def['type']) : 'string') as ColumnType;
  const description =
    str(def['description']) || `Custom resource definition column (in JSONPath format): ${jsonPath}`;
  const priority = typeof def['priority'] === 'number' ? def['priority'] : 0;
  return {
    name: str(def['name']),
    type,
    ...(str(def['format']) ? { format: str(def['format']) } : {}),
    description,
    ...(priority ? { priority } : {}),
    cell: (obj, now) => {
      if (steps === undefined) return null;
      const results = evaluateJsonPath(steps, obj);
      if (results.length === 0) return null;
      const value = results[0];
      if (value === null || value === undefined) return null;
      switch (type) {
        case 'string':
          if (typeof value === 'string') return value;
          if (typeof value === 'number' || typeof value === 'boolean') return String(value);
          return sortedJson(value);
        case 'integer':
          return typeof value === 'number' ? Math.trunc(value) : null;
        case 'number':
          return typeof value === 'number' ? value : null;
        case 'boolean':
          return typeof value === 'boolean' ? value : null;
        case 'date': {
          if (typeof value !== 'string') return null;
          const age = ageSince(value, now);
          return age === '<unknown>' ? '<invalid>' : age;
        }
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------

interface CrdNames {
  plural: string;
  singular: string;
  kind: string;
  listKind: string;
  shortNames: string[];
  categories: string[];
}

/** spec.names with kube's CRD defaulting applied: singular = lower(kind), listKind = kind + "List". */
function crdNames(spec: Json): CrdNames {
  const names = rec(spec['names']);
  const kind = str(names['kind']);
  return {
    plural: str(names['plural']),
    singular: str(names['singular']) || kind.toLowerCase(),
    kind,
    listKind: str(names['listKind']) || (kind ? `${kind}List` : ''),
    shortNames: arr(names['shortNames']).map(str),
    categories: arr(names['categories']).map(str),
  };
}

/**
 * The resource types an apiextensions.k8s.io/v1 CRD serves: one per `served` version. Printer
 * columns default to AGE (apiextensions adds `.metadata.creationTimestamp` when none are given);
 * `fieldSelectors` are the version's selectableFields.
 */
export function resourceTypesFromCrd(crd: KubeObject): ResourceType[] {
  const spec = rec(crd['spec']);
  const group = str(spec['group']);
  const names = crdNames(spec);
  const versions = arr(spec['versions']).map(rec);
  const storage = versions.find((v) => v['storage'] === true);
  const storageVersion = storage === undefined ? undefined : str(storage['name']);
  return versions
    .filter((v) => v['served'] === true)
    .map((v): ResourceType => {
      const printer = arr(v['additionalPrinterColumns']).map(rec);
      const schema = rec(v['schema'])['openAPIV3Schema'];
      return {
        group,
        version: str(v['name']),
        plural: names.plural,
        singular: names.singular,
        kind: names.kind,
        listKind: names.listKind,
        namespaced: spec['scope'] !== 'Cluster',
        shortNames: names.shortNames,
        categories: names.categories,
        verbs: [...STANDARD_VERBS],
        statusSubresource: rec(v['subresources'])['status'] !== undefined,
        ...scaleOf(rec(rec(v['subresources'])['scale'])),
        columns: [nameColumn(), ...(printer.length > 0 ? printer.map(printerColumn) : [ageColumn()])],
        ...(schema !== undefined ? { schema: schema as JSONSchemaProps } : {}),
        crdName: crd.metadata.name ?? `${names.plural}.${group}`,
        fieldSelectors: arr(v['selectableFields']).map((f) => str(rec(f)['jsonPath']).replace(/^\./, '')),
        // Custom resources bump metadata.generation on every non-metadata (non-status) change.
        tracksGeneration: true,
        ...(storageVersion !== undefined ? { storageVersion } : {}),
      };
    });
}

// ---------------------------------------------------------------------------------------------
// Validation (apiextensions validation.go ValidateCustomResourceDefinition and the structural
// schema checks of pkg/apiserver/schema/validation.go).

/**
 * Validates an apiextensions.k8s.io/v1 CRD: name `<plural>.<group>`, group, names, scope, versions
 * (DNS-1035 names, unique, exactly one storage), a structural schema per version, printer columns.
 * Returns causes for a 422 Invalid; empty when valid.
 */
export function validateCrd(crd: KubeObject): StatusCause[] {
  const spec = rec(crd['spec']);
  const group = str(spec['group']);
  const names = crdNames(spec);
  const causes = validateObjectMeta(crd, 'subdomain');
  const name = crd.metadata.name ?? '';
  if (name !== '' && name !== `${names.plural}.${group}`) {
    causes.push(fieldInvalid('metadata.name', name, 'must be spec.names.plural+"."+spec.group'));
  }

  if (group === '') {
    causes.push(fieldRequired('spec.group'));
  } else {
    const errs = dnsNameErrors(group, 'subdomain');
    if (errs.length > 0) causes.push(fieldInvalid('spec.group', group, errs.join(',')));
    else if (group.split('.').length < 2)
      causes.push(fieldInvalid('spec.group', group, 'should be a domain with at least one dot'));
  }

  const scope = spec['scope'];
  if (scope === undefined || scope === '') causes.push(fieldRequired('spec.scope'));
  else if (scope !== 'Cluster' && scope !== 'Namespaced')
    causes.push(fieldNotSupported('spec.scope', scope, ['Cluster', 'Namespaced']));

  causes.push(...validateNames(names));

  const versions = arr(spec['versions']).map(rec);
  if (versions.length === 0) causes.push(fieldRequired('spec.versions', 'must have at least one version'));
  const seen = new Set<string>();
  let unique = true;
  let storageCount = 0;
  versions.forEach((v, i) => {
    const vp = `spec.versions[${i}]`;
    const vname = str(v['name']);
    if (v['storage'] === true) storageCount++;
    if (seen.has(vname)) unique = false;
    seen.add(vname);
    if (vname === '') causes.push(fieldRequired(`${vp}.name`));
    else {
      const errs = dnsNameErrors(vname, 'dns1035');
      if (errs.length > 0) causes.push(fieldInvalid(`${vp}.name`, vname, errs.join(',')));
    }
    const schema = rec(v['schema'])['openAPIV3Schema'];
    if (schema === undefined || schema === null) {
      causes.push(fieldRequired(`${vp}.schema.openAPIV3Schema`, 'schemas are required'));
    } else {
      causes.push(...structuralErrors(rec(schema), `${vp}.schema.openAPIV3Schema`, 'root'));
    }
    arr(v['additionalPrinterColumns']).forEach((raw, j) => {
      const col = rec(raw);
      const cp = `${vp}.additionalPrinterColumns[${j}]`;
      if (str(col['name']) === '') causes.push(fieldRequired(`${cp}.name`));
      if (str(col['type']) === '') causes.push(fieldRequired(`${cp}.type`));
      else if (!COLUMN_TYPES.includes(str(col['type'])))
        causes.push(fieldNotSupported(`${cp}.type`, col['type'], COLUMN_TYPES));
      const jp = str(col['jsonPath']);
      if (jp === '') {
        causes.push(fieldRequired(`${cp}.jsonPath`));
      } else if (!jp.startsWith('.')) {
        causes.push(fieldInvalid(`${cp}.jsonPath`, jp, 'must be a simple json path starting with .'));
      } else {
        try {
          parseJsonPath(jp);
        } catch (e) {
          causes.push(
            fieldInvalid(`${cp}.jsonPath`, jp, e instanceof Error ? e.message : 'invalid JSONPath'),
          );
        }
      }
    });
  });
  // kube prints the whole versions slice as the bad value; a short marker reads better.
  if (!unique) causes.push(fieldInvalid('spec.versions', '...', 'must contain unique version names'));
  if (versions.length > 0 && storageCount !== 1) {
    causes.push(
      fieldInvalid('spec.versions', '...', 'must have exactly one version marked as storage version'),
    );
  }
  return causes;
}

function validateNames(n: CrdNames): StatusCause[] {
  const causes: StatusCause[] = [];
  if (n.plural === '') causes.push(fieldRequired('spec.names.plural'));
  if (n.kind === '') causes.push(fieldRequired('spec.names.kind'));
  const label = (value: string, field: string, mixedCase: boolean): void => {
    if (value === '') return;
    const errs = dnsNameErrors(mixedCase ? value.toLowerCase() : value, 'dns1035');
    if (errs.length === 0) return;
    const detail = mixedCase
      ? `may have mixed case, but should otherwise match: ${errs.join(',')}`
      : errs.join(',');
    causes.push(fieldInvalid(field, value, detail));
  };
  label(n.plural, 'spec.names.plural', false);
  label(n.singular, 'spec.names.singular', false);
  label(n.kind, 'spec.names.kind', true);
  label(n.listKind, 'spec.names.listKind', true);
  n.shortNames.forEach((s, i) => label(s, `spec.names.shortNames[${i}]`, false));
  n.categories.forEach((c, i) => label(c, `spec.names.categories[${i}]`, false));
  if (n.kind !== '' && n.kind === n.listKind) {
    causes.push(fieldInvalid('spec.names.listKind', n.listKind, 'kind and listKind may not be the same'));
  }
  return causes;
}

/**
 * The structural-schema rules users meet (apiextensions pkg/apiserver/schema/validation.go):
 * a type everywhere (except under preserve-unknown-fields, int-or-string, embedded resources),
 * `object` at the root, `items` for arrays, no properties next to additionalProperties.
 */
function structuralErrors(s: Json, path: string, level: 'root' | 'field' | 'item'): StatusCause[] {
  const causes: StatusCause[] = [];
  const type = str(s['type']);
  const exempt =
    s['x-kubernetes-embedded-resource'] === true ||
    s['x-kubernetes-int-or-string'] === true ||
    (level === 'field' && s['x-kubernetes-preserve-unknown-fields'] === true);
  if (type === '' && !exempt) {
    const detail =
      level === 'root'
        ? 'must not be empty at the root'
        : level === 'item'
          ? 'must not be empty for specified array items'
          : 'must not be empty for specified object fields';
    causes.push(fieldRequired(`${path}.type`, detail));
  }
  if (level === 'root' && type !== '' && type !== 'object')
    causes.push(fieldInvalid(`${path}.type`, type, 'must be object at the root'));
  if (type === 'array' && s['items'] === undefined)
    causes.push(fieldRequired(`${path}.items`, 'must be specified'));
  const props = rec(s['properties']);
  const ap = s['additionalProperties'];
  if (Object.keys(props).length > 0 && ap !== undefined && ap !== true) {
    causes.push(
      fieldForbidden(
        `${path}.additionalProperties`,
        'additionalProperties and properties are mutual exclusive',
      ),
    );
  }
  for (const [k, ps] of Object.entries(props)) {
    // The root's metadata is ObjectMeta; apiVersion/kind are fixed strings.
    causes.push(...structuralErrors(rec(ps), `${path}.properties[${k}]`, 'field'));
  }
  if (typeof ap === 'object' && ap !== null)
    causes.push(...structuralErrors(rec(ap), `${path}.additionalProperties`, 'field'));
  if (s['items'] !== undefined) causes.push(...structuralErrors(rec(s['items']), `${path}.items`, 'item'));
  return causes;
}

/** A version's `subresources.scale`, with JSONPaths (`.spec.replicas`) as dotted paths. */
function scaleOf(scale: Record<string, unknown>): { scale?: ScaleSubresource } {
  const spec = str(scale['specReplicasPath']);
  const status = str(scale['statusReplicasPath']);
  if (!spec || !status) return {};
  const selector = str(scale['labelSelectorPath']);
  const dotted = (path: string): string => path.replace(/^\./, '');
  return {
    scale: {
      specReplicasPath: dotted(spec),
      statusReplicasPath: dotted(status),
      ...(selector ? { labelSelectorPath: dotted(selector) } : {}),
    },
  };
}
