/**
 * Host process facts the process runtime needs, from Linux's /proc (proc(5)): whether a pid is still
 * the process the runtime started, told by its start time (field 22 of /proc/<pid>/stat, in clock
 * ticks since boot), so a reused pid is never adopted or signalled.
 */
import { readFile } from 'node:fs/promises';
import { InvalidInputError } from '@edgeproof/core';

/**
 * The start time of a live process, or `undefined` when there is none (or only a zombie left).
 * The command name in field 2 may hold spaces and parentheses, so fields are counted after its last `)`.
 */
export async function processStartTicks(pid: number): Promise<number | undefined> {
  let stat: string;
  try {
    stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); field 22 (starttime) is fields[19].
  const state = fields[0];
  const start = Number(fields[19]);
  if (state === 'Z' || state === 'X' || !Number.isFinite(start)) return undefined;
  return start;
}

/** True while `pid` is the process that started at `startTicks`. */
export async function isSameProcess(pid: number, startTicks: number): Promise<boolean> {
  return (await processStartTicks(pid)) === startTicks;
}

/**
 * Sends `signal` to a process, or with `group` to its whole process group (the runtime starts every
 * container as a group leader, so the group is what the container's command started, as a
 * container's cgroup would be). A process or group that is gone already is not an error.
 */
export function sendSignal(pid: number, signal: NodeJS.Signals, group = false): void {
  // kill(2) reads 0 as "my own group" and -1 as "every process I may signal": never those.
  if (!Number.isInteger(pid) || pid <= 1) throw new InvalidInputError(`refusing to signal pid ${pid}`);
  try {
    process.kill(group ? -pid : pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}
