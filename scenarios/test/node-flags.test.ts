// The V8 flags for a cloud host (src/node-flags.ts): the executable keeps a shebang every `env`
// runs, it runs through that shebang as npx runs it, and the flags do bound the young generation on
// this Node, on the command line and through NODE_OPTIONS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { EDGEPROOF_NODE_FLAGS } from '../src/node-flags.ts';
import { BIN, runProgram, type RunResult } from './support/cli.ts';

test("the executable's shebang is one that BusyBox's env runs too: no `-S`, no flags", () => {
  const shebang = readFileSync(BIN, 'utf8').split('\n')[0];
  assert.equal(shebang, '#!/usr/bin/env node');
});

test('the executable runs through its shebang, as npx runs it', async () => {
  // `env` finds `node` on PATH: the pinned Node first, as npm puts node_modules/.bin first.
  const r = await runProgram(BIN, ['--help'], {
    env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` },
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Usage: edgeproof <command>/);
});

// Short-lived garbage at a high rate is what grows new space to its maximum. It is read after a
// full GC: between collections new space can hold a few pages beyond its capacity for a while
// (seen here: up to 38.5 MB with 16 MB semi-spaces, and 40.4 MB once in CI), while after a full
// GC it is back at the capacity the flag sets (32 MB with the flag, 128 MB without it, here).
const GARBAGE_THEN_PRINT_NEW_SPACE = `
    const v8 = require('node:v8');
    let keep = [];
    for (let r = 0; r < 100; r++) {
      for (let i = 0; i < 100000; i++) keep.push({ i, s: 'x' + i });
      if (keep.length > 300000) keep = [];
    }
    globalThis.gc();
    const s = v8.getHeapSpaceStatistics().find((x) => x.space_name === 'new_space');
    console.log(s.space_size);`;

function assertNewSpaceWithinFlags(r: RunResult): void {
  assert.equal(r.code, 0, r.stderr);
  const newSpaceBytes = Number(r.stdout.trim());
  assert.ok(newSpaceBytes > 0, r.stdout);
  assert.ok(newSpaceBytes <= 2 * 16 * 2 ** 20, `new space ${newSpaceBytes} bytes`);
}

test('with the flags, the young generation stays within two 16 MB semi-spaces', async () => {
  const args = [...EDGEPROOF_NODE_FLAGS, '--expose-gc', '-e', GARBAGE_THEN_PRINT_NEW_SPACE];
  assertNewSpaceWithinFlags(await runProgram(process.execPath, args));
});

test('NODE_OPTIONS carries the flags as well (how README sets them for `edgeproof up`)', async () => {
  const env = { ...process.env, NODE_OPTIONS: EDGEPROOF_NODE_FLAGS.join(' ') };
  assertNewSpaceWithinFlags(
    await runProgram(process.execPath, ['--expose-gc', '-e', GARBAGE_THEN_PRINT_NEW_SPACE], { env }),
  );
});
