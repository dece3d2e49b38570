// The workspace table of ARCHITECTURE.md §3: which workspace may import which.
// One source for the dependency check and the test runner, so they cannot disagree.
export const WORKSPACES = ['core', 'crds', 'cloud', 'edge', 'simulators', 'chaos', 'scenarios'] as const;
export type Workspace = (typeof WORKSPACES)[number];

export const MAY_IMPORT: Record<Workspace, readonly Workspace[]> = {
  core: [],
  crds: ['core'],
  cloud: ['core', 'crds'],
  edge: ['core', 'crds'],
  // simulators may use crds for device definitions (ARCHITECTURE §3).
  simulators: ['core', 'crds'],
  chaos: ['core'],
  scenarios: ['core', 'crds', 'cloud', 'edge', 'simulators', 'chaos'],
};

/** Folders of a workspace that hold TypeScript: sources, tests, benchmarks, executables. */
export const SOURCE_DIRS = ['src', 'test', 'bench', 'bin'] as const;
