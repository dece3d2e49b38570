/**
 * Runs async jobs with at most `max` at once; the rest wait in arrival order. Used where a burst of
 * work (thousands of edge nodes registering after a cloudcore restart) would otherwise start every
 * call at once and hold every request and response in memory together; client-go bounds the same
 * with its client-side rate limiter.
 */
import { InvalidInputError } from './errors.ts';

export class ConcurrencyLimit {
  private readonly max: number;
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly idleWaiters: Array<() => void> = [];

  constructor(max: number) {
    if (!Number.isSafeInteger(max) || max < 1) {
      throw new InvalidInputError(`a concurrency limit must be a whole number of at least 1, got ${max}`);
    }
    this.max = max;
  }

  /** Jobs running now. */
  get active(): number {
    return this.running;
  }

  /** Jobs waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Runs `job` when a slot is free; settles as the job does. */
  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.running >= this.max) await new Promise<void>((go) => this.waiting.push(go));
    else this.running++;
    try {
      return await job();
    } finally {
      const next = this.waiting.shift();
      if (next) {
        next(); // the slot passes straight to the next job
      } else {
        this.running--;
        if (this.running === 0) for (const done of this.idleWaiters.splice(0)) done();
      }
    }
  }

  /** Resolves when nothing is running or waiting. */
  async idle(): Promise<void> {
    if (this.running === 0 && this.waiting.length === 0) return;
    await new Promise<void>((done) => this.idleWaiters.push(done));
  }
}
