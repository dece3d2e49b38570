/** Summaries of a measure's samples: min, max, mean and nearest-rank percentiles. */
import type { Measurement } from './result-types.ts';

/** The nearest-rank percentile `p` (0–100) of `sorted` (ascending, not empty). */
export function percentile(sorted: readonly number[], p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1] ?? 0;
}

export function summarize(name: string, samples: readonly number[]): Measurement {
  const sorted = [...samples].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    name,
    samples: [...samples],
    min: sorted[0] ?? 0,
    max: sorted.at(-1) ?? 0,
    mean: sorted.length === 0 ? 0 : Math.round(sum / sorted.length),
    p50: sorted.length === 0 ? 0 : percentile(sorted, 50),
    p90: sorted.length === 0 ? 0 : percentile(sorted, 90),
    p99: sorted.length === 0 ? 0 : percentile(sorted, 99),
  };
}
