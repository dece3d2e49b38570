/**
 * Empties a namespace that is being deleted, then removes it: what kube-controller-manager's
 * namespace controller does (pkg/controller/namespace/deletion/namespaced_resources_deleter.go).
 * Level-based: a key is a namespace name, and a pass reads current state.
 */
import { WorkQueue, type Clock, type Logger, type ReconcileResult } from '@edgeproof/core';
import type { Registry } from '../registry.ts';

export class NamespaceController {
  private readonly registry: Registry;
  private readonly queue: WorkQueue;
  private readonly logger: Logger;
  private readonly retryMs: number;

  constructor(options: { registry: Registry; clock: Clock; logger: Logger; retryMs?: number }) {
    this.registry = options.registry;
    this.logger = options.logger;
    this.queue = new WorkQueue({ clock: options.clock, logger: options.logger });
    this.retryMs = options.retryMs ?? 1000;
  }

  async run(signal: AbortSignal): Promise<void> {
    const namespaces = this.registry.mustType('', 'v1', 'namespaces');
    const unsubscribe = this.registry.onChange(namespaces, (change) => {
      if (change.type !== 'DELETED' && change.object.metadata.deletionTimestamp) this.queue.add(change.name);
    });
    for (const ns of this.registry.list(namespaces, undefined).items) {
      if (ns.metadata.deletionTimestamp) this.queue.add(ns.metadata.name ?? '');
    }
    try {
      await this.queue.run(signal, (name) => this.reconcile(name));
    } finally {
      unsubscribe();
    }
  }

  private reconcile(name: string): ReconcileResult {
    const namespaces = this.registry.mustType('', 'v1', 'namespaces');
    let ns;
    try {
      ns = this.registry.get(namespaces, undefined, name);
    } catch {
      return; // already gone
    }
    if (!ns.metadata.deletionTimestamp) return;
    let remaining = 0;
    for (const type of this.registry.typesByStorage()) {
      if (!type.namespaced) continue;
      const left = this.registry.deleteCollection(type, name, {}, { propagationPolicy: 'Background' });
      // Objects with finalizers stay (marked) until their finalizers are removed.
      remaining += left.items.filter((o) => (o.metadata.finalizers ?? []).length > 0).length;
    }
    if (remaining > 0) {
      this.logger.debug('namespace still has content with finalizers', { namespace: name, remaining });
      return { requeueAfterMs: this.retryMs };
    }
    this.registry.finalizeNamespace(name);
    this.logger.info('namespace deleted', { namespace: name });
  }
}
