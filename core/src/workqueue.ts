/**
 * A level-based work queue (ARCHITECTURE.md §4 "Controllers are level-based"; client-go
 * util/workqueue): watch events only enqueue keys, a key queued twice is processed once, a key
 * being processed is re-queued when it is added again, failures back off per key
 * exponentially (client-go's default 5 ms → 1000 s). Time comes from the injected Clock.
 */
import type { Clock, TimerHandle } from './clock.ts';
import type { Logger } from './logger.ts';
import { EdgeproofError, errorMessage } from './errors.ts';

export type ReconcileResult = { requeueAfterMs?: number } | void;
export type Reconcile = (key: string) => ReconcileResult | Promise<ReconcileResult>;

export type WorkQueueOptions = {
  clock: Clock;
  logger: Logger;
  baseDelayMs?: number;
  maxDelayMs?: number;
};

export class WorkQueue {
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirtyWhileProcessing = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly delayed = new Map<string, TimerHandle>();
  private wake: (() => void) | undefined;
  private stopped = false;

  constructor(options: WorkQueueOptions) {
    this.clock = options.clock;
    this.logger = options.logger;
    this.baseDelayMs = options.baseDelayMs ?? 5;
    this.maxDelayMs = options.maxDelayMs ?? 1_000_000;
  }

  add(key: string): void {
    if (this.stopped) return;
    if (this.processing.has(key)) {
      this.dirtyWhileProcessing.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    this.wake?.();
  }

  addAfter(key: string, delayMs: number): void {
    if (this.stopped || this.delayed.has(key)) return;
    this.delayed.set(
      key,
      this.clock.setTimeout(() => {
        this.delayed.delete(key);
        this.add(key);
      }, delayMs),
    );
  }

  /** Re-queues `key` after its per-key exponential backoff. */
  addRateLimited(key: string): void {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    this.addAfter(key, Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** n));
  }

  /** Length of the ready queue (not counting delayed keys). */
  length(): number {
    return this.queue.length;
  }

  /** Processes keys one at a time until `signal` aborts. */
  async run(signal: AbortSignal, reconcile: Reconcile): Promise<void> {
    const onAbort = (): void => this.stop();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      while (!this.stopped) {
        const key = this.queue.shift();
        if (key === undefined) {
          await new Promise<void>((resolve) => (this.wake = resolve));
          this.wake = undefined;
          continue;
        }
        this.queued.delete(key);
        this.processing.add(key);
        try {
          const result = await reconcile(key);
          this.failures.delete(key);
          if (result?.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
        } catch (err) {
          const retriable = !(err instanceof EdgeproofError) || err.retriable;
          this.logger.warn(retriable ? 'reconcile failed, will retry' : 'reconcile failed for good', {
            key,
            err: errorMessage(err),
          });
          if (retriable) this.addRateLimited(key);
          else this.failures.delete(key);
        } finally {
          this.processing.delete(key);
          if (this.dirtyWhileProcessing.delete(key)) this.add(key);
        }
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.delayed.values()) timer.cancel();
    this.delayed.clear();
    this.wake?.();
  }
}
