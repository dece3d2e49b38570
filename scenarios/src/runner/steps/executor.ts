/**
 * Runs a scenario's steps in order. A failed step ends the sequence (the rest are skipped, as a
 * test stops at its first failed assertion); `parallel` runs its steps together and stops the
 * others when one fails; `repeat` runs its steps N times; `measure` times its steps, or the gap
 * between two earlier steps' events. Each step gives a StepResult with its file line, and a failed
 * one says what was expected and what was seen.
 */
import { errorMessage } from '@edgeproof/core';
import { durationMs, formatMs } from '../duration.ts';
import { StepFailedError } from '../errors.ts';
import type { StepResult } from '../report/result-types.ts';
import type { AssertStep, StepNode } from '../scenario-types.ts';
import { describeFault, describeHeal, faultStep, healStep } from './fault-steps.ts';
import { applyStep, deleteStep, describeGet, describeWait, getAssert, waitStep } from './kube-steps.ts';
import { runStep } from './run-step.ts';
import { describeMqttAssert, mqttAssert } from './mqtt-assert.ts';
import { elapsed, type StepContext } from './step-context.ts';
import { SimulatorControlClient, type SignalInput } from '@edgeproof/simulators';
import { componentName } from '../bench/bench.ts';
import { substituteDeep } from '../variables.ts';

/** A step in a few words, for progress lines and reports. */
export function describeStep(node: StepNode): string {
  const s = node.spec;
  if (s.name !== undefined) return s.name;
  switch (node.kind) {
    case 'apply':
      return `apply ${s.apply?.file ?? `${(s.apply?.manifests ?? [s.apply?.manifest]).length} manifest(s)`}`;
    case 'delete':
      return `delete ${s.delete?.resource ?? ''}${s.delete?.selector ? ` ${s.delete.selector}` : ''}`;
    case 'wait':
      return s.wait ? `wait ${describeWait(s.wait)}` : 'wait';
    case 'sleep':
      return `sleep ${s.sleep ?? ''}`;
    case 'run':
      return `run ${s.run?.command ?? ''}`;
    case 'assert':
      return s.assert ? `assert ${describeAssert(s.assert)}` : 'assert';
    case 'fault':
      return s.fault ? describeFault(s.fault) : 'fault';
    case 'heal':
      return s.heal !== undefined ? describeHeal(s.heal) : 'heal';
    case 'signal':
      return `signal ${s.signal?.device ?? ''} ${s.signal?.point ?? ''} ${JSON.stringify(s.signal?.model ?? {})}`;
    case 'measure':
      return `measure ${s.measure?.name ?? ''}`;
    case 'parallel':
      return `parallel (${node.children.length} steps)`;
    case 'repeat':
      return `repeat ${s.repeat?.times ?? 0}×`;
  }
}

function describeAssert(a: AssertStep): string {
  if ('api' in a) return describeGet(a.api);
  if ('metaserver' in a) return `${a.metaserver.node} MetaServer: ${describeGet(a.metaserver)}`;
  if ('mqtt' in a) return describeMqttAssert(a.mqtt);
  return `${componentName(a.process.component, a.process.node)} ${a.process.running ? 'running' : 'not running'}`;
}

export type StepsOutcome = { results: StepResult[]; failed: StepResult | undefined };

/** Runs `nodes` in order; stops at the first failure or when `signal` aborts. */
export async function runSteps(
  nodes: readonly StepNode[],
  ctx: StepContext,
  signal: AbortSignal,
  depth = 0,
  iteration?: number,
): Promise<StepsOutcome> {
  const results: StepResult[] = [];
  let failed: StepResult | undefined;
  for (const node of nodes) {
    if (failed !== undefined || signal.aborted) {
      results.push(
        skipped(
          node,
          iteration,
          signal.aborted && failed === undefined ? 'interrupted' : 'an earlier step failed',
        ),
      );
      continue;
    }
    const r = await runStep1(node, ctx, signal, depth, iteration);
    results.push(r);
    if (r.status === 'failed') failed = firstFailure(r);
  }
  return { results, failed };
}

/** The innermost failed step of a result (what the user must look at). */
export function firstFailure(r: StepResult): StepResult {
  const inner = r.children?.find((c) => c.status === 'failed');
  return inner ? firstFailure(inner) : r;
}

function skipped(node: StepNode, iteration: number | undefined, why: string): StepResult {
  return {
    path: node.path,
    line: node.line,
    kind: node.kind,
    label: describeStep(node),
    ...(iteration !== undefined ? { iteration } : {}),
    status: 'skipped',
    message: why,
  };
}

async function runStep1(
  node: StepNode,
  ctx: StepContext,
  signal: AbortSignal,
  depth: number,
  iteration: number | undefined,
): Promise<StepResult> {
  const label = describeStep(node);
  const startMs = elapsed(ctx);
  const id = node.spec.id;
  if (id !== undefined) ctx.stepTimes.set(id, { startMs });
  ctx.progress.stepStarted(node.path, label, depth, iteration);
  const result: StepResult = {
    path: node.path,
    line: node.line,
    kind: node.kind,
    label,
    ...(iteration !== undefined ? { iteration } : {}),
    status: 'passed',
    startMs,
  };
  try {
    const detail = await execute(node, ctx, signal, depth, result);
    if (detail) result.message = detail;
  } catch (err) {
    result.status = 'failed';
    if (signal.aborted && !(err instanceof StepFailedError)) {
      result.message = `interrupted: ${errorMessage(signal.reason)}`;
    } else {
      result.message = errorMessage(err);
      if (err instanceof StepFailedError) {
        result.expected = err.expected;
        result.seen = err.seen;
      }
    }
  }
  result.endMs = elapsed(ctx);
  if (id !== undefined) ctx.stepTimes.set(id, { startMs, endMs: result.endMs });
  if (result.status === 'failed' && !result.children?.some((c) => c.status === 'failed')) {
    ctx.record({
      atMs: result.endMs,
      kind: 'failure',
      text: `${label}: ${result.message ?? ''}`,
      stepPath: node.path,
    });
  }
  ctx.progress.stepFinished(result, depth);
  return result;
}

/** Carries out one step; returns a short detail for the report, throws when it fails. */
async function execute(
  node: StepNode,
  ctx: StepContext,
  signal: AbortSignal,
  depth: number,
  result: StepResult,
): Promise<string | undefined> {
  const s = node.spec;
  const where = { path: node.path, line: node.line };
  switch (node.kind) {
    case 'apply':
      return applyStep(s.apply ?? {}, ctx, node.path, signal);
    case 'delete':
      if (!s.delete) return undefined;
      return deleteStep(s.delete, ctx, signal);
    case 'wait':
      if (!s.wait) return undefined;
      return waitStep(s.wait, ctx, signal);
    case 'sleep':
      await ctx.clock.sleep(durationMs(s.sleep, 0), signal);
      return undefined;
    case 'run':
      if (!s.run) return undefined;
      return runStep(s.run, ctx, signal);
    case 'assert': {
      const a = s.assert;
      if (!a) return undefined;
      if ('api' in a) return getAssert(a.api, ctx.bench.kubeconfig, ctx, signal);
      if ('metaserver' in a)
        return getAssert(a.metaserver, ctx.bench.nodeKubeconfig(a.metaserver.node), ctx, signal);
      if ('mqtt' in a) return mqttAssert(a.mqtt, ctx, signal);
      const running = ctx.bench.running(a.process.component, a.process.node);
      if (running !== a.process.running) {
        throw new StepFailedError(
          `${componentName(a.process.component, a.process.node)} ${a.process.running ? 'running' : 'not running'}`,
          running ? 'it is running' : 'it is not running',
        );
      }
      return undefined;
    }
    case 'fault':
      if (!s.fault) return undefined;
      return faultStep(s.fault, ctx, where, signal);
    case 'heal':
      if (s.heal === undefined) return undefined;
      return healStep(s.heal, ctx, where, signal);
    case 'parallel':
      return parallel(node, ctx, signal, depth, result);
    case 'repeat': {
      const times = s.repeat?.times ?? 1;
      result.children = [];
      for (let i = 1; i <= times; i++) {
        const { results, failed } = await runSteps(node.children, ctx, signal, depth + 1, i);
        result.children.push(...results);
        if (failed)
          throw new StepFailedError(
            failed.expected ?? 'every step to pass',
            `round ${i}: ${failed.label} failed`,
          );
      }
      return `${times} rounds`;
    }
    case 'signal': {
      const sig = s.signal;
      if (!sig) return undefined;
      const client = new SimulatorControlClient(ctx.bench.device(sig.device).controlUrl);
      try {
        const point = await client.setSignal(sig.point, substituteDeep(sig.model, ctx.vars) as SignalInput);
        return `${sig.point} now ${JSON.stringify(point.value)}`;
      } catch (err) {
        throw new StepFailedError(`the ${sig.device} simulator to take the signal`, errorMessage(err));
      }
    }
    case 'measure':
      return measure(node, ctx, signal, depth, result);
  }
}

async function parallel(
  node: StepNode,
  ctx: StepContext,
  signal: AbortSignal,
  depth: number,
  result: StepResult,
): Promise<string> {
  const inner = new AbortController();
  const onAbort = (): void => inner.abort(signal.reason);
  signal.addEventListener('abort', onAbort);
  try {
    const outcomes = await Promise.all(
      node.children.map(async (child) => {
        const o = await runSteps([child], ctx, inner.signal, depth + 1);
        // One failed: stop the others (a flap need not go on once the check beside it failed).
        if (o.failed) inner.abort(new Error(`${o.failed.path} failed`));
        return o;
      }),
    );
    result.children = outcomes.flatMap((o) => o.results);
    const failed = outcomes.find((o) => o.failed)?.failed;
    if (failed)
      throw new StepFailedError(failed.expected ?? 'every parallel step to pass', `${failed.label} failed`);
    return `${node.children.length} steps`;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

async function measure(
  node: StepNode,
  ctx: StepContext,
  signal: AbortSignal,
  depth: number,
  result: StepResult,
): Promise<string> {
  const m = node.spec.measure;
  if (!m) return '';
  let sample: number;
  if (node.children.length > 0) {
    const start = elapsed(ctx);
    const { results, failed } = await runSteps(node.children, ctx, signal, depth + 1);
    result.children = results;
    if (failed)
      throw new StepFailedError(failed.expected ?? 'every measured step to pass', `${failed.label} failed`);
    sample = elapsed(ctx) - start;
  } else {
    const at = (ref: string | undefined): number | undefined => {
      const [id = '', end] = (ref ?? '').split('.');
      const t = ctx.stepTimes.get(id);
      return end === 'start' ? t?.startMs : t?.endMs;
    };
    const from = at(m.from);
    const to = at(m.to);
    if (from === undefined || to === undefined) {
      throw new StepFailedError(
        `events ${m.from ?? ''} and ${m.to ?? ''} to have happened`,
        `${from === undefined ? m.from : m.to} has not`,
      );
    }
    sample = to - from;
  }
  const samples = ctx.measurements.get(m.name) ?? [];
  samples.push(sample);
  ctx.measurements.set(m.name, samples);
  ctx.record({
    atMs: elapsed(ctx),
    kind: 'measure',
    text: `${m.name} = ${formatMs(sample)}`,
    stepPath: node.path,
  });
  if (m.max !== undefined && sample > durationMs(m.max, Infinity)) {
    throw new StepFailedError(`${m.name} at most ${m.max}`, formatMs(sample));
  }
  return `${m.name} = ${formatMs(sample)}`;
}
