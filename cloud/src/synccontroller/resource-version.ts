/**
 * Ordering resourceVersions the way KubeEdge's reliable delivery does (kubeedge-protocol.md §3.1
 * rule 5): as unsigned integers (`cloud/pkg/synccontroller/objectsync.go` CompareResourceVersion
 * parses both with `strconv.ParseUint`), so `"10"` is newer than `"9"`, which a string comparison
 * gets wrong. etcd and the embedded API server both hand out integers.
 */

const UINT = /^\d+$/;

/**
 * True when `candidate` is a newer version of the object than `known`, so it has to be delivered
 * (or replace a queued older one). An unknown `known` (undefined or empty: never acknowledged)
 * is older than anything. Kubernetes API conventions call resourceVersions opaque; when either
 * side is not an integer, a different string counts as newer: sending again is harmless (the edge
 * stores and ACKs it again), missing a change is not.
 */
export function isNewerResourceVersion(candidate: string | undefined, known: string | undefined): boolean {
  if (candidate === undefined || candidate === '') return false;
  if (known === undefined || known === '') return true;
  if (UINT.test(candidate) && UINT.test(known)) return BigInt(candidate) > BigInt(known);
  return candidate !== known;
}
