/**
 * What every part of the embedded Toxiproxy is given instead of reaching for globals
 * (ARCHITECTURE.md §4): the clock its toxics wait on, the random source behind jitter, slicing
 * and toxicity, and the logger.
 */
import type { Clock, Logger } from '@edgeproof/core';

export type ToxiproxyRuntime = {
  readonly clock: Clock;
  /** Uniform in [0, 1), like Go's rand.Float32. */
  readonly random: () => number;
  readonly logger: Logger;
};
