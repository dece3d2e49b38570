#!/usr/bin/env -S node --max-semi-space-size=16
// The `edgeproof` executable (npx edgeproof …). Runs .ts directly on the pinned Node 24, with the
// V8 flags of ../src/node-flags.ts (why each: there); `env -S` splits them into arguments.
import { main } from '../src/cli/main.ts';

process.exitCode = await main(process.argv.slice(2));
