import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SOURCE_DIRS, type Workspace } from './workspaces.ts';

/** Every .ts file under the source folders of `workspace`, relative to `root`. */
export function workspaceSourceFiles(root: string, workspace: Workspace): string[] {
  const files: string[] = [];
  for (const dir of SOURCE_DIRS) walk(join(root, workspace, dir), files);
  return files.sort();
}

function walk(dir: string, out: string[]): void {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return; // a workspace need not have every folder
  }
  for (const name of entries) {
    if (name === 'node_modules') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (name.endsWith('.ts')) out.push(path);
  }
}
