// `npm test`: every *.test.ts in every workspace, through node:test. Fails when it finds none, so a
// broken glob can never pass as an empty green run. Extra arguments are passed to `node --test`
// (e.g. `npm test -- --test-name-pattern=watch`); a path argument narrows the file list.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WORKSPACES } from './workspaces.ts';
import { workspaceSourceFiles } from './source-files.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const filters = args.filter((a) => !a.startsWith('-'));
const flags = args.filter((a) => a.startsWith('-'));

// Tests of the repository's own scripts (scripts/*.test.ts) run too.
const scriptTests = readdirSync(join(root, 'scripts'))
  .filter((f) => f.endsWith('.test.ts'))
  .map((f) => join(root, 'scripts', f));
const files = [...WORKSPACES.flatMap((ws) => workspaceSourceFiles(root, ws)), ...scriptTests]
  .filter((f) => f.endsWith('.test.ts'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));

if (files.length === 0) {
  console.error(
    `npm test: no *.test.ts files found${filters.length ? ` matching ${filters.join(' ')}` : ''}`,
  );
  process.exit(1);
}

const result = spawnSync(process.execPath, ['--test', '--test-timeout=180000', ...flags, ...files], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
