import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sliceOffsets } from './slicer.ts';

function sizes(offsets: number[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < offsets.length; i += 2) out.push((offsets[i] ?? 0) - (offsets[i - 1] ?? 0));
  return out;
}

test('slices cover the chunk end to end, in order, within average ± variation', () => {
  let seed = 7;
  const random = (): number => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
  for (const [len, avg, variation] of [
    [1000, 100, 20],
    [64 * 1024, 1024, 256],
    [10, 3, 0],
  ] as const) {
    const offsets = sliceOffsets(0, len, avg, variation, random);
    assert.equal(offsets[0], 0);
    assert.equal(offsets.at(-1), len);
    for (let i = 2; i < offsets.length; i += 2) assert.equal(offsets[i], offsets[i - 1], 'contiguous');
    for (const s of sizes(offsets))
      assert.ok(s >= 1 && s <= avg + variation, `${s} within ${avg}±${variation}`);
  }
});

test('inputs on which Go would crash still terminate: average 0, variation above the average', () => {
  assert.deepEqual(sizes(sliceOffsets(0, 4, 0, 0, Math.random)), [1, 1, 1, 1]);
  const wild = sliceOffsets(0, 500, 10, 50, Math.random);
  assert.equal(
    sizes(wild).reduce((a, b) => a + b, 0),
    500,
  );
  assert.ok(sizes(wild).every((s) => s >= 1));
  assert.deepEqual(sliceOffsets(0, 5, 10, 0, Math.random), [0, 5], 'small chunks are left whole');
});
