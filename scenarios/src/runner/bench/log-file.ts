/**
 * A component's log: every line it writes to stdout or stderr, prefixed with the time it arrived
 * and the stream, appended to one file per component. The time prefix is ours (not the
 * component's own), so lines of different processes can be put side by side, and a failure report
 * can show "the logs of the components around that moment".
 */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Clock } from '@edgeproof/core';

export type LogLine = { at: number; stream: string; text: string };

export class ComponentLog {
  readonly path: string;
  private readonly clock: Clock;
  private partial = new Map<string, string>();

  constructor(path: string, clock: Clock) {
    this.path = path;
    this.clock = clock;
    if (!existsSync(path)) writeFileSync(path, '');
  }

  /** Appends a chunk of output; a line cut between chunks is kept until its end arrives. */
  write(stream: string, chunk: string): void {
    const text = (this.partial.get(stream) ?? '') + chunk;
    const lines = text.split('\n');
    this.partial.set(stream, lines.pop() ?? '');
    if (lines.length === 0) return;
    const at = new Date(this.clock.now()).toISOString();
    appendFileSync(this.path, lines.map((l) => `${at} ${stream} ${l}\n`).join(''));
  }

  /** A line of our own (started, killed, exited), so the log tells the whole story. */
  note(text: string): void {
    this.flush();
    appendFileSync(this.path, `${new Date(this.clock.now()).toISOString()} bench ${text}\n`);
  }

  /** Writes out unfinished lines (at exit). */
  flush(): void {
    for (const [stream, rest] of this.partial) if (rest !== '') this.write(stream, '\n');
    this.partial = new Map();
  }
}

/** The lines of a log file written by ComponentLog. */
export function readLog(path: string): LogLine[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  const out: LogLine[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\S+) (\S+) (.*)$/.exec(line);
    if (!m) continue;
    const at = Date.parse(m[1] ?? '');
    if (Number.isNaN(at)) continue;
    out.push({ at, stream: m[2] ?? '', text: m[3] ?? '' });
  }
  return out;
}

/** The last `max` lines written at or before `at + afterMs` and no earlier than `at - beforeMs`. */
export function logTail(path: string, at: number, max = 15, beforeMs = 15_000, afterMs = 2_000): LogLine[] {
  return readLog(path)
    .filter((l) => l.at >= at - beforeMs && l.at <= at + afterMs)
    .slice(-max);
}
