/**
 * What a node must be sent to hold exactly what it should (kubeedge-protocol.md §3.3): the objects
 * it should have, compared with what its (Cluster)ObjectSyncs say it has. Pure: no I/O, no clock.
 *
 * KubeEdge's SyncController (`cloud/pkg/synccontroller/*`) walks every ObjectSync on a 5 s timer
 * and sends an `update` when the object's resourceVersion is greater, a `delete` when the object is
 * gone or has another UID. Here the same comparison runs for one node whenever its state may have
 * changed (the node connected, one of its objects changed), and it also covers what KubeEdge's
 * controllers send from their watch events: objects the node should hold but has never
 * acknowledged, and objects that no longer belong to the node (a pod moved away, a configmap no
 * pod on the node references any more).
 */
import type { ObjectSyncRecord } from './object-sync-store.ts';
import { isNewerResourceVersion } from './resource-version.ts';

/** An object a node should hold. */
export interface SyncTarget {
  uid: string;
  kind: string;
  /** Undefined for cluster-scoped objects. */
  namespace: string | undefined;
  name: string;
  resourceVersion: string;
}

export type SyncAction<T extends SyncTarget> =
  /** Send `object`; `firstTime` when the node has never acknowledged any version of it. */
  | { action: 'send'; object: T; firstTime: boolean }
  /** Tell the node the object is gone (or no longer its); the ObjectSync goes once it ACKs. */
  | { action: 'delete'; record: ObjectSyncRecord }
  /**
   * Drop the record without telling the node: an object of the same kind and name but another UID
   * replaces it, and its message overwrites the same key at the edge. A `delete` would be applied
   * by key there (edgecore stores every kind but pods by `<ns>/<type>/<name>` and deletes by that
   * key alone, as KubeEdge's MetaManager does), so if it were resent after the new object's
   * message it would remove the new object. Pod deletes are UID-checked at the edge, so a replaced
   * pod still gets its `delete`.
   */
  | { action: 'forget'; record: ObjectSyncRecord };

/** Kinds whose edge-side delete removes the object only when the UID matches (edgecore, §5.1). */
const UID_CHECKED_DELETE_KINDS: ReadonlySet<string> = new Set(['Pod']);

/**
 * The actions that bring a node from `synced` (its ObjectSync records) to `desired`: deletes and
 * forgets first (so a replaced object's delete is on its way before its successor), then sends in
 * the order of `desired`. An object whose acknowledged resourceVersion is current needs nothing.
 */
export function planNodeSync<T extends SyncTarget>(
  desired: readonly T[],
  synced: Iterable<ObjectSyncRecord>,
): SyncAction<T>[] {
  const byUid = new Map<string, ObjectSyncRecord>();
  for (const record of synced) byUid.set(record.uid, record);
  const desiredUids = new Set<string>();
  const desiredNames = new Set<string>();
  for (const object of desired) {
    desiredUids.add(object.uid);
    desiredNames.add(nameKey(object.kind, object.namespace, object.name));
  }

  const actions: SyncAction<T>[] = [];
  for (const record of byUid.values()) {
    if (desiredUids.has(record.uid)) continue;
    const replaced =
      !UID_CHECKED_DELETE_KINDS.has(record.kind) &&
      desiredNames.has(nameKey(record.kind, record.namespace, record.name));
    actions.push({ action: replaced ? 'forget' : 'delete', record });
  }
  for (const object of desired) {
    const record = byUid.get(object.uid);
    if (record !== undefined && !isNewerResourceVersion(object.resourceVersion, record.resourceVersion)) {
      continue;
    }
    actions.push({ action: 'send', object, firstTime: record?.resourceVersion === undefined });
  }
  return actions;
}

function nameKey(kind: string, namespace: string | undefined, name: string): string {
  return `${kind}/${namespace ?? ''}/${name}`;
}
