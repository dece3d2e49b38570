/**
 * One scenario from start to end: bring the bench up, start the invariant monitor, run the steps,
 * keep watching until every window's tolerance has passed, judge the invariants, and always tear
 * the bench down — on success, on failure, on timeout and on interruption. The result carries
 * what the reports need, including the components' log lines around the first failure.
 */
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { errorMessage, type Clock, type Logger } from '@edgeproof/core';
import { Bench } from './bench/bench.ts';
import { logTail } from './bench/log-file.ts';
import { durationMs, formatMs } from './duration.ts';
import { RunAbortedError } from './errors.ts';
import { FaultTracker } from './fault-tracker.ts';
import { InvariantMonitor } from './invariants/invariant-monitor.ts';
import { KubeClusterSource, KubeConfigMapFeed, KubeNodeReadinessFeed } from './invariants/kube-sources.ts';
import { Kubectl } from './kubectl.ts';
import { summarize } from './report/measurements.ts';
import type {
  InvariantResult,
  LogExcerpt,
  ScenarioResult,
  StepResult,
  TimelineEvent,
} from './report/result-types.ts';
import type { DeviceKind, LoadedScenario } from './scenario-types.ts';
import { runSteps } from './steps/executor.ts';
import { elapsed, type StepContext, type StepProgress } from './steps/step-context.ts';
import type { DeviceVariable, NodeVariable, VariableValues } from './variables.ts';

/** Progress of a whole scenario, for the terminal. */
export interface ScenarioProgress extends StepProgress {
  scenarioStarted(s: LoadedScenario): void;
  scenarioFinished(r: ScenarioResult): void;
}

export type RunScenarioOptions = {
  /** The scenario's data dir (created; removed at the end unless keepData). */
  dataDir: string;
  /** Where the components' logs are copied for the report. */
  logsDir: string;
  keepData: boolean;
  toxiproxyUrl?: string;
  runId: string;
  clock: Clock;
  logger: Logger;
  progress: ScenarioProgress;
  /** Aborts on SIGINT/SIGTERM. */
  signal: AbortSignal;
};

const DEFAULT_TIMEOUT_MS = 5 * 60_000;

export async function runScenario(s: LoadedScenario, o: RunScenarioOptions): Promise<ScenarioResult> {
  const { clock } = o;
  const t0 = clock.now();
  const startedAt = new Date(t0).toISOString();
  const spec = s.spec;
  const benchSpec = spec.bench ?? {};
  const events: TimelineEvent[] = [];
  const record = (e: TimelineEvent): void => void events.push(e);
  mkdirSync(o.dataDir, { recursive: true });
  o.progress.scenarioStarted(s);

  // The scenario's own deadline and the user's Ctrl-C end the steps the same way.
  const run = new AbortController();
  const timeoutMs = durationMs(spec.timeout, DEFAULT_TIMEOUT_MS);
  const timer = clock.setTimeout(
    () =>
      run.abort(
        new RunAbortedError(`the scenario ran out of time (timeout ${formatMs(timeoutMs)})`, 'ETIMEOUT'),
      ),
    timeoutMs,
  );
  const onAbort = (): void => run.abort(o.signal.reason);
  o.signal.addEventListener('abort', onAbort);
  if (o.signal.aborted) onAbort();

  const bench = new Bench({
    dataDir: o.dataDir,
    nodes: benchSpec.nodes ?? 1,
    runtime: benchSpec.runtime ?? 'process',
    nodeGracePeriodMs: durationMs(benchSpec.nodeGracePeriod, 10_000),
    statusFrequencyMs: durationMs(benchSpec.statusFrequency, 2_000),
    logLevel: benchSpec.logLevel ?? 'info',
    devices: benchSpec.devices ?? [],
    mqtt: benchSpec.mqtt ?? 'embedded',
    ...(o.toxiproxyUrl !== undefined ? { toxiproxyUrl: o.toxiproxyUrl } : {}),
    runId: o.runId,
    clock,
    logger: o.logger,
    onProgress: (line) => {
      record({ atMs: elapsed({ clock, t0 }), kind: 'bench', text: line });
      o.progress.note(line);
    },
  });
  bench.onUnexpectedExit((component, detail) => {
    record({
      atMs: elapsed({ clock, t0 }),
      kind: 'component',
      text: `${component} exited unexpectedly (${detail})`,
    });
    run.abort(new RunAbortedError(`${component} exited unexpectedly (${detail}); see its log`));
  });

  const faults = new FaultTracker(clock, t0);
  const measurements = new Map<string, number[]>();
  let steps: StepResult[] = [];
  let invariants: InvariantResult[] = [];
  let benchMs: number | undefined;
  let failure: ScenarioResult['failure'];
  let status: ScenarioResult['status'] = 'passed';
  let monitor: InvariantMonitor | undefined;
  let teardownAt: number;
  try {
    await bench.start(run.signal);
    benchMs = elapsed({ clock, t0 });
    record({ atMs: benchMs, kind: 'bench', text: `bench up in ${formatMs(benchMs)}` });
    const vars = variables(s, bench, o.runId);
    const ctx: StepContext = {
      bench,
      kubectl: new Kubectl({ cacheDir: join(o.dataDir, 'kube-cache') }),
      faults,
      clock,
      t0,
      vars,
      scenarioDir: dirname(s.absoluteFile),
      manifestsDir: join(o.dataDir, 'manifests'),
      record,
      measurements,
      stepTimes: new Map(),
      progress: o.progress,
    };
    monitor = new InvariantMonitor({
      invariants: s.invariants,
      cluster: new KubeClusterSource(bench.kubeconfig),
      nodeFeed: new KubeNodeReadinessFeed({ kubeconfigPath: bench.kubeconfig, clock }),
      feeds: (namespace, name, node) => ({
        cloud: new KubeConfigMapFeed({ kubeconfigPath: bench.kubeconfig, namespace, name, clock }),
        edge: new KubeConfigMapFeed({ kubeconfigPath: bench.nodeKubeconfig(node), namespace, name, clock }),
      }),
      clock,
      t0,
    });
    monitor.start();
    const outcome = await runSteps(s.steps, ctx, run.signal);
    steps = outcome.results;
    const stepsEnd = elapsed(ctx);
    // After a failed step the run ends at once: the invariants are judged on what was seen.
    if (!run.signal.aborted && outcome.failed === undefined && s.invariants.length > 0) {
      // Every window's tolerance must have passed (or its outcome been seen) before judging.
      const first = monitor.pendingUntilMs(faults.windows(), stepsEnd);
      if (first > elapsed(ctx))
        o.progress.note(`watching the invariants for up to ${formatMs(first - elapsed(ctx))} more`);
      for (;;) {
        const left = monitor.pendingUntilMs(faults.windows(), stepsEnd) - elapsed(ctx);
        if (left <= 0 || run.signal.aborted) break;
        await clock.sleep(Math.min(left, 500), run.signal).catch(() => undefined);
      }
    }
    await monitor.stop();
    invariants = monitor.evaluate(faults.windows(), elapsed(ctx));
    const failedStep = findFailed(steps);
    const failedInvariant = invariants.find((i) => i.status === 'fail');
    if (failedStep) {
      status = 'failed';
      failure = {
        message: `${failedStep.label}: ${failedStep.message ?? 'failed'}`,
        where: `${s.file}:${failedStep.line}`,
        ...(failedStep.expected !== undefined ? { expected: failedStep.expected } : {}),
        ...(failedStep.seen !== undefined ? { seen: failedStep.seen } : {}),
        ...(failedStep.endMs !== undefined ? { atMs: failedStep.endMs } : {}),
        logs: [],
      };
    } else if (failedInvariant) {
      const v = failedInvariant.verdicts.find((x) => x.status === 'fail');
      status = 'failed';
      failure = {
        message: `invariant ${failedInvariant.name}, ${v?.windowLabel ?? ''}: ${v?.message ?? 'failed'}`,
        where: `${s.file}:${failedInvariant.line}`,
        ...(v?.expected !== undefined ? { expected: v.expected } : {}),
        ...(v?.seen !== undefined ? { seen: v.seen } : {}),
        ...(v?.atMs !== undefined ? { atMs: v.atMs } : {}),
        logs: [],
      };
    }
  } catch (err) {
    status = 'error';
    failure = { message: errorMessage(err), atMs: elapsed({ clock, t0 }), logs: [] };
  } finally {
    timer.cancel();
    o.signal.removeEventListener('abort', onAbort);
    await monitor?.stop().catch(() => undefined);
    teardownAt = clock.now();
    const leftover = await bench.teardown();
    if (leftover.length > 0) {
      record({
        atMs: elapsed({ clock, t0 }),
        kind: 'bench',
        text: `teardown: ended ${leftover.length} leftover process${leftover.length === 1 ? '' : 'es'} (pods)`,
      });
    }
  }
  if (o.signal.aborted) status = 'interrupted';
  else if (run.signal.aborted && status === 'passed') status = 'failed';
  if (run.signal.aborted && failure === undefined) {
    failure = { message: errorMessage(run.signal.reason), atMs: elapsed({ clock, t0 }), logs: [] };
  }

  // Logs: copied beside the report, and excerpts around the failure.
  mkdirSync(o.logsDir, { recursive: true });
  const logs: { component: string; file: string }[] = [];
  const excerpts: LogExcerpt[] = [];
  for (const c of bench.all()) {
    const file = join(o.logsDir, `${c.name.replace('/', '-')}.log`);
    try {
      copyFileSync(c.log.path, file);
      logs.push({ component: c.name, file });
    } catch {
      continue;
    }
    if (failure?.atMs !== undefined) {
      // The last lines up to 2 s after the failure (within a minute before it), but nothing of the
      // teardown that followed it.
      const to = Math.min(t0 + failure.atMs + 2_000, teardownAt - 1);
      const lines = logTail(c.log.path, to, 12, 60_000, 0).map(
        (l) => `${l.stream === 'bench' ? '[bench] ' : ''}${l.text}`,
      );
      if (lines.length > 0) excerpts.push({ component: c.name, file, lines });
    }
  }
  if (failure) failure.logs = excerpts;
  if (!o.keepData) rmSync(o.dataDir, { recursive: true, force: true });

  const result: ScenarioResult = {
    name: spec.name,
    file: s.file,
    ...(spec.description !== undefined ? { description: spec.description } : {}),
    status,
    startedAt,
    durationMs: clock.now() - t0,
    ...(benchMs !== undefined ? { benchMs } : {}),
    ...(failure ? { failure } : {}),
    steps,
    windows: faults.windows(),
    invariants,
    measurements: [...measurements].map(([name, samples]) => summarize(name, samples)),
    events,
    logs,
    dataDir: o.dataDir,
  };
  o.progress.scenarioFinished(result);
  return result;
}

function findFailed(steps: readonly StepResult[]): StepResult | undefined {
  for (const s of steps) {
    if (s.status !== 'failed') continue;
    return (s.children && findFailed(s.children)) ?? s;
  }
  return undefined;
}

function variables(s: LoadedScenario, bench: Bench, runId: string): VariableValues {
  return {
    plain: {
      KUBECONFIG: bench.kubeconfig,
      DATA_DIR: bench.dataDir,
      SCENARIO_DIR: dirname(s.absoluteFile),
      TOKEN: bench.token(),
      APISERVER: bench.apiserverUrl(),
      RUN_ID: runId,
    },
    node: (variable: NodeVariable, node: string) => {
      if (!bench.nodes.includes(node)) return undefined;
      switch (variable) {
        case 'NODE_KUBECONFIG':
          return bench.nodeKubeconfig(node);
        case 'NODE_DATA_DIR':
          return bench.nodeDir(node);
        case 'METASERVER':
          return bench.metaserverUrl(node);
        case 'MQTT':
          return bench.mqttUrl(node);
      }
    },
    device: (variable: DeviceVariable, kind: string) => {
      if (!(bench.options.devices as readonly string[]).includes(kind)) return undefined;
      const d = bench.device(kind as DeviceKind);
      switch (variable) {
        case 'DEVICE_PORT':
          return String(d.proxyPort);
        case 'SIM_CONTROL':
          return d.controlUrl;
      }
    },
  };
}
