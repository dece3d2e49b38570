/**
 * JUnit XML for CI, in the shape Jenkins, GitLab and GitHub's test reporters read (the de-facto
 * schema of Ant's JUnit task; testmoapp/junitxml documents it): one <testsuite> per scenario, one
 * <testcase> per step (steps inside repeat and parallel too, with their round) and one per
 * invariant and fault window. A failure's message is "expected …, seen …"; its body adds where it
 * is and the components' log lines around that moment.
 */
import { formatOffset } from '../duration.ts';
import type { RunReport, ScenarioResult, StepResult } from './result-types.ts';

type Case = {
  classname: string;
  name: string;
  timeS: number;
  file?: string;
  line?: number;
  failure?: { message: string; body: string };
  error?: { message: string; body: string };
  skipped?: string;
};

export function junitXml(report: RunReport): string {
  const suites = report.scenarios.map(suiteOf);
  const total = (k: 'tests' | 'failures' | 'errors' | 'skipped'): number =>
    suites.reduce((n, s) => n + s.counts[k], 0);
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="edgeproof run" tests="${total('tests')}" failures="${total('failures')}" errors="${total('errors')}" skipped="${total('skipped')}" time="${seconds(report.durationMs)}" timestamp="${attr(report.startedAt)}">`,
    ...suites.map((s) => s.xml),
    '</testsuites>',
    '',
  ];
  return out.join('\n');
}

function suiteOf(r: ScenarioResult): {
  xml: string;
  counts: Record<'tests' | 'failures' | 'errors' | 'skipped', number>;
} {
  const cases: Case[] = [];
  if (r.status === 'error' || (r.benchMs === undefined && r.failure)) {
    cases.push({
      classname: `${r.name}.bench`,
      name: 'bench up',
      timeS: (r.benchMs ?? r.durationMs) / 1000,
      file: r.file,
      error: { message: r.failure?.message ?? 'the bench did not come up', body: failureBody(r) },
    });
  } else {
    cases.push({
      classname: `${r.name}.bench`,
      name: 'bench up',
      timeS: (r.benchMs ?? 0) / 1000,
      file: r.file,
    });
  }
  const addSteps = (steps: readonly StepResult[]): void => {
    for (const s of steps) {
      const round = s.iteration !== undefined ? ` [round ${s.iteration}]` : '';
      const c: Case = {
        classname: `${r.name}.steps`,
        name: `${s.path}${round} ${s.label}`,
        timeS: s.startMs !== undefined && s.endMs !== undefined ? (s.endMs - s.startMs) / 1000 : 0,
        file: r.file,
        line: s.line,
      };
      const innerFailed = s.children?.some((x) => x.status === 'failed') === true;
      if (s.status === 'failed' && !innerFailed) {
        c.failure = {
          message:
            s.expected !== undefined
              ? `expected ${s.expected}, seen ${s.seen ?? '?'}`
              : (s.message ?? 'failed'),
          body: [`${r.file}:${s.line}: ${s.path} ${s.label}`, s.message ?? '', failureLogs(r)]
            .filter((x) => x !== '')
            .join('\n'),
        };
      } else if (s.status === 'failed') {
        c.failure = {
          message: s.message ?? 'an inner step failed',
          body: `${r.file}:${s.line}: ${s.path} ${s.label}`,
        };
      } else if (s.status === 'skipped') {
        c.skipped = s.message ?? 'skipped';
      }
      cases.push(c);
      if (s.children) addSteps(s.children);
    }
  };
  addSteps(r.steps);
  for (const inv of r.invariants) {
    for (const v of inv.verdicts) {
      const c: Case = {
        classname: `${r.name}.invariants`,
        name: `${inv.name} / ${v.windowLabel}`,
        timeS: 0,
        file: r.file,
        line: inv.line,
      };
      if (v.status === 'fail') {
        c.failure = {
          message: v.expected !== undefined ? `expected ${v.expected}, seen ${v.seen ?? '?'}` : v.message,
          body: [
            `${r.file}:${inv.line}: invariant ${inv.name} (${inv.kind}), window ${v.windowLabel}`,
            v.message,
            v.atMs !== undefined ? `at ${formatOffset(v.atMs)}` : '',
            failureLogs(r),
          ]
            .filter((x) => x !== '')
            .join('\n'),
        };
      } else if (v.status === 'skip') {
        c.skipped = v.message;
      }
      cases.push(c);
    }
  }
  const counts = {
    tests: cases.length,
    failures: cases.filter((c) => c.failure).length,
    errors: cases.filter((c) => c.error).length,
    skipped: cases.filter((c) => c.skipped !== undefined).length,
  };
  const lines = [
    `  <testsuite name="${attr(r.name)}" tests="${counts.tests}" failures="${counts.failures}" errors="${counts.errors}" skipped="${counts.skipped}" time="${seconds(r.durationMs)}" timestamp="${attr(r.startedAt)}" file="${attr(r.file)}">`,
    '    <properties>',
    `      <property name="file" value="${attr(r.file)}"/>`,
    `      <property name="status" value="${attr(r.status)}"/>`,
    ...r.measurements.map(
      (m) =>
        `      <property name="measure.${attr(m.name)}" value="${attr(`n=${m.samples.length} p50=${m.p50}ms p90=${m.p90}ms p99=${m.p99}ms max=${m.max}ms`)}"/>`,
    ),
    '    </properties>',
    ...cases.map(caseXml),
  ];
  if (r.failure) lines.push(`    <system-out>${text(failureBody(r))}</system-out>`);
  lines.push('  </testsuite>');
  return { xml: lines.join('\n'), counts };
}

function caseXml(c: Case): string {
  const head = `    <testcase classname="${attr(c.classname)}" name="${attr(c.name)}" time="${c.timeS.toFixed(3)}"${c.file !== undefined ? ` file="${attr(c.file)}"` : ''}${c.line !== undefined ? ` line="${c.line}"` : ''}`;
  if (c.failure)
    return `${head}>\n      <failure message="${attr(c.failure.message)}" type="AssertionError">${text(c.failure.body)}</failure>\n    </testcase>`;
  if (c.error)
    return `${head}>\n      <error message="${attr(c.error.message)}" type="BenchError">${text(c.error.body)}</error>\n    </testcase>`;
  if (c.skipped !== undefined)
    return `${head}>\n      <skipped message="${attr(c.skipped)}"/>\n    </testcase>`;
  return `${head}/>`;
}

function failureBody(r: ScenarioResult): string {
  const f = r.failure;
  if (!f) return '';
  return [
    `${f.where ?? r.file}: ${f.message}`,
    f.expected !== undefined ? `expected: ${f.expected}` : '',
    f.seen !== undefined ? `seen: ${f.seen}` : '',
    failureLogs(r),
  ]
    .filter((x) => x !== '')
    .join('\n');
}

function failureLogs(r: ScenarioResult): string {
  const logs = r.failure?.logs ?? [];
  return logs
    .map((l) => `--- ${l.component} (${l.file}) around that moment:\n${l.lines.join('\n')}`)
    .join('\n');
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

/** Text without what XML 1.0 cannot hold (control characters, terminal escapes). */
function clean(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]/g, '');
}

export function attr(s: string): string {
  return clean(s)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\n/g, '&#10;');
}

function text(s: string): string {
  return clean(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
