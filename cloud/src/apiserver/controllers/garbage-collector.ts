/**
 * Deletes dependents whose owners are gone, and carries out foreground and orphan deletion:
 * what kube-controller-manager's garbage collector does (pkg/controller/garbagecollector,
 * https://kubernetes.io/docs/concepts/architecture/garbage-collection/). Level-based: a key is an
 * owner uid; a pass reads the owner (if any) and its dependents as they are now.
 */
import { WorkQueue, type Clock, type Logger, type ReconcileResult } from '@edgeproof/core';
import { ApiError } from '../status.ts';
import { FOREGROUND_FINALIZER, ORPHAN_FINALIZER, type Registry } from '../registry.ts';
import type { KubeObject } from '../types.ts';

export class GarbageCollector {
  private readonly registry: Registry;
  private readonly queue: WorkQueue;
  private readonly retryMs: number;

  constructor(options: { registry: Registry; clock: Clock; logger: Logger; retryMs?: number }) {
    this.registry = options.registry;
    this.queue = new WorkQueue({ clock: options.clock, logger: options.logger });
    this.retryMs = options.retryMs ?? 1000;
  }

  async run(signal: AbortSignal): Promise<void> {
    const unsubscribe = this.registry.onAnyChange((change) => {
      const uid = change.object.metadata.uid;
      if (!uid) return;
      const finalizers = change.object.metadata.finalizers ?? [];
      if (change.type === 'DELETED') this.queue.add(uid);
      else if (
        change.object.metadata.deletionTimestamp &&
        (finalizers.includes(FOREGROUND_FINALIZER) || finalizers.includes(ORPHAN_FINALIZER))
      ) {
        this.queue.add(uid);
      }
      // A dependent whose owner went away while it was being written.
      if (change.type !== 'DELETED') {
        for (const ref of change.object.metadata.ownerReferences ?? []) {
          if (!this.registry.uidExists(ref.uid)) this.queue.add(ref.uid);
        }
      }
    });
    // Owners deleted while the server was down.
    for (const uid of this.registry.danglingOwnerUids()) this.queue.add(uid);
    try {
      await this.queue.run(signal, (uid) => this.reconcile(uid));
    } finally {
      unsubscribe();
    }
  }

  private reconcile(uid: string): ReconcileResult {
    const owner = this.registry.getByUid(uid);
    const dependents = this.registry.dependentsOf(uid);
    if (!owner) {
      for (const dep of dependents) {
        const obj = this.tryGet(dep.type, dep.namespace, dep.name);
        if (!obj) continue;
        // A dependent goes only when none of its owners exists any more.
        const alive = (obj.metadata.ownerReferences ?? []).some(
          (r) => r.uid !== uid && this.registry.uidExists(r.uid),
        );
        if (!alive) this.tryDelete(dep.type, dep.namespace, dep.name);
      }
      return;
    }
    const meta = owner.object.metadata;
    if (!meta.deletionTimestamp) return;
    const finalizers = meta.finalizers ?? [];
    if (finalizers.includes(ORPHAN_FINALIZER)) {
      for (const dep of dependents) {
        const obj = this.tryGet(dep.type, dep.namespace, dep.name);
        if (!obj) continue;
        const refs = (obj.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
        this.registry.patch(dep.type, dep.namespace || undefined, dep.name, 'application/merge-patch+json', {
          metadata: { ownerReferences: refs.length > 0 ? refs : null },
        });
      }
      this.removeFinalizer(owner.object, owner.type, ORPHAN_FINALIZER);
      return;
    }
    if (finalizers.includes(FOREGROUND_FINALIZER)) {
      for (const dep of dependents) this.tryDelete(dep.type, dep.namespace, dep.name, 'Foreground');
      if (this.registry.dependentsOf(uid).length > 0) return { requeueAfterMs: this.retryMs };
      this.removeFinalizer(owner.object, owner.type, FOREGROUND_FINALIZER);
    }
  }

  private removeFinalizer(obj: KubeObject, type: Parameters<Registry['get']>[0], finalizer: string): void {
    const finalizers = (obj.metadata.finalizers ?? []).filter((f) => f !== finalizer);
    this.registry.patch(
      type,
      obj.metadata.namespace,
      obj.metadata.name ?? '',
      'application/merge-patch+json',
      {
        metadata: { finalizers: finalizers.length > 0 ? finalizers : null },
      },
    );
  }

  private tryGet(
    type: Parameters<Registry['get']>[0],
    namespace: string,
    name: string,
  ): KubeObject | undefined {
    try {
      return this.registry.get(type, namespace || undefined, name);
    } catch (err) {
      if (err instanceof ApiError && err.code === 404) return undefined;
      throw err;
    }
  }

  private tryDelete(
    type: Parameters<Registry['get']>[0],
    namespace: string,
    name: string,
    policy: 'Background' | 'Foreground' = 'Background',
  ): void {
    try {
      this.registry.delete(type, namespace || undefined, name, { propagationPolicy: policy });
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 404)) throw err;
    }
  }
}
