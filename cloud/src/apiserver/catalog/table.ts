/**
 * Server-side Table output (meta.k8s.io/v1 Table), the shape `kubectl get` prints
 * (kubectl-contract.md §2), and apimachinery's HumanDuration for the ages in it.
 * Pure functions: the clock is passed in.
 */
import type { KubeObject, ResourceType } from '../types.ts';
import { apiVersionOf } from '../types.ts';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface TableOptions {
  /** Server clock in ms since the epoch, for ages. */
  now: number;
  /** `?includeObject=`; kubectl sends `Object` for `--sort-by`, the default is `Metadata`. */
  includeObject: IncludeObject;
  resourceVersion: string;
  continueToken?: string;
  remainingItemCount?: number;
}

/** meta.k8s.io/v1 TableColumnDefinition; every field is always present, as kube writes it. */
export interface TableColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export type TableCell = string | number | boolean | null;

export interface TableRow {
  cells: TableCell[];
  /** PartialObjectMetadata (default) or the full object; absent with includeObject=None. */
  object?: Record<string, unknown>;
}

export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number };
  columnDefinitions: TableColumnDefinition[];
  rows: TableRow[];
}

/**
 * HumanDuration renders a duration (ms) with ~2-3 significant figures, exactly as
 * apimachinery `pkg/util/duration/duration.go` HumanDuration does: `5s`, `3m2s`, `12m`, `4h5m`,
 * `20h`, `3d4h`, `30d`, `2y30d`, `9y`. A clock skew up to 2s counts as `0s`; more is `<invalid>`.
 */
export function humanDuration(ms: number): string {
  // Go: `int(d.Seconds())` truncates toward zero.
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.trunc(ms / 60_000);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.trunc(ms / 3_600_000);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  const days = Math.trunc(hours / 24);
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${days}d` : `${days}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.trunc(days / 365);
  if (hours < 24 * 365 * 8) {
    const dy = days % 365;
    return dy === 0 ? `${years}y` : `${years}y${dy}d`;
  }
  return `${years}y`;
}

/** Parses an RFC 3339 timestamp as kube writes them; undefined when absent or malformed. */
export function parseTimestamp(value: unknown): number | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * The age of a timestamp as printers.go `translateTimestampSince` renders it: `<unknown>` for a
 * missing (zero) time, else HumanDuration(now - t).
 */
export function ageSince(timestamp: unknown, now: number): string {
  const t = parseTimestamp(timestamp);
  return t === undefined ? '<unknown>' : humanDuration(now - t);
}

/** The AGE cell: creationTimestamp rendered server-side, because kubectl prints cells verbatim (§2). */
export function creationAge(obj: KubeObject, now: number): string {
  return ageSince(obj.metadata.creationTimestamp, now);
}

/**
 * Renders objects of one type as a meta.k8s.io/v1 Table (kubectl-contract.md §2). Every row carries
 * `object`: kubectl reads namespace and labels from it for `-A` and `--show-labels`, and panics on
 * `--sort-by` (which sends includeObject=Object) without it. All columns are filled, wide ones too:
 * kube-apiserver renders with `Wide: true` and kubectl hides `priority > 0` columns unless `-o wide`.
 */
export function renderTable(type: ResourceType, objects: KubeObject[], opts: TableOptions): Table {
  const columnDefinitions = type.columns.map((c): TableColumnDefinition => ({
    name: c.name,
    type: c.type,
    format: c.format ?? '',
    description: c.description ?? '',
    priority: c.priority ?? 0,
  }));
  const rows = objects.map((obj): TableRow => {
    const cells = type.columns.map((c): TableCell => {
      try {
        return c.cell(obj, opts.now);
      } catch {
        // One malformed stored object must not fail the whole list; kubectl prints null as <none>.
        return null;
      }
    });
    const object = rowObject(type, obj, opts.includeObject);
    return object === undefined ? { cells } : { cells, object };
  });
  const metadata: Table['metadata'] = { resourceVersion: opts.resourceVersion };
  if (opts.continueToken) metadata.continue = opts.continueToken;
  if (opts.remainingItemCount !== undefined) metadata.remainingItemCount = opts.remainingItemCount;
  return { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata, columnDefinitions, rows };
}

/**
 * apiserver `endpoints/handlers/response.go` asTable: Metadata (the default) → PartialObjectMetadata,
 * Object → the object itself with its TypeMeta, None → nothing.
 */
function rowObject(
  type: ResourceType,
  obj: KubeObject,
  includeObject: IncludeObject,
): Record<string, unknown> | undefined {
  switch (includeObject) {
    case 'None':
      return undefined;
    case 'Object':
      return { ...obj, apiVersion: obj.apiVersion ?? apiVersionOf(type), kind: obj.kind ?? type.kind };
    case 'Metadata': {
      // managedFields are noise for a printer and can be large; kubectl never reads them from a Table.
      const { managedFields: _managedFields, ...metadata } = obj.metadata;
      return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata };
    }
  }
}

/** One media range of an Accept header: `type/subtype` lower-cased, parameters, and q. */
export interface MediaRange {
  mediaType: string;
  params: Record<string, string>;
  q: number;
}

/**
 * Parses an Accept header into media ranges, highest q first (stable for equal q, so the
 * client's order decides, as kube's negotiation does). Ranges with q=0 are dropped.
 */
export function parseAcceptHeader(header: string): MediaRange[] {
  const ranges: MediaRange[] = [];
  for (const part of splitOutsideQuotes(header, ',')) {
    const [typePart = '', ...paramParts] = splitOutsideQuotes(part, ';');
    const mediaType = typePart.trim().toLowerCase();
    if (mediaType === '') continue;
    const params: Record<string, string> = {};
    let q = 1;
    for (const p of paramParts) {
      const eq = p.indexOf('=');
      if (eq < 0) continue;
      const key = p.slice(0, eq).trim().toLowerCase();
      let value = p.slice(eq + 1).trim();
      if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
      if (key === 'q') {
        const n = Number(value);
        q = Number.isFinite(n) ? n : 1;
      } else {
        params[key] = value;
      }
    }
    if (q > 0) ranges.push({ mediaType, params, q });
  }
  return ranges
    .map((r, i) => ({ r, i }))
    .sort((a, b) => b.r.q - a.r.q || a.i - b.i)
    .map(({ r }) => r);
}

function splitOutsideQuotes(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of s) {
    if (ch === '"') quoted = !quoted;
    if (ch === sep && !quoted) {
      out.push(cur);
      cur = '';
    } else {
      cur += ch;
    }
  }
  out.push(cur);
  return out;
}

const JSON_LIKE = new Set(['application/json', 'application/*', '*/*']);

/**
 * Whether the client asked for a Table first: `kubectl get` sends
 * `application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json`
 * (§2). The first range we can serve decides: a Table range (v1 or v1beta1; we always answer v1)
 * → true, a plain JSON range → false. Other `as=` kinds (PartialObjectMetadataList) are skipped.
 */
export function wantsTable(acceptHeader: string): boolean {
  for (const r of parseAcceptHeader(acceptHeader)) {
    if (!JSON_LIKE.has(r.mediaType)) continue;
    const as = r.params['as'];
    if (as === undefined) return false;
    if (
      as === 'Table' &&
      r.params['g'] === 'meta.k8s.io' &&
      (r.params['v'] === 'v1' || r.params['v'] === 'v1beta1')
    ) {
      return true;
    }
  }
  return false;
}
