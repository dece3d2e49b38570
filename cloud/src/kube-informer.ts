/**
 * An informer (client-node's list + watch cache) that keeps itself running: client-node 2.0.1's
 * ListWatch re-lists after a 410 and re-watches after a normal end, but after any other error
 * (API server restarting, connection refused) it emits `error` and stops for good
 * (dist/cache.js `doneHandler`). Here it starts again after a backoff on the injected clock, as
 * client-go's reflector does (`wait.BackoffUntil`, 800 ms → 30 s).
 */
import {
  makeInformer,
  type Informer,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type ObjectCache,
} from '@kubernetes/client-node';
import { errorMessage, type Clock, type Logger, type TimerHandle } from '@edgeproof/core';

const RETRY_FIRST_MS = 800;
const RETRY_MAX_MS = 30_000;

export interface KeptInformerOptions<T extends KubernetesObject> {
  kubeConfig: KubeConfig;
  /** The collection's API path, e.g. `/api/v1/nodes`. */
  path: string;
  list: () => Promise<KubernetesListObject<T>>;
  labelSelector?: string;
  clock: Clock;
  logger: Logger;
  /** What it watches, for the log (`edge nodes`). */
  what: string;
}

/** See the module comment. Constructing does no I/O. */
export class KeptInformer<T extends KubernetesObject> {
  readonly informer: Informer<T> & ObjectCache<T>;
  private readonly options: KeptInformerOptions<T>;
  private hasListed = false;
  private running = false;
  private retryMs = RETRY_FIRST_MS;
  private retryTimer: TimerHandle | undefined;

  constructor(options: KeptInformerOptions<T>) {
    this.options = options;
    this.informer = makeInformer<T>(
      options.kubeConfig,
      options.path,
      async () => {
        const list = await options.list();
        this.hasListed = true;
        this.retryMs = RETRY_FIRST_MS;
        return list;
      },
      options.labelSelector,
    );
    this.informer.on('error', (err: unknown) => this.onError(err));
  }

  /** True once the first list has arrived, so the cache reflects the cluster. */
  synced(): boolean {
    return this.hasListed;
  }

  async start(): Promise<void> {
    this.running = true;
    await this.informer.start();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.retryTimer?.cancel();
    this.retryTimer = undefined;
    await this.informer.stop();
  }

  private onError(err: unknown): void {
    if (!this.running) return;
    const delay = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
    this.options.logger.warn(`watch of ${this.options.what} failed; starting again`, {
      error: errorMessage(err),
      retryInMs: delay,
    });
    this.retryTimer?.cancel();
    this.retryTimer = this.options.clock.setTimeout(() => {
      this.retryTimer = undefined;
      if (this.running) {
        this.informer.start().catch((e: unknown) => this.onError(e));
      }
    }, delay);
  }
}
