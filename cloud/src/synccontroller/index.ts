/** SyncController: the ObjectSync / ClusterObjectSync records of what each edge node holds, and the resync diff (kubeedge-protocol.md §3.2–3.3). */
export {
  ObjectSyncCrdMissingError,
  ObjectSyncStore,
  objectSyncName,
  parseObjectSyncName,
  type ObjectSyncRecord,
  type ObjectSyncStoreOptions,
  type SyncedObjectRef,
} from './object-sync-store.ts';
export { isNewerResourceVersion } from './resource-version.ts';
export { planNodeSync, type SyncAction, type SyncTarget } from './sync-plan.ts';
