/**
 * Server-side Table output (`meta.k8s.io/v1` Table), what `kubectl get` asks for and prints
 * (kubectl-contract.md §2): kubectl prints cells verbatim, so ages are rendered here, and every row
 * carries `object` (PartialObjectMetadata by default) because kubectl reads the namespace and labels
 * from it for `-A` and `--show-labels`, and panics on `--sort-by` without it.
 * Pure functions: the caller passes the time.
 */
import { columnsFor, type Column } from './columns.ts';
import type { ServedResource } from './resources.ts';
import { badRequest } from '@edgeproof/core';

/** `?includeObject=` (apiserver `endpoints/handlers/response.go`); `Metadata` is the default. */
export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: { resourceVersion: string };
  columnDefinitions: { name: string; type: string; format: string; description: string; priority: number }[];
  rows: { cells: unknown[]; object?: Record<string, unknown> }[];
}

/**
 * Renders `objects` (all of `resource`'s kind, with apiVersion and kind set) as a Table. A cell that
 * cannot be computed from a malformed object is null (kubectl prints `<none>`), never an error.
 */
export function renderTable(
  resource: ServedResource,
  objects: readonly Record<string, unknown>[],
  options: { now: number; resourceVersion: string; includeObject: IncludeObject },
): Table {
  const columns = columnsFor(resource);
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion: options.resourceVersion },
    columnDefinitions: columns.map((c) => ({
      name: c.name,
      type: c.type,
      format: c.format ?? '',
      description: c.description,
      priority: c.priority ?? 0,
    })),
    rows: objects.map((object) => {
      const cells = columns.map((c) => cell(c, object, options.now));
      const rowObject = includedObject(object, options.includeObject);
      return rowObject === undefined ? { cells } : { cells, object: rowObject };
    }),
  };
}

function cell(column: Column, object: Record<string, unknown>, now: number): unknown {
  try {
    return column.cell(object, now);
  } catch {
    return null;
  }
}

function includedObject(
  object: Record<string, unknown>,
  include: IncludeObject,
): Record<string, unknown> | undefined {
  switch (include) {
    case 'None':
      return undefined;
    case 'Object':
      return object;
    case 'Metadata': {
      const metadata = { ...(object['metadata'] as Record<string, unknown> | undefined) };
      // managedFields are large and no printer reads them.
      delete metadata['managedFields'];
      return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata };
    }
  }
}

/** Reads `?includeObject=`; anything else than None, Metadata or Object is a 400. */
export function parseIncludeObject(value: string | null): IncludeObject {
  if (value === null || value === '') return 'Metadata';
  if (value === 'None' || value === 'Metadata' || value === 'Object') return value;
  throw badRequest(`includeObject must be None, Metadata or Object, not "${value}"`);
}

/**
 * Whether the Accept header asks for a Table first. kubectl get sends
 * `application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json`
 * (kubectl-contract.md §2). The first JSON range decides: a Table one (v1 or v1beta1; the reply
 * is always v1) → true; plain JSON → false; other `as=` kinds and non-JSON types are skipped.
 */
export function wantsTable(accept: string | undefined): boolean {
  for (const range of (accept ?? '').split(',')) {
    const [type = '', ...params] = range.split(';').map((p) => p.trim());
    if (type !== 'application/json' && type !== '*/*' && type !== 'application/*') continue;
    const p = new Map(
      params.map((kv) => {
        const eq = kv.indexOf('=');
        return [kv.slice(0, eq).trim(), kv.slice(eq + 1).trim()] as const;
      }),
    );
    const as = p.get('as');
    if (as === undefined) return false;
    if (as === 'Table' && p.get('g') === 'meta.k8s.io' && (p.get('v') === 'v1' || p.get('v') === 'v1beta1')) {
      return true;
    }
  }
  return false;
}
