// The dependency-direction check must fail on each kind of violation of ARCHITECTURE.md §3, not
// only pass on the real tree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WORKSPACES } from './workspaces.ts';

const SCRIPT = resolve(dirname(fileURLToPath(import.meta.url)), 'check-deps.ts');

/** A throwaway tree with every workspace; `files` adds sources and package.json overrides. */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'check-deps-'));
  for (const ws of WORKSPACES) {
    mkdirSync(join(root, ws, 'src'), { recursive: true });
    writeFileSync(join(root, ws, 'package.json'), JSON.stringify({ name: `@edgeproof/${ws}` }));
    writeFileSync(join(root, ws, 'src', 'index.ts'), 'export {};\n');
  }
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

function check(files: Record<string, string>): { code: number; stderr: string } {
  const root = tree(files);
  try {
    const r = spawnSync(process.execPath, [SCRIPT, root], { encoding: 'utf8' });
    return { code: r.status ?? 1, stderr: r.stderr };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

test('allowed imports pass', () => {
  const r = check({
    'cloud/src/a.ts': "import { x } from '@edgeproof/core';\nimport type { Y } from '@edgeproof/crds';\n",
    'scenarios/src/b.ts': "import { z } from '@edgeproof/cloud';\nimport { w } from '@edgeproof/edge';\n",
  });
  assert.equal(r.code, 0, r.stderr);
});

test('cloud importing edge fails and names the file, line and rule', () => {
  const r = check({ 'cloud/src/hub.ts': "// a comment\nimport { EdgeHub } from '@edgeproof/edge';\n" });
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /cloud\/src\/hub\.ts:2: imports @edgeproof\/edge, but cloud may import only cloud, core, crds/,
  );
});

test('core importing anything internal fails, also through dynamic import()', () => {
  const r = check({ 'core/src/x.ts': "export const m = await import('@edgeproof/crds');\n" });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /core\/src\/x\.ts:1: imports @edgeproof\/crds/);
});

test('a relative import into another workspace fails', () => {
  const r = check({ 'edge/test/t.test.ts': "import { ApiServer } from '../../cloud/src/index.ts';\n" });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /relative import \.\.\/\.\.\/cloud\/src\/index\.ts reaches into cloud/);
});

test('a deep import into another workspace fails', () => {
  const r = check({
    'scenarios/src/y.ts': "import { Storage } from '@edgeproof/cloud/src/apiserver/storage.ts';\n",
  });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /deep import/);
});

test('a package.json dependency that breaks the direction fails', () => {
  const r = check({
    'edge/package.json': JSON.stringify({
      name: '@edgeproof/edge',
      dependencies: { '@edgeproof/cloud': '0.1.0' },
    }),
  });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /edge\/package\.json: dependencies names @edgeproof\/cloud/);
});
