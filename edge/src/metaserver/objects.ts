/**
 * Reading objects out of `meta_v2` (kubeedge-protocol.md §5.1) and selecting them the way a list
 * or watch request asks: namespace, `labelSelector`, `fieldSelector`. The same filter serves list
 * and watch, so a watch shows exactly what a list would.
 */
import type { Logger } from '@edgeproof/core';
import type { MetaStore, MetaV2Row } from '../metamanager/store.ts';
import { matchesFieldSelector, parseFieldSelector, type FieldSelector } from './field-selector.ts';
import { matchesLabelSelector, parseLabelSelector, type LabelSelector } from './label-selector.ts';
import { groupVersionOf, gvrStringOf, metaV2KeyOf, type ServedResource } from './resources.ts';

/** A Kubernetes object as served: a JSON object with apiVersion, kind and metadata. */
export type KubeObject = Record<string, unknown> & { metadata?: Record<string, unknown> };

/** What a list or watch selects; `namespace` undefined means every namespace. */
export interface ObjectFilter {
  readonly resource: ServedResource;
  readonly namespace: string | undefined;
  readonly labels: LabelSelector;
  readonly fields: FieldSelector;
}

/** The filter of a request's query; throws a 400 ApiError for a malformed selector. */
export function filterOf(
  resource: ServedResource,
  namespace: string | undefined,
  query: URLSearchParams,
): ObjectFilter {
  return {
    resource,
    namespace,
    labels: parseLabelSelector(query.get('labelSelector') ?? ''),
    fields: parseFieldSelector(query.get('fieldSelector') ?? '', resource),
  };
}

/** Whether `object` (of the filter's kind) is selected. */
export function matchesFilter(filter: ObjectFilter, object: KubeObject): boolean {
  const metadata = object.metadata ?? {};
  if (filter.namespace !== undefined && metadata['namespace'] !== filter.namespace) return false;
  const labels = metadata['labels'];
  return (
    matchesLabelSelector(
      filter.labels,
      typeof labels === 'object' ? (labels as Record<string, string>) : undefined,
    ) && matchesFieldSelector(filter.fields, object)
  );
}

/** Every stored object the filter selects, by key. Rows that are not JSON objects are logged and skipped. */
export function listObjects(store: MetaStore, filter: ObjectFilter, log: Logger): KubeObject[] {
  const out: KubeObject[] = [];
  for (const row of store.listV2(gvrStringOf(filter.resource))) {
    const object = objectOfRow(filter.resource, row, log);
    if (object !== undefined && matchesFilter(filter, object)) out.push(object);
  }
  return out;
}

/** One stored object, or undefined. */
export function getObject(
  store: MetaStore,
  resource: ServedResource,
  namespace: string | undefined,
  name: string,
  log: Logger,
): KubeObject | undefined {
  const row = store.getV2(metaV2KeyOf(resource, namespace, name));
  return row === undefined ? undefined : objectOfRow(resource, row, log);
}

/**
 * A stored value as a served object. Rows edgeproof writes always carry apiVersion and kind (the
 * store mirrors only typed objects); a database written by KubeEdge may not, so they are filled in.
 */
export function asServedObject(resource: ServedResource, value: unknown): KubeObject | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const object = value as KubeObject;
  if (typeof object['apiVersion'] === 'string' && typeof object['kind'] === 'string') return object;
  return { ...object, apiVersion: groupVersionOf(resource), kind: resource.kind };
}

function objectOfRow(resource: ServedResource, row: MetaV2Row, log: Logger): KubeObject | undefined {
  let value: unknown;
  try {
    value = JSON.parse(row.value);
  } catch {
    value = undefined;
  }
  const object = asServedObject(resource, value);
  if (object === undefined) log.warn('skipping a meta_v2 row that is not a JSON object', { key: row.key });
  return object;
}
