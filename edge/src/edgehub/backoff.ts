/**
 * Reconnect delays for EdgeHub: exponential growth with full jitter, capped at a few seconds
 * (ARCHITECTURE.md §5: "jittered exponential backoff instead of fixed 5 s × 5 then 30 s"; KubeEdge's
 * fixed schedule is kubeedge-protocol.md §2.3).
 *
 * Why full jitter (delay = random(0, min(cap, base·factor^n))) and not "equal" or "decorrelated"
 * jitter: when a cloudcore restarts, every edge node loses its link at the same instant, and what
 * matters is spreading the reconnect storm. Full jitter spreads it uniformly over the whole window
 * and, in AWS's comparison ("Exponential Backoff And Jitter", Marc Brooker, AWS Architecture Blog,
 * 2015), does the least total work of the variants; decorrelated jitter depends on the previous
 * delay, which makes the schedule harder to reason about and to test for no gain here. A small
 * floor keeps a node whose cloud refuses it at once (401/403) from spinning on a near-zero delay.
 *
 * Pure: no timers, no global randomness. The random source is injected (`seededRandom` for tests).
 */
import { InvalidInputError } from '@edgeproof/core';

/** A source of uniform numbers in [0, 1), like `Math.random`. */
export type RandomSource = () => number;

export interface BackoffOptions {
  /** Upper bound of the first delay; default 200 ms. */
  baseMs?: number;
  /** Growth per attempt; default 2. */
  factor?: number;
  /** No delay exceeds this; default 5000 ms ("capped at a few seconds", ARCHITECTURE.md §5). */
  capMs?: number;
  /** No delay is below this; default 50 ms. Must not exceed `baseMs`. */
  floorMs?: number;
  /** Default `Math.random`. */
  random?: RandomSource;
}

export const DEFAULT_BACKOFF = { baseMs: 200, factor: 2, capMs: 5000, floorMs: 50 } as const;

/** Backoff state for one connection: `next()` after each failure, `reset()` after a success. */
export class Backoff {
  private readonly baseMs: number;
  private readonly factor: number;
  private readonly capMs: number;
  private readonly floorMs: number;
  private readonly random: RandomSource;
  private attempt = 0;

  constructor(options: BackoffOptions = {}) {
    this.baseMs = options.baseMs ?? DEFAULT_BACKOFF.baseMs;
    this.factor = options.factor ?? DEFAULT_BACKOFF.factor;
    this.capMs = options.capMs ?? DEFAULT_BACKOFF.capMs;
    this.floorMs = Math.min(options.floorMs ?? DEFAULT_BACKOFF.floorMs, this.baseMs);
    this.random = options.random ?? Math.random;
    if (!(this.baseMs > 0) || !Number.isFinite(this.baseMs)) {
      throw new InvalidInputError(`backoff baseMs must be a positive number, got ${this.baseMs}`);
    }
    if (!(this.factor >= 1) || !Number.isFinite(this.factor)) {
      throw new InvalidInputError(`backoff factor must be at least 1, got ${this.factor}`);
    }
    if (!(this.capMs >= this.baseMs) || !Number.isFinite(this.capMs)) {
      throw new InvalidInputError(
        `backoff capMs must be at least baseMs (${this.baseMs}), got ${this.capMs}`,
      );
    }
    if (!(this.floorMs >= 0)) {
      throw new InvalidInputError(`backoff floorMs must not be negative, got ${this.floorMs}`);
    }
  }

  /** Failures since the last `reset()`. */
  get attempts(): number {
    return this.attempt;
  }

  /** The ceiling of the delay for failure number `attempt` (0-based): min(cap, base·factor^attempt). */
  ceiling(attempt: number): number {
    // Exponent growth is bounded by the cap, so a long outage never overflows to Infinity or NaN.
    return Math.min(this.capMs, this.baseMs * Math.pow(this.factor, Math.min(attempt, 64)));
  }

  /** The delay before the next try, in whole ms within [floor, ceiling(attempts)]; counts one failure. */
  next(): number {
    const ceiling = this.ceiling(this.attempt);
    this.attempt++;
    const r = Math.min(Math.max(this.random(), 0), 1);
    return Math.round(this.floorMs + r * (ceiling - this.floorMs));
  }

  /** Back to the first delay; call when a connection has succeeded. */
  reset(): void {
    this.attempt = 0;
  }
}

/**
 * A deterministic random source (mulberry32) for tests and reproducible simulations; never for
 * anything security-related.
 */
export function seededRandom(seed: number): RandomSource {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
