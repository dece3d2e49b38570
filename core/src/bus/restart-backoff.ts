/**
 * Exponential restart backoff with a quiet-period reset. beehive restarts a failed module after a
 * growing interval up to a limit (`beehive/pkg/core/core.go` localModuleKeeper,
 * calculateIntervalTime); we double from a base, cap, and forget old failures once the module has
 * run quietly for a while, so a module that fails once a day never waits the maximum.
 */
import { InvalidInputError } from '../errors.ts';
import type { RestartPolicy } from './types.ts';

/** Defaults: 100 ms doubling to 10 s, reset after 30 s (three maximum delays) without a failure. */
export const DEFAULT_RESTART_POLICY: Readonly<RestartPolicy> = {
  baseDelayMs: 100,
  maxDelayMs: 10_000,
  resetAfterMs: 30_000,
};

/** Computes the delay before each restart of one module; pure, holds no timers. */
export class RestartBackoff {
  private readonly policy: RestartPolicy;
  private consecutive = 0;
  private resumedAt: number | undefined;

  constructor(policy: RestartPolicy) {
    const { baseDelayMs, maxDelayMs, resetAfterMs } = policy;
    if (!(baseDelayMs > 0) || !(maxDelayMs >= baseDelayMs) || !(resetAfterMs >= 0)) {
      throw new InvalidInputError(
        `restart policy needs 0 < baseDelayMs <= maxDelayMs and resetAfterMs >= 0, got ${JSON.stringify(policy)}`,
      );
    }
    this.policy = { ...policy };
  }

  /** The delay before restarting after a failure at `now`; counts the failure. */
  next(now: number): number {
    const quiet = this.resumedAt !== undefined && now - this.resumedAt >= this.policy.resetAfterMs;
    if (quiet) this.consecutive = 0;
    const delay = Math.min(this.policy.maxDelayMs, this.policy.baseDelayMs * 2 ** this.consecutive);
    // Stop counting once capped so the exponent stays small.
    if (delay < this.policy.maxDelayMs) this.consecutive++;
    return delay;
  }

  /** Records that the module started (or restarted) at `now`; the quiet period counts from here. */
  resumed(now: number): void {
    this.resumedAt = now;
  }
}
