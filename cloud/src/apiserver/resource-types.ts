/**
 * The set of resource types the server serves right now: the built-ins plus one per served
 * version of each established CRD. Creating or deleting a CRD changes it; discovery and OpenAPI
 * are rendered from it, so kubectl sees a new CRD as soon as it is created.
 */
import type { ResourceType } from './types.ts';

/** Storage key of a resource: versions of one group/resource share storage, like etcd's /registry/<group>/<resource>. */
export function storageKey(t: Pick<ResourceType, 'group' | 'plural'>): string {
  return `${t.group}/${t.plural}`;
}

export class ResourceTypes {
  private builtins: ResourceType[];
  private fromCrds = new Map<string, ResourceType[]>();
  private listeners = new Set<() => void>();
  private generation = 0;

  constructor(builtins: ResourceType[]) {
    this.builtins = builtins;
  }

  /** Every served type, built-ins first. */
  all(): ResourceType[] {
    return [...this.builtins, ...[...this.fromCrds.values()].flat()];
  }

  /** Increases whenever the set changes; lets discovery/OpenAPI caches know they are stale. */
  version(): number {
    return this.generation;
  }

  find(group: string, version: string, plural: string): ResourceType | undefined {
    return this.all().find((t) => t.group === group && t.version === version && t.plural === plural);
  }

  /** The served types of a group/kind, in any version (for ownerReferences and CRD conversion). */
  findKind(group: string, kind: string): ResourceType | undefined {
    return this.all().find((t) => t.group === group && t.kind === kind);
  }

  groupVersionServed(group: string, version: string): boolean {
    return this.all().some((t) => t.group === group && t.version === version);
  }

  setCrdTypes(crdName: string, types: ResourceType[]): void {
    if (types.length === 0) this.fromCrds.delete(crdName);
    else this.fromCrds.set(crdName, types);
    this.changed();
  }

  removeCrd(crdName: string): void {
    if (this.fromCrds.delete(crdName)) this.changed();
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    this.generation++;
    for (const l of this.listeners) l();
  }
}
