// Enforces the dependency direction of ARCHITECTURE.md §3. TypeScript project references alone
// would let a workspace import a layer it must not (CONVENTIONS.md "Tooling"), so every import
// specifier and every package.json dependency is checked against the table in workspaces.ts.
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MAY_IMPORT, WORKSPACES, type Workspace } from './workspaces.ts';
import { workspaceSourceFiles } from './source-files.ts';

// The repository root; a test passes another tree as the first argument.
const root = resolve(process.argv[2] ?? resolve(dirname(fileURLToPath(import.meta.url)), '..'));
const importPattern = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"]([^'"]+)['"]/g;
const problems: string[] = [];

function isWorkspace(name: string): name is Workspace {
  return (WORKSPACES as readonly string[]).includes(name);
}

for (const ws of WORKSPACES) {
  const allowed = new Set<string>([ws, ...MAY_IMPORT[ws]]);
  const pkg = JSON.parse(readFileSync(join(root, ws, 'package.json'), 'utf8')) as Record<string, unknown>;
  for (const field of ['dependencies', 'devDependencies', 'peerDependencies']) {
    const deps = (pkg[field] ?? {}) as Record<string, string>;
    for (const dep of Object.keys(deps)) {
      const m = /^@edgeproof\/(.+)$/.exec(dep);
      if (m?.[1] && !allowed.has(m[1])) {
        problems.push(`${ws}/package.json: ${field} names ${dep}, but ${ws} may not depend on ${m[1]}`);
      }
    }
  }
  for (const file of workspaceSourceFiles(root, ws)) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(importPattern)) {
      const spec = match[1] ?? '';
      const line = text.slice(0, match.index).split('\n').length;
      const where = `${relative(root, file)}:${line}`;
      const pkgMatch = /^@edgeproof\/([^/]+)(\/.*)?$/.exec(spec);
      if (pkgMatch?.[1]) {
        if (!allowed.has(pkgMatch[1])) {
          problems.push(`${where}: imports ${spec}, but ${ws} may import only ${[...allowed].join(', ')}`);
        } else if (pkgMatch[1] !== ws && pkgMatch[2]) {
          problems.push(`${where}: deep import ${spec}; import from @edgeproof/${pkgMatch[1]} only`);
        }
      } else if (spec.startsWith('.')) {
        const target = relative(root, resolve(dirname(file), spec)).split(sep)[0] ?? '';
        if (target !== ws && isWorkspace(target)) {
          problems.push(
            `${where}: relative import ${spec} reaches into ${target}; import @edgeproof/${target}`,
          );
        } else if (target !== ws) {
          problems.push(`${where}: relative import ${spec} leaves the ${ws} workspace`);
        }
      }
    }
  }
}

if (problems.length > 0) {
  console.error(`check-deps: ${problems.length} import(s) break ARCHITECTURE.md §3:`);
  for (const p of problems) console.error(`  ${p}`);
  process.exit(1);
}
console.log(`check-deps: ${WORKSPACES.length} workspaces follow ARCHITECTURE.md §3`);
