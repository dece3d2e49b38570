/**
 * Runs async jobs with at most `max` at once; the rest wait in arrival order. Used where a burst of
 * work (thousands of edge nodes registering after a cloudcore restart) would otherwise start every
 * call at once and hold every request and response in memory together; client-go bounds the same
 * with its client-side rate limiter.
 */
import { EdgeproofError, InvalidInputError } from './errors.ts';

/** What `run` rejects with for a job `dropWaiting` took out of the queue: it never ran. */
export class JobDroppedError extends EdgeproofError {
  constructor() {
    super('EDROPPED', 'the job was dropped before it started (its owner is stopping)');
  }
}

type Waiter = { go: () => void; drop: () => void };

export class ConcurrencyLimit {
  private max: number;
  private running = 0;
  private readonly waiting: Waiter[] = [];
  private readonly idleWaiters: Array<() => void> = [];

  constructor(max: number) {
    this.max = checkedMax(max);
  }

  /**
   * Changes how many jobs may run at once. Raised, waiting jobs start at once up to the new limit;
   * lowered, running jobs finish and the next start only once fewer than `max` run.
   */
  setMax(max: number): void {
    this.max = checkedMax(max);
    while (this.running < this.max) {
      const next = this.waiting.shift();
      if (next === undefined) break;
      this.running++;
      next.go();
    }
  }

  /** Jobs running now. */
  get active(): number {
    return this.running;
  }

  /** Jobs waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Runs `job` when a slot is free; settles as the job does, or rejects with `JobDroppedError` if
   * `dropWaiting` takes it out of the queue first.
   */
  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.running >= this.max) {
      await new Promise<void>((go, drop) =>
        this.waiting.push({ go, drop: () => drop(new JobDroppedError()) }),
      );
    } else this.running++;
    try {
      return await job();
    } finally {
      const next = this.running <= this.max ? this.waiting.shift() : undefined;
      if (next) {
        next.go(); // the slot passes straight to the next job
      } else {
        this.running--;
        if (this.running === 0) for (const done of this.idleWaiters.splice(0)) done();
      }
    }
  }

  /**
   * Takes every job that has not started out of the queue: each one's `run` rejects with
   * `JobDroppedError`, and `idle()` then waits only for those running. For an owner that is
   * stopping, whose queued work could no longer be answered. Returns how many were dropped.
   */
  dropWaiting(): number {
    const dropped = this.waiting.splice(0);
    for (const waiter of dropped) waiter.drop();
    return dropped.length;
  }

  /** Resolves when nothing is running or waiting. */
  async idle(): Promise<void> {
    if (this.running === 0 && this.waiting.length === 0) return;
    await new Promise<void>((done) => this.idleWaiters.push(done));
  }
}

function checkedMax(max: number): number {
  if (!Number.isSafeInteger(max) || max < 1) {
    throw new InvalidInputError(`a concurrency limit must be a whole number of at least 1, got ${max}`);
  }
  return max;
}
