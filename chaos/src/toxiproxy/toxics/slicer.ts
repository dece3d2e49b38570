/**
 * toxics/slicer.go: every chunk is cut into pieces of about `average_size` ± `size_variation`
 * bytes, sent separately with `delay` µs after each. Go halves a chunk (± the variation) until
 * the pieces are small enough; so does `sliceOffsets`. Where Go would crash — `average_size` 0
 * recurses forever, a variation above the average can cut outside the chunk — the size is taken
 * as at least 1 and every cut stays inside the chunk.
 */
import { isEnd } from '../chunk-queue.ts';
import type { ToxicKind } from '../toxic-kind.ts';

export type SlicerAttributes = { average_size: number; size_variation: number; delay: number };

/** Offsets `[s0, e0, s1, e1, …]` of the pieces of `start..end` (slicer.go `chunk`). */
export function sliceOffsets(
  start: number,
  end: number,
  averageSize: number,
  sizeVariation: number,
  random: () => number,
): number[] {
  const average = Math.max(1, averageSize);
  const variation = Math.max(0, sizeVariation);
  const out: number[] = [];
  const cut = (from: number, to: number): void => {
    if (to - from - average <= variation || to - from < 2) {
      out.push(from, to);
      return;
    }
    let mid = from + Math.trunc((to - from) / 2);
    if (variation > 0) mid += Math.floor(random() * variation * 2) - variation;
    mid = Math.min(to - 1, Math.max(from + 1, mid));
    cut(from, mid);
    cut(mid, to);
  };
  cut(start, end);
  return out;
}

export const SLICER: ToxicKind<SlicerAttributes> = {
  type: 'slicer',
  goStruct: 'SlicerToxic',
  fields: { average_size: 'int', size_variation: 'int', delay: 'int' },
  async pipe(stub, attributes, signal) {
    const delayMs = attributes.delay / 1000; // µs; timers here have ms resolution
    for (;;) {
      const item = await stub.input.take(signal);
      if (item === undefined) return;
      if (isEnd(item)) {
        stub.close(item.end);
        return;
      }
      const offsets = sliceOffsets(
        0,
        item.data.length,
        attributes.average_size,
        attributes.size_variation,
        stub.runtime.random,
      );
      for (let i = 1; i < offsets.length; i += 2) {
        stub.send({ data: item.data.subarray(offsets[i - 1], offsets[i]), ts: item.ts });
        if (!(await stub.sleep(delayMs, signal))) {
          stub.send({ data: item.data.subarray(offsets[i]), ts: item.ts });
          return;
        }
      }
    }
  },
};
