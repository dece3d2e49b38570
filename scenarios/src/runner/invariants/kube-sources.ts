/**
 * What the invariant monitor reads, behind small interfaces so its window logic can be tested with
 * a FakeClock and scripted answers: node Ready statuses (sampled, and watched so that a short dip
 * between two samples is seen too) and matching pods from the cloud, and a list-then-watch of one
 * ConfigMap (on the cloud, or on a node's MetaServer). The real sources use
 * @kubernetes/client-node against the bench's kubeconfigs.
 */
import { CoreV1Api, CustomObjectsApi, KubeConfig, Watch, type V1Node } from '@kubernetes/client-node';
import { DEVICES_GROUP } from '@edgeproof/crds';
import { errorMessage, type Clock } from '@edgeproof/core';
import type { PodState } from './pod-stability.ts';
import type { TwinValues } from './twin-convergence.ts';

export interface ClusterSource {
  /** Each node's `Ready` condition status (`True`, `False`, `Unknown`). */
  nodeReadiness(): Promise<Record<string, string>>;
  /** The pods matching the selector: UID and restart count. */
  pods(namespace: string, selector: string): Promise<Record<string, PodState>>;
  /** A device property's desired value (from the Device) and reported value (its DeviceStatus). */
  twin(namespace: string, device: string, property: string): Promise<TwinValues>;
}

/** A ConfigMap's versions as one watcher sees them. */
export type ConfigMapObservation = {
  type: 'LIST' | 'ADDED' | 'MODIFIED' | 'DELETED';
  rv: number;
  connection: number;
};

/** Every change of the nodes' `Ready` status, as a watch sees it (samples can miss a short dip). */
export interface NodeReadinessFeed {
  /** Starts; `onChange` gets every node's status after each change (and after each re-list). */
  start(onChange: (ready: Record<string, string>) => void): void;
  stop(): void;
}

export interface ConfigMapFeed {
  /** Starts listing and watching; `onObservation` is called for each version seen. */
  start(onObservation: (o: ConfigMapObservation) => void): void;
  stop(): void;
}

/** The cloud through the API server's kubeconfig. */
export class KubeClusterSource implements ClusterSource {
  private readonly api: CoreV1Api;
  private readonly custom: CustomObjectsApi;

  constructor(kubeconfigPath: string) {
    const kc = loadKubeConfig(kubeconfigPath);
    this.api = kc.makeApiClient(CoreV1Api);
    this.custom = kc.makeApiClient(CustomObjectsApi);
  }

  async nodeReadiness(): Promise<Record<string, string>> {
    const list = await this.api.listNode();
    const out: Record<string, string> = {};
    for (const n of list.items) out[n.metadata?.name ?? ''] = readyOf(n);
    return out;
  }

  async pods(namespace: string, selector: string): Promise<Record<string, PodState>> {
    const list = await this.api.listNamespacedPod({ namespace, labelSelector: selector });
    const out: Record<string, PodState> = {};
    for (const p of list.items) {
      const restarts = (p.status?.containerStatuses ?? []).reduce((sum, c) => sum + (c.restartCount ?? 0), 0);
      out[p.metadata?.name ?? ''] = { uid: p.metadata?.uid ?? '', restarts };
    }
    return out;
  }

  async twin(namespace: string, device: string, property: string): Promise<TwinValues> {
    const get = async (plural: string): Promise<Record<string, unknown> | undefined> => {
      try {
        return (await this.custom.getNamespacedCustomObject({
          group: DEVICES_GROUP,
          version: 'v1beta1',
          namespace,
          plural,
          name: device,
        })) as Record<string, unknown>;
      } catch (err) {
        // Not there (yet): no value. Anything else is a failed look.
        if ((err as { code?: number }).code === 404) return undefined;
        throw err;
      }
    };
    const [dev, status] = await Promise.all([get('devices'), get('devicestatuses')]);
    const props =
      (dev?.spec as { properties?: { name?: string; desired?: { value?: string } }[] } | undefined)
        ?.properties ?? [];
    const twins =
      (status?.status as { twins?: { propertyName?: string; reported?: { value?: string } }[] } | undefined)
        ?.twins ?? [];
    const desired = props.find((p) => p.name === property)?.desired?.value;
    const reported = twins.find((t) => t.propertyName === property)?.reported?.value;
    return { ...(desired !== undefined ? { desired } : {}), ...(reported !== undefined ? { reported } : {}) };
  }
}

/** Nodes listed, then watched from the list's resourceVersion; again after any break. */
export class KubeNodeReadinessFeed implements NodeReadinessFeed {
  private readonly kubeconfigPath: string;
  private readonly clock: Clock;
  private stopped = false;
  private abort: AbortController | undefined;

  constructor(o: { kubeconfigPath: string; clock: Clock }) {
    this.kubeconfigPath = o.kubeconfigPath;
    this.clock = o.clock;
  }

  start(onChange: (ready: Record<string, string>) => void): void {
    void this.connect(onChange);
  }

  stop(): void {
    this.stopped = true;
    this.abort?.abort();
  }

  private async connect(emit: (ready: Record<string, string>) => void): Promise<void> {
    if (this.stopped) return;
    const retry = (): void => {
      if (!this.stopped) this.clock.setTimeout(() => void this.connect(emit), 500);
    };
    try {
      const kc = loadKubeConfig(this.kubeconfigPath);
      const list = await kc.makeApiClient(CoreV1Api).listNode();
      const ready: Record<string, string> = {};
      for (const n of list.items) ready[n.metadata?.name ?? ''] = readyOf(n);
      emit({ ...ready });
      if (this.stopped) return;
      let ended = false;
      this.abort = await new Watch(kc).watch(
        '/api/v1/nodes',
        { resourceVersion: list.metadata?.resourceVersion ?? '0' },
        (type: string, obj: V1Node) => {
          const name = obj.metadata?.name ?? '';
          if (type === 'DELETED') delete ready[name];
          else if (type === 'ADDED' || type === 'MODIFIED') ready[name] = readyOf(obj);
          else return;
          emit({ ...ready });
        },
        () => {
          if (ended) return;
          ended = true;
          retry();
        },
      );
    } catch {
      retry();
    }
  }
}

function readyOf(n: V1Node): string {
  return n.status?.conditions?.find((c) => c.type === 'Ready')?.status ?? 'Unknown';
}

/**
 * One ConfigMap, listed and then watched from the list's resourceVersion (as kubectl and
 * informers do); on any break it lists and watches again after `retryMs`, as a new connection.
 */
export class KubeConfigMapFeed implements ConfigMapFeed {
  private readonly kubeconfigPath: string;
  private readonly namespace: string;
  private readonly name: string;
  private readonly clock: Clock;
  private readonly retryMs: number;
  private readonly onError: (message: string) => void;
  private stopped = false;
  private connection = 0;
  private abort: AbortController | undefined;

  constructor(o: {
    kubeconfigPath: string;
    namespace: string;
    name: string;
    clock: Clock;
    retryMs?: number;
    onError?: (message: string) => void;
  }) {
    this.kubeconfigPath = o.kubeconfigPath;
    this.namespace = o.namespace;
    this.name = o.name;
    this.clock = o.clock;
    this.retryMs = o.retryMs ?? 500;
    this.onError = o.onError ?? (() => {});
  }

  start(onObservation: (o: ConfigMapObservation) => void): void {
    void this.connect(onObservation);
  }

  stop(): void {
    this.stopped = true;
    this.abort?.abort();
  }

  private async connect(emit: (o: ConfigMapObservation) => void): Promise<void> {
    if (this.stopped) return;
    const connection = ++this.connection;
    try {
      // Loaded each time: edgecore rewrites its kubeconfig when it starts again.
      const kc = loadKubeConfig(this.kubeconfigPath);
      const api = kc.makeApiClient(CoreV1Api);
      const list = await api.listNamespacedConfigMap({
        namespace: this.namespace,
        fieldSelector: `metadata.name=${this.name}`,
      });
      for (const item of list.items)
        emit({ type: 'LIST', rv: Number(item.metadata?.resourceVersion), connection });
      if (this.stopped) return;
      let ended = false;
      const again = (err: unknown): void => {
        if (ended) return;
        ended = true;
        if (err) this.onError(errorMessage(err));
        this.clock.setTimeout(() => void this.connect(emit), this.retryMs);
      };
      this.abort = await new Watch(kc).watch(
        `/api/v1/namespaces/${this.namespace}/configmaps`,
        {
          fieldSelector: `metadata.name=${this.name}`,
          resourceVersion: list.metadata?.resourceVersion ?? '0',
        },
        (type: string, obj: { metadata?: { resourceVersion?: string } }) => {
          if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') {
            emit({ type, rv: Number(obj.metadata?.resourceVersion), connection });
          }
        },
        again,
      );
    } catch (err) {
      this.onError(errorMessage(err));
      if (!this.stopped) this.clock.setTimeout(() => void this.connect(emit), this.retryMs);
    }
  }
}

/**
 * A kubeconfig for @kubernetes/client-node. MetaServer is plain HTTP on loopback (no TLS, no
 * auth: README "edgeproof join"), and client-node 2.x refuses http:// unless the cluster is marked
 * skipTLSVerify; there is no TLS to verify, so marking it changes nothing else.
 */
export function loadKubeConfig(path: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  if (!kc.clusters.some((c) => c.server.startsWith('http://'))) return kc;
  const plain = new KubeConfig();
  plain.loadFromOptions({
    clusters: kc.clusters.map((c) => (c.server.startsWith('http://') ? { ...c, skipTLSVerify: true } : c)),
    users: kc.users,
    contexts: kc.contexts,
    currentContext: kc.currentContext,
  });
  return plain;
}
