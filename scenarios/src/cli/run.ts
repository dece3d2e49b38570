/**
 * `edgeproof run FILE...`: runs chaos scenarios (scenarios/schema/scenario.schema.json) on a bench
 * of real processes and writes JUnit XML, a JSON result and an HTML report. Every file is
 * validated before anything starts (a bad one: exit 2, with file:line: field: problem). A failed
 * step or invariant makes the exit code 1, after printing where it failed, what was expected,
 * what was seen and the components' log lines around that moment. Ctrl-C (SIGINT) or SIGTERM
 * stops the run, tears the bench down and still writes the reports.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createLogger, InvalidInputError, SystemClock } from '@edgeproof/core';
import { RunAbortedError, ScenarioFailedError } from '../runner/errors.ts';
import { loadScenarios } from '../runner/load-scenario.ts';
import { TerminalProgress } from '../runner/progress.ts';
import { htmlReport } from '../runner/report/html.ts';
import { junitXml } from '../runner/report/junit.ts';
import { REPORT_VERSION, type RunReport, type ScenarioResult } from '../runner/report/result-types.ts';
import { runScenario } from '../runner/run-scenario.ts';
import { positionalList, type CommandSpec } from './args.ts';

export const runCommand: CommandSpec = {
  name: 'run',
  usage: 'edgeproof run FILE... [--report-dir DIR] [--junit FILE] [--toxiproxy URL] [--keep-data]',
  summary:
    'Run chaos scenarios (YAML, see scenarios/schema/scenario.schema.json) on a bench of real processes:\n' +
    'API server, cloudcore, edge nodes behind Toxiproxy links. Writes JUnit XML, result.json and report.html;\n' +
    'exits 1 when a step or an invariant fails, 2 when a scenario file is not valid.',
  positionals: ['files...'],
  flags: {
    'report-dir': {
      type: 'string',
      value: 'DIR',
      description: 'where result.json, report.html, junit.xml and the component logs go',
      default: '.edgeproof/report',
    },
    junit: {
      type: 'string',
      value: 'FILE',
      description: 'JUnit XML file for CI',
      default: 'DIR/junit.xml',
    },
    toxiproxy: {
      type: 'string',
      value: 'URL',
      description: 'a running Toxiproxy (http://host:8474) instead of the embedded one',
    },
    'data-dir': {
      type: 'string',
      value: 'DIR',
      description: "where the benches' state goes (one folder per scenario)",
      default: 'a new temporary folder',
    },
    'keep-data': {
      type: 'boolean',
      description: "keep the benches' data dirs after the run (they are removed otherwise)",
    },
  },
};

export async function runRun(
  values: Record<string, string | boolean | undefined>,
  out: (line: string) => void,
): Promise<void> {
  const files = positionalList(values.files);
  if (files.length === 0) {
    throw new InvalidInputError(
      'give at least one scenario file, e.g. edgeproof run scenarios/offline-autonomy.yaml',
    );
  }
  // Everything is validated before anything starts.
  const scenarios = loadScenarios(files);
  const toxiproxyUrl = typeof values.toxiproxy === 'string' ? values.toxiproxy : undefined;
  if (toxiproxyUrl !== undefined && !/^https?:\/\/[^/]+/.test(toxiproxyUrl)) {
    throw new InvalidInputError(
      `--toxiproxy ${JSON.stringify(toxiproxyUrl)} is not a URL: use http://host:8474`,
    );
  }
  requireKubectl();
  const reportDir = resolve(
    typeof values['report-dir'] === 'string' ? values['report-dir'] : '.edgeproof/report',
  );
  const junitFile = resolve(typeof values.junit === 'string' ? values.junit : join(reportDir, 'junit.xml'));
  const ownRoot = typeof values['data-dir'] !== 'string';
  const dataRoot =
    typeof values['data-dir'] === 'string'
      ? resolve(values['data-dir'])
      : mkdtempSync(join(tmpdir(), 'edgeproof-run-'));
  mkdirSync(dataRoot, { recursive: true });
  mkdirSync(reportDir, { recursive: true });
  const keepData = values['keep-data'] === true;

  const clock = new SystemClock();
  const logger = createLogger('edgeproof', { level: 'warn' }).child('run');
  const progress = new TerminalProgress(
    { line: out, ...(process.stdout.isTTY ? { tty: (t: string) => void process.stdout.write(t) } : {}) },
    clock,
  );
  const runId = randomBytes(3).toString('hex');
  out(
    `edgeproof run: ${scenarios.length} scenario${scenarios.length === 1 ? '' : 's'}, data in ${dataRoot}, reports in ${reportDir}`,
  );

  // Ctrl-C stops the run (the bench is torn down, the reports written); a second one ends at once.
  const abort = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    out(
      `edgeproof run: ${signal} received: stopping the run and tearing the bench down (again to quit at once)`,
    );
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.once('SIGINT', () => process.exit(130));
    process.once('SIGTERM', () => process.exit(143));
    abort.abort(new RunAbortedError(`interrupted by ${signal}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const started = clock.now();
  const results: ScenarioResult[] = [];
  try {
    for (const s of scenarios) {
      if (abort.signal.aborted) break;
      results.push(
        await runScenario(s, {
          dataDir: join(dataRoot, s.spec.name),
          logsDir: join(reportDir, 'logs', s.spec.name),
          keepData,
          ...(toxiproxyUrl !== undefined ? { toxiproxyUrl } : {}),
          runId: `${runId}-${s.spec.name}`,
          clock,
          logger,
          progress,
          signal: abort.signal,
        }),
      );
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }

  const report: RunReport = {
    version: REPORT_VERSION,
    tool: 'edgeproof run',
    startedAt: new Date(started).toISOString(),
    durationMs: clock.now() - started,
    status: abort.signal.aborted
      ? 'interrupted'
      : results.every((r) => r.status === 'passed')
        ? 'passed'
        : 'failed',
    scenarios: results,
  };
  const jsonFile = join(reportDir, 'result.json');
  const htmlFile = join(reportDir, 'report.html');
  writeFileSync(jsonFile, JSON.stringify(report, null, 2) + '\n');
  mkdirSync(dirname(junitFile), { recursive: true });
  writeFileSync(junitFile, junitXml(report));
  writeFileSync(htmlFile, htmlReport(report, htmlFile));
  // The temporary folder made for this run goes too, once the scenarios' own are gone.
  if (ownRoot && !keepData) rmSync(dataRoot, { recursive: true, force: true });
  out(`edgeproof run: reports: ${htmlFile}, ${jsonFile}, ${junitFile}`);

  const failed = results.filter((r) => r.status !== 'passed');
  if (abort.signal.aborted)
    throw new RunAbortedError('interrupted: the bench was torn down, the reports written');
  if (failed.length > 0) {
    throw new ScenarioFailedError(
      `${failed.length} of ${results.length} scenario${results.length === 1 ? '' : 's'} failed: ${failed
        .map((r) => `${r.name} (${r.failure?.where ?? r.file})`)
        .join(', ')}`,
    );
  }
  out(`edgeproof run: all ${results.length} scenario${results.length === 1 ? '' : 's'} passed`);
}

/** kubectl drives the steps (ARCHITECTURE.md §6); say so before anything starts if it is missing. */
function requireKubectl(): void {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore', timeout: 20_000 });
  } catch {
    throw new InvalidInputError(
      'kubectl is not on PATH: scenario steps use it (Debian: apt-get install kubernetes-client)',
    );
  }
}
