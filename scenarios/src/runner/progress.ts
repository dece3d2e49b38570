/**
 * What `edgeproof run` shows while it runs. On a terminal: a status line per step, updated in place
 * with its elapsed time, then ✓ or ✗. Elsewhere (CI logs): one plain line per finished step. Both
 * end a scenario with its invariant verdicts per window and, for a failure, where, expected, seen
 * and the components' log lines around that moment.
 */
import type { Clock, TimerHandle } from '@edgeproof/core';
import { formatMs, formatOffset } from './duration.ts';
import type { ScenarioResult, StepResult } from './report/result-types.ts';
import type { ScenarioProgress } from './run-scenario.ts';
import type { LoadedScenario } from './scenario-types.ts';

export type ProgressSink = {
  /** A whole line. */
  line: (text: string) => void;
  /** Raw text to a terminal (for in-place updates); undefined when not a terminal. */
  tty?: (text: string) => void;
};

const MARK = { passed: '✓', failed: '✗', skipped: '-' } as const;

export class TerminalProgress implements ScenarioProgress {
  private readonly sink: ProgressSink;
  private readonly clock: Clock;
  private file = '';
  /** The step whose line is being updated in place (terminal only). */
  private live: { path: string; text: string; started: number; iteration: number | undefined } | undefined;
  private ticker: TimerHandle | undefined;

  constructor(sink: ProgressSink, clock: Clock) {
    this.sink = sink;
    this.clock = clock;
  }

  scenarioStarted(s: LoadedScenario): void {
    this.file = s.file;
    this.line(
      `▶ ${s.spec.name} (${s.file})${s.spec.description ? ` — ${s.spec.description.trim().split('\n')[0]}` : ''}`,
    );
  }

  note(text: string): void {
    this.line(`  · ${text}`);
  }

  stepStarted(path: string, label: string, depth: number, iteration?: number): void {
    if (!this.sink.tty) return;
    this.endLive();
    this.live = { path, text: `${'  '.repeat(depth + 1)}… ${label}`, started: this.clock.now(), iteration };
    this.drawLive();
    this.ticker = this.clock.setInterval(() => this.drawLive(), 1000);
  }

  stepFinished(r: StepResult, depth: number): void {
    const indent = '  '.repeat(depth + 1);
    const round = r.iteration !== undefined ? ` [round ${r.iteration}]` : '';
    const took =
      r.startMs !== undefined && r.endMs !== undefined ? ` (${formatMs(r.endMs - r.startMs)})` : '';
    const detail =
      r.status === 'failed'
        ? `: ${r.message ?? ''}`
        : r.message && r.kind !== 'apply'
          ? ` — ${r.message}`
          : '';
    if (this.sink.tty) {
      const text = `${indent}${MARK[r.status]} ${r.label}${round}${took}${detail}`;
      if (this.live?.path === r.path && this.live.iteration === r.iteration) {
        this.stopTicker();
        this.sink.tty(`\r\x1b[K${text}\n`);
        this.live = undefined;
      } else {
        this.endLive();
        this.sink.tty(`${text}\n`);
      }
      return;
    }
    if (r.status === 'skipped') return;
    this.sink.line(
      `${indent}${r.status.toUpperCase()} ${r.path} (${this.file}:${r.line}) ${r.label}${round}${took}${detail}`,
    );
  }

  scenarioFinished(r: ScenarioResult): void {
    this.endLive();
    for (const inv of r.invariants) {
      for (const v of inv.verdicts) {
        this.line(
          `  invariant ${inv.name}, window "${v.windowLabel}": ${v.status.toUpperCase()} (${v.message})`,
        );
      }
    }
    for (const m of r.measurements) {
      this.line(
        `  measure ${m.name}: ${m.samples.length} sample${m.samples.length === 1 ? '' : 's'}, p50 ${formatMs(m.p50)}, p90 ${formatMs(m.p90)}, max ${formatMs(m.max)}`,
      );
    }
    const verdict = r.status === 'passed' ? 'PASSED' : r.status.toUpperCase();
    this.line(`${r.status === 'passed' ? '✓' : '✗'} ${verdict} ${r.name} in ${formatMs(r.durationMs)}`);
    for (const l of describeFailure(r)) this.line(l);
  }

  private line(text: string): void {
    this.endLive();
    this.sink.line(text);
  }

  private drawLive(): void {
    if (!this.live || !this.sink.tty) return;
    this.sink.tty(`\r\x1b[K${this.live.text} ${formatMs(this.clock.now() - this.live.started)}`);
  }

  /** Leaves the live line where it is (another line is coming) and stops updating it. */
  private endLive(): void {
    if (!this.live || !this.sink.tty) return;
    this.stopTicker();
    this.sink.tty('\n');
    this.live = undefined;
  }

  private stopTicker(): void {
    this.ticker?.cancel();
    this.ticker = undefined;
  }
}

/** The failure block: where, expected, seen, and log lines around that moment. */
export function describeFailure(r: ScenarioResult): string[] {
  const f = r.failure;
  if (!f) return [];
  const out = [
    `  failed at ${f.where ?? r.file}${f.atMs !== undefined ? `, ${formatOffset(f.atMs)} into the run` : ''}: ${f.message}`,
  ];
  if (f.expected !== undefined) out.push(`    expected: ${f.expected}`);
  if (f.seen !== undefined) out.push(`    seen:     ${f.seen}`);
  for (const l of f.logs) {
    out.push(`    ${l.component} (${l.file}), around that moment:`);
    for (const line of l.lines) out.push(`      ${line}`);
  }
  return out;
}
