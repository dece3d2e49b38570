/**
 * kubelet's crash back-off for one container (pkg/kubelet/kuberuntime/kuberuntime_manager.go
 * `doBackOff`, over client-go util/flowcontrol `Backoff`): 10 s doubling to 300 s, forgotten once
 * the container ran for twice the cap (10 min) since its last restart.
 *
 * The sequence this gives is kubelet's: the first restart after a crash is immediate; the next one
 * waits 10 s after the exit, then 20 s, 40 s … 300 s (`CrashLoopBackOff`). Pure: times are passed in.
 */
import { InvalidInputError } from '@edgeproof/core';

/** kubelet `backOffPeriod`. */
export const CRASH_BACKOFF_INITIAL_MS = 10_000;
/** kubelet `MaxContainerBackOff`. */
export const CRASH_BACKOFF_MAX_MS = 300_000;

export interface CrashBackoffOptions {
  initialMs?: number;
  maxMs?: number;
}

export class CrashBackoff {
  private readonly initialMs: number;
  private readonly maxMs: number;
  /** The current back-off; 0 before the first restart (flowcontrol: no entry yet). */
  private backoffMs = 0;
  private lastUpdate = 0;

  constructor(options: CrashBackoffOptions = {}) {
    this.initialMs = options.initialMs ?? CRASH_BACKOFF_INITIAL_MS;
    this.maxMs = options.maxMs ?? CRASH_BACKOFF_MAX_MS;
    if (!(this.initialMs > 0) || !(this.maxMs >= this.initialMs)) {
      throw new InvalidInputError(
        `crash back-off needs 0 < initialMs <= maxMs, got initialMs=${this.initialMs} maxMs=${this.maxMs}`,
      );
    }
  }

  /** The back-off now in force, for the `back-off 20s restarting failed container` message. */
  get currentMs(): number {
    return this.backoffMs;
  }

  /**
   * How long a container that exited at `finishedAt` must still wait before its restart, at `now`
   * (flowcontrol `IsInBackOffSince`); 0 when it may restart at once.
   */
  remaining(finishedAt: number, now: number): number {
    if (this.backoffMs === 0 || this.expired(finishedAt)) return 0;
    return Math.max(0, finishedAt + this.backoffMs - now);
  }

  /** Records a restart at `now` of a container that exited at `finishedAt` (flowcontrol `Next`). */
  next(finishedAt: number, now: number): void {
    this.backoffMs =
      this.backoffMs === 0 || this.expired(finishedAt)
        ? this.initialMs
        : Math.min(this.backoffMs * 2, this.maxMs);
    this.lastUpdate = now;
  }

  /** flowcontrol `hasExpired`: the container ran longer than twice the cap since the last restart. */
  private expired(finishedAt: number): boolean {
    return finishedAt - this.lastUpdate > 2 * this.maxMs;
  }
}

/** A duration as Go's `time.Duration.String` prints it (`300ms`, `10s`, `1m20s`, `5m0s`), as kubelet messages do. */
export function goDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = `${(ms % 60_000) / 1000}s`;
  if (minutes === 0) return seconds;
  return minutes < 60 ? `${minutes}m${seconds}` : `${Math.floor(minutes / 60)}h${minutes % 60}m${seconds}`;
}
