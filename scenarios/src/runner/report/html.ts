/**
 * The HTML report: one self-contained page (inline CSS and SVG, no scripts, no external assets),
 * so CI can keep it as an artifact and anyone can open it offline. Per scenario: the verdict and
 * the failure (where, expected, seen, log lines around it), a timeline (fault windows as bands,
 * steps as bars, events and measurements as marks, each with a tooltip), the steps, the invariant
 * verdicts per window, the measurements, and links to the full component logs.
 */
import { relative, dirname } from 'node:path';
import { formatMs, formatOffset } from '../duration.ts';
import type { RunReport, ScenarioResult, StepResult, TimelineEvent } from './result-types.ts';

const CSS = `
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1d2430;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:32px 0 6px;border-top:1px solid #dde;padding-top:16px}
h3{font-size:15px;margin:18px 0 6px}table{border-collapse:collapse;margin:6px 0}
td,th{border:1px solid #dde;padding:3px 8px;text-align:left;vertical-align:top}th{background:#f3f5f9}
.passed,.pass{color:#17773a}.failed,.fail,.error{color:#b3261e}.skipped,.skip,.interrupted{color:#8a6d00}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-weight:600;background:#f3f5f9}
pre{background:#f6f8fa;border:1px solid #dde;padding:8px;overflow:auto;font-size:12px;max-height:320px}
.muted{color:#667}svg{background:#fbfcfe;border:1px solid #dde}
.legend span{display:inline-block;margin-right:14px}.sw{display:inline-block;width:12px;height:12px;vertical-align:-2px;margin-right:4px}
`;

const WINDOW_COLOR: Record<string, string> = {
  partition: '#f4c7c3',
  degrade: '#fde7b0',
  flap: '#fbd5a5',
  kill: '#e6c6f0',
  stop: '#e6c6f0',
  restart: '#c9dcf7',
};
const STATUS_COLOR = { passed: '#4caf6a', failed: '#d9443a', skipped: '#b9bec8' } as const;
const EVENT_COLOR: Record<TimelineEvent['kind'], string> = {
  bench: '#667',
  step: '#667',
  fault: '#b3261e',
  heal: '#17773a',
  measure: '#1e5fb3',
  invariant: '#8a6d00',
  component: '#b3261e',
  failure: '#b3261e',
};

export function htmlReport(report: RunReport, htmlPath: string): string {
  const rows = report.scenarios
    .map(
      (s) =>
        `<tr><td><a href="#${esc(s.name)}">${esc(s.name)}</a></td><td class="${s.status}">${s.status}</td><td>${formatMs(s.durationMs)}</td><td>${esc(s.file)}</td></tr>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>edgeproof run — ${esc(report.status)}</title><style>${CSS}</style></head>
<body>
<h1>edgeproof run <span class="badge ${report.status}">${report.status}</span></h1>
<div class="muted">started ${esc(report.startedAt)}, ${formatMs(report.durationMs)}</div>
<table><tr><th>scenario</th><th>status</th><th>time</th><th>file</th></tr>${rows}</table>
${report.scenarios.map((s) => scenarioSection(s, htmlPath)).join('\n')}
</body></html>
`;
}

function scenarioSection(s: ScenarioResult, htmlPath: string): string {
  const f = s.failure;
  const failure = f
    ? `<h3 class="fail">Failure</h3><p><b>${esc(f.where ?? s.file)}</b>${f.atMs !== undefined ? ` at ${formatOffset(f.atMs)}` : ''}: ${esc(f.message)}</p>
${f.expected !== undefined ? `<p>expected: <code>${esc(f.expected)}</code><br>seen: <code>${esc(f.seen ?? '')}</code></p>` : ''}
${f.logs.map((l) => `<div>${esc(l.component)} around that moment:</div><pre>${esc(l.lines.join('\n'))}</pre>`).join('')}`
    : '';
  const steps = flatten(s.steps)
    .map(
      ({ r, depth }) =>
        `<tr><td>${'&nbsp;'.repeat(depth * 4)}${esc(r.path)}${r.iteration !== undefined ? ` [${r.iteration}]` : ''}</td><td>${r.line}</td><td>${esc(r.label)}</td><td class="${r.status}">${r.status}</td><td>${r.startMs !== undefined ? formatOffset(r.startMs) : ''}</td><td>${r.startMs !== undefined && r.endMs !== undefined ? formatMs(r.endMs - r.startMs) : ''}</td><td>${esc(r.expected !== undefined ? `expected ${r.expected}, seen ${r.seen ?? ''}` : (r.message ?? ''))}</td></tr>`,
    )
    .join('');
  const invariants = s.invariants
    .flatMap((inv) =>
      inv.verdicts.map(
        (v) =>
          `<tr><td>${esc(inv.name)}</td><td>${esc(inv.kind)}</td><td>${esc(v.windowLabel)}</td><td class="${v.status}">${v.status.toUpperCase()}</td><td>${esc(v.message)}${v.expected !== undefined ? `<br><span class="muted">expected ${esc(v.expected)}; seen ${esc(v.seen ?? '')}</span>` : ''}</td></tr>`,
      ),
    )
    .join('');
  const measures = s.measurements
    .map(
      (m) =>
        `<tr><td>${esc(m.name)}</td><td>${m.samples.length}</td><td>${formatMs(m.min)}</td><td>${formatMs(m.p50)}</td><td>${formatMs(m.p90)}</td><td>${formatMs(m.p99)}</td><td>${formatMs(m.max)}</td></tr>`,
    )
    .join('');
  const logs = s.logs
    .map((l) => `<li><a href="${esc(relative(dirname(htmlPath), l.file))}">${esc(l.component)}</a></li>`)
    .join('');
  return `<h2 id="${esc(s.name)}">${esc(s.name)} <span class="badge ${s.status}">${s.status}</span></h2>
<div class="muted">${esc(s.file)} · ${formatMs(s.durationMs)}${s.benchMs !== undefined ? ` · bench up in ${formatMs(s.benchMs)}` : ''}</div>
${s.description ? `<p>${esc(s.description)}</p>` : ''}
${failure}
<h3>Timeline</h3>${timeline(s)}
<h3>Steps</h3><table><tr><th>step</th><th>line</th><th>what</th><th>status</th><th>at</th><th>took</th><th>detail</th></tr>${steps}</table>
${invariants ? `<h3>Invariants</h3><table><tr><th>invariant</th><th>kind</th><th>window</th><th>verdict</th><th>detail</th></tr>${invariants}</table>` : ''}
${measures ? `<h3>Measurements</h3><table><tr><th>name</th><th>n</th><th>min</th><th>p50</th><th>p90</th><th>p99</th><th>max</th></tr>${measures}</table>` : ''}
${logs ? `<h3>Component logs</h3><ul>${logs}</ul>` : ''}`;
}

function flatten(steps: readonly StepResult[], depth = 0): { r: StepResult; depth: number }[] {
  return steps.flatMap((r) => [{ r, depth }, ...flatten(r.children ?? [], depth + 1)]);
}

/** The timeline as inline SVG: time left to right, windows as bands, steps as bars, events as marks. */
function timeline(s: ScenarioResult): string {
  const width = 1000;
  const left = 10;
  const span = Math.max(1, s.durationMs);
  const x = (ms: number): number => left + (Math.max(0, Math.min(ms, span)) / span) * (width - 2 * left);
  const top = s.steps.length;
  const stepRows = flatten(s.steps).filter((f) => f.depth === 0);
  const laneY = 52;
  const barH = 14;
  const height = laneY + Math.max(1, top) * (barH + 4) + 50;
  const parts: string[] = [];
  s.windows.forEach((w, i) => {
    const x0 = x(w.startMs);
    const x1 = x(w.endMs ?? span);
    parts.push(
      `<rect x="${x0.toFixed(1)}" y="18" width="${Math.max(2, x1 - x0).toFixed(1)}" height="${height - 36}" fill="${WINDOW_COLOR[w.kind] ?? '#eee'}" opacity="0.7"><title>${esc(w.label)} ${formatOffset(w.startMs)}–${w.endMs === undefined ? 'end' : formatOffset(w.endMs)}</title></rect>`,
      // Labels of overlapping windows go on different lines.
      `<text x="${(x0 + 2).toFixed(1)}" y="${28 + 10 * (i % 3)}" font-size="9" fill="#444">${esc(w.label)}</text>`,
    );
  });
  if (s.benchMs !== undefined) {
    parts.push(
      `<rect x="${x(0)}" y="${height - 16}" width="${(x(s.benchMs) - x(0)).toFixed(1)}" height="6" fill="#9aa"><title>bench up in ${formatMs(s.benchMs)}</title></rect>`,
    );
  }
  stepRows.forEach(({ r }, i) => {
    if (r.startMs === undefined) return;
    const x0 = x(r.startMs);
    const x1 = x(r.endMs ?? r.startMs);
    const y = laneY + i * (barH + 4);
    parts.push(
      `<rect x="${x0.toFixed(1)}" y="${y}" width="${Math.max(2, x1 - x0).toFixed(1)}" height="${barH}" rx="2" fill="${STATUS_COLOR[r.status]}"><title>${esc(`${r.path} ${r.label} (${r.status}, ${formatMs((r.endMs ?? r.startMs) - r.startMs)})${r.message ? `: ${r.message}` : ''}`)}</title></rect>`,
      // The label right of the bar, or left of it near the right edge.
      x1 + 260 < width
        ? `<text x="${(x1 + 4).toFixed(1)}" y="${y + 11}" font-size="10" fill="#333">${esc(r.label.slice(0, 60))}</text>`
        : `<text x="${(x0 - 4).toFixed(1)}" y="${y + 11}" font-size="10" fill="#333" text-anchor="end">${esc(r.label.slice(0, 60))}</text>`,
    );
  });
  for (const e of s.events) {
    if (e.kind === 'step') continue;
    const ex = x(e.atMs).toFixed(1);
    parts.push(
      `<line x1="${ex}" x2="${ex}" y1="14" y2="${height - 20}" stroke="${EVENT_COLOR[e.kind]}" stroke-width="${e.kind === 'failure' ? 2 : 1}" stroke-dasharray="${e.kind === 'measure' ? '2,2' : 'none'}"><title>${formatOffset(e.atMs)} ${esc(e.kind)}: ${esc(e.text)}</title></line>`,
      `<circle cx="${ex}" cy="12" r="4" fill="${EVENT_COLOR[e.kind]}"><title>${formatOffset(e.atMs)} ${esc(e.kind)}: ${esc(e.text)}</title></circle>`,
    );
  }
  const ticks: string[] = [];
  const step = niceStep(span);
  for (let t = 0; t <= span; t += step) {
    ticks.push(
      `<text x="${x(t).toFixed(1)}" y="${height - 2}" font-size="10" fill="#667" text-anchor="middle">${formatOffset(t)}</text>`,
    );
  }
  const legend = `<div class="legend">${Object.entries(WINDOW_COLOR)
    .filter(([k]) => s.windows.some((w) => w.kind === k))
    .map(([k, c]) => `<span><i class="sw" style="background:${c}"></i>${k}</span>`)
    .join(
      '',
    )}<span><i class="sw" style="background:${STATUS_COLOR.passed}"></i>step passed</span><span><i class="sw" style="background:${STATUS_COLOR.failed}"></i>step failed</span><span><i class="sw" style="background:${EVENT_COLOR.fault}"></i>fault / failure</span><span><i class="sw" style="background:${EVENT_COLOR.heal}"></i>heal</span><span><i class="sw" style="background:${EVENT_COLOR.measure}"></i>measure</span></div>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="timeline of ${esc(s.name)}">${parts.join('')}${ticks.join('')}</svg>${legend}`;
}

function niceStep(spanMs: number): number {
  for (const s of [1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000])
    if (spanMs / s <= 12) return s;
  return 600_000;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
