#!/usr/bin/env node
// The `edgeproof` executable (npx edgeproof …). Runs .ts directly on the pinned Node 24.
import { main } from '../src/cli/main.ts';

process.exitCode = await main(process.argv.slice(2));
