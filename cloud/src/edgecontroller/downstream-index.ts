/**
 * Which pods are on which node, and which nodes reference which ConfigMap or Secret: the index the
 * downstream controller's watch handlers use to turn an event into node keys (kubeedge-protocol.md
 * §4.1; KubeEdge keeps the same in `cloud/pkg/edgecontroller/manager/location.go`). Fed from the
 * pod informer's events; no I/O. Without it, every ConfigMap event (leader-election ConfigMaps
 * change every few seconds in a real cluster) would scan every pod.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { podReferences } from './downstream-desired.ts';

/** What the index remembers of one pod. */
interface Placement {
  node: string;
  configMaps: string[];
  secrets: string[];
}

export type ReferencedKind = 'ConfigMap' | 'Secret';

/** See the module comment. */
export class PodPlacementIndex {
  /** By `<namespace>/<name>`. */
  private readonly pods = new Map<string, Placement>();
  /** Node → pod keys on it. */
  private readonly byNode = new Map<string, Set<string>>();
  /** `<kind>/<namespace>/<name>` → node → how many of its pods reference it. */
  private readonly references = new Map<string, Map<string, number>>();

  /**
   * Records the current state of `pod` and returns the nodes whose desired set may have changed:
   * the node it is on, and the one it was on before. A pod without `spec.nodeName` is on none.
   */
  upsert(pod: V1Pod): string[] {
    const key = podKey(pod);
    if (key === undefined) return [];
    const before = this.pods.get(key);
    this.drop(key, before);
    const node = pod.spec?.nodeName;
    const affected = new Set<string>(before ? [before.node] : []);
    if (node) {
      const refs = podReferences(pod);
      const placement: Placement = { node, configMaps: refs.configMaps, secrets: refs.secrets };
      this.pods.set(key, placement);
      let onNode = this.byNode.get(node);
      if (onNode === undefined) {
        onNode = new Set();
        this.byNode.set(node, onNode);
      }
      onNode.add(key);
      this.count(pod.metadata?.namespace ?? '', placement, +1);
      affected.add(node);
    }
    return [...affected];
  }

  /** Forgets `pod`; returns the node it was on, if any. */
  remove(pod: V1Pod): string[] {
    const key = podKey(pod);
    if (key === undefined) return [];
    const before = this.pods.get(key);
    this.drop(key, before);
    return before ? [before.node] : [];
  }

  /** The `{namespace, name}` of every pod on `node`. */
  podsOn(node: string): Array<{ namespace: string; name: string }> {
    return [...(this.byNode.get(node) ?? [])].map((key) => {
      const slash = key.indexOf('/');
      return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
    });
  }

  /** The nodes with a pod that references the ConfigMap or Secret `namespace/name`. */
  nodesReferencing(kind: ReferencedKind, namespace: string, name: string): string[] {
    return [...(this.references.get(`${kind}/${namespace}/${name}`)?.keys() ?? [])];
  }

  private drop(key: string, before: Placement | undefined): void {
    if (before === undefined) return;
    this.pods.delete(key);
    const onNode = this.byNode.get(before.node);
    onNode?.delete(key);
    if (onNode?.size === 0) this.byNode.delete(before.node);
    this.count(key.slice(0, key.indexOf('/')), before, -1);
  }

  private count(namespace: string, placement: Placement, delta: 1 | -1): void {
    const refs: Array<[ReferencedKind, string[]]> = [
      ['ConfigMap', placement.configMaps],
      ['Secret', placement.secrets],
    ];
    for (const [kind, names] of refs) {
      for (const name of names) {
        const refKey = `${kind}/${namespace}/${name}`;
        let nodes = this.references.get(refKey);
        if (nodes === undefined) {
          nodes = new Map();
          this.references.set(refKey, nodes);
        }
        const n = (nodes.get(placement.node) ?? 0) + delta;
        if (n > 0) nodes.set(placement.node, n);
        else nodes.delete(placement.node);
        if (nodes.size === 0) this.references.delete(refKey);
      }
    }
  }
}

function podKey(pod: V1Pod): string | undefined {
  const name = pod.metadata?.name;
  if (!name) return undefined;
  return `${pod.metadata?.namespace ?? ''}/${name}`;
}
