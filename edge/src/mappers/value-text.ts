/**
 * Twin values are strings on the wire (kubeedge-protocol.md §7.3 `TwinValue.value`, crds `TwinProperty`),
 * so every mapper turns device values into text and desired values back. These are the shared rules.
 */
import { InvalidInputError } from '@edgeproof/core';

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** A decimal number as a desired value may carry it ("21.5", "-3", "1e3"); nothing else. */
export function parseNumberText(text: string, what: string): number {
  const trimmed = text.trim();
  if (!NUMBER.test(trimmed)) throw new InvalidInputError(`${what}: "${text}" is not a number`);
  return Number(trimmed);
}

/** "true"/"false" as KubeEdge writes booleans (Go strconv.FormatBool), and "1"/"0" as devices do. */
export function parseBooleanText(text: string, what: string): boolean {
  const t = text.trim().toLowerCase();
  if (t === 'true' || t === '1') return true;
  if (t === 'false' || t === '0') return false;
  throw new InvalidInputError(`${what}: "${text}" is not a boolean (true, false, 1 or 0)`);
}

/**
 * Drops the binary noise of a floating-point product (3 × 0.1 = 0.30000000000000004 → 0.3): a scale
 * is a decimal factor, and 15 significant digits are all a double holds reliably.
 */
export function tidy(n: number): number {
  return Number.isFinite(n) ? Number(n.toPrecision(15)) : n;
}

/** The shortest decimal that reads back as the same float32 (0.1f reads as 0.1, not 0.10000000149011612). */
export function shortestFloat32(x: number): number {
  if (!Number.isFinite(x)) return x;
  for (let p = 1; p <= 9; p++) {
    const candidate = Number(x.toPrecision(p));
    if (Math.fround(candidate) === x) return candidate;
  }
  return x;
}

/**
 * A number as twin text. The twin value alphabet (§7.3: `[A-Za-z0-9-_.,:/@#]`) has no `+`, so an
 * exponent is written `1e21`, not `1e+21`; NaN and infinities have no twin form at all.
 */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) throw new InvalidInputError(`${n} cannot be reported as a twin value`);
  return String(n).replace('e+', 'e');
}
