/**
 * Processes a run leaves behind and the bench must end: the pods of the `process` runtime are
 * host processes in their own sessions that outlive edgecore on purpose (README "Runtimes": they
 * are adopted again when it restarts), so stopping every component is not enough. They are found
 * through /proc: a process whose working directory or command line is inside the run's data dir
 * (a pod runs in its pod folder, `DIR/nodes/<node>/edged/pods/<uid>`, unless it sets workingDir).
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/**
 * Pids whose cwd or command line is inside `dir`: not this process nor its ancestors (`npx
 * edgeproof run --data-dir DIR` has DIR in npm's command line too).
 */
export function processesUnder(dir: string): number[] {
  const spared = ancestors();
  const prefix = dir.endsWith('/') ? dir : dir + '/';
  const inside = (p: string): boolean => p === dir || p.startsWith(prefix);
  const out: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (spared.has(pid)) continue;
    try {
      const cwd = readlinkSync(`/proc/${pid}/cwd`);
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (inside(cwd) || cmdline.some((arg) => arg.includes(dir))) out.push(pid);
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return out;
}

/** SIGKILLs every process under `dir` (and the process groups they lead); returns their pids. */
export function killProcessesUnder(dir: string): number[] {
  const pids = processesUnder(dir);
  for (const pid of pids) {
    try {
      if (processGroupOf(pid) === pid) process.kill(-pid, 'SIGKILL');
      else process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return pids;
}

function ancestors(): Set<number> {
  const out = new Set<number>();
  for (let pid: number | undefined = process.pid; pid !== undefined && pid > 1 && !out.has(pid);) {
    out.add(pid);
    pid = statFields(pid)?.[1];
  }
  return out;
}

function processGroupOf(pid: number): number | undefined {
  return statFields(pid)?.[2];
}

/** /proc/<pid>/stat after the command name: state, ppid, pgrp, … (proc(5)). */
function statFields(pid: number): number[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may contain spaces: start after the last ')'.
    return stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
  } catch {
    return undefined;
  }
}
