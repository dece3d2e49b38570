/**
 * Durations in scenarios, as Kubernetes and KubeEdge configs write them (Go's time.ParseDuration
 * notation, restricted to ms, s, m and h): `500ms`, `10s`, `1m30s`. The schema requires this shape;
 * these functions turn it into milliseconds and back for reports.
 */
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** The shape the schema enforces (`$defs/duration`), repeated here for values built in code. */
export const DURATION_PATTERN = /^(\d+(\.\d+)?(ms|s|m|h))+$/;

/** Milliseconds of `text`, or undefined when it is not a duration. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (!DURATION_PATTERN.test(trimmed)) return undefined;
  let ms = 0;
  for (const [, n, unit] of trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    ms += Number(n) * (UNIT_MS[unit ?? 's'] ?? 1000);
  }
  return Math.round(ms);
}

/** Milliseconds of a duration the schema has already checked; `fallbackMs` when absent. */
export function durationMs(text: string | undefined, fallbackMs: number): number {
  if (text === undefined) return fallbackMs;
  const ms = parseDuration(text);
  if (ms === undefined) throw new RangeError(`not a duration: ${JSON.stringify(text)}`);
  return ms;
}

/** A duration for people: `850 ms`, `12.3 s`, `2 min 5 s`. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return seconds === 0 ? `${minutes} min` : `${minutes} min ${seconds} s`;
}

/** Seconds with one decimal (`12.3s`), as timelines and window labels show offsets from the start. */
export function formatOffset(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}
