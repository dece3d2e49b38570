/**
 * The steps that talk to a Kubernetes API through kubectl: apply, delete, wait, and assert on the
 * cloud (`api`) or on a node's MetaServer (`metaserver`). A wait is `kubectl wait` (its
 * `--for=condition=…`, `--for=jsonpath=…` and `--for=delete` mean what they mean there), tried
 * again until the timeout while nothing matches yet or the server cannot be reached; when it
 * fails, the step says what the resources looked like instead.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { errorMessage } from '@edgeproof/core';
import { durationMs, formatMs } from '../duration.ts';
import { StepFailedError } from '../errors.ts';
import { firstLine } from '../kubectl.ts';
import type { ApplyStep, DeleteStep, GetAssert, WaitStep } from '../scenario-types.ts';
import { substitute, substituteDeep } from '../variables.ts';
import type { StepContext } from './step-context.ts';

const POLL_MS = 500;

export async function applyStep(
  spec: ApplyStep,
  ctx: StepContext,
  path: string,
  signal: AbortSignal,
): Promise<string> {
  let text: string;
  if (spec.file !== undefined) {
    const file = resolve(ctx.scenarioDir, substitute(spec.file, ctx.vars));
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new StepFailedError(`the manifest file ${file}`, `it cannot be read: ${errorMessage(err)}`);
    }
    // Files may hold a shell's own ${VAR}: only the bench's variables are filled in.
    text = substitute(text, ctx.vars, true);
  } else {
    const docs = spec.manifests ?? (spec.manifest ? [spec.manifest] : []);
    text = docs.map((d) => stringify(substituteDeep(d, ctx.vars))).join('---\n');
  }
  mkdirSync(ctx.manifestsDir, { recursive: true });
  const file = join(ctx.manifestsDir, `${path.replace(/[^\w.-]+/g, '_')}.yaml`);
  writeFileSync(file, text);
  const r = await ctx.kubectl.run(ctx.bench.kubeconfig, ['apply', '-f', file], { signal });
  if (r.code !== 0)
    throw new StepFailedError('kubectl apply to succeed', `exit ${r.code}: ${firstLine(r.stderr)}`);
  return r.stdout.trim().split('\n').join(', ');
}

export async function deleteStep(spec: DeleteStep, ctx: StepContext, signal: AbortSignal): Promise<string> {
  const args = ['delete', spec.resource, ...selectorArgs(spec), '--wait=false'];
  const r = await ctx.kubectl.run(ctx.bench.kubeconfig, args, { signal });
  if (r.code !== 0)
    throw new StepFailedError(
      `kubectl delete ${spec.resource} to succeed`,
      `exit ${r.code}: ${firstLine(r.stderr)}`,
    );
  return r.stdout.trim().split('\n').join(', ');
}

/** What a wait waits for, in words: `pods app=demo Ready`. */
export function describeWait(spec: WaitStep): string {
  const target = `${spec.for}${spec.selector ? ` ${spec.selector}` : ''}${spec.node ? ` on ${spec.node}'s MetaServer` : ''}`;
  if (spec.deleted) return `${target} deleted`;
  if (spec.condition !== undefined)
    return `${target} ${spec.condition.includes('=') ? spec.condition : `${spec.condition}=True`}`;
  return `${target} ${spec.jsonpath ?? ''}`;
}

export async function waitStep(spec: WaitStep, ctx: StepContext, signal: AbortSignal): Promise<string> {
  const kubeconfig = spec.node ? ctx.bench.nodeKubeconfig(spec.node) : ctx.bench.kubeconfig;
  const timeoutMs = durationMs(spec.timeout, 60_000);
  const started = ctx.clock.now();
  const deadline = started + timeoutMs;
  const forArg =
    spec.condition !== undefined
      ? `--for=condition=${spec.condition}`
      : spec.jsonpath !== undefined
        ? `--for=jsonpath=${spec.jsonpath}`
        : '--for=delete';
  let last = '';
  for (;;) {
    signal.throwIfAborted();
    const remaining = deadline - ctx.clock.now();
    if (remaining <= 0) break;
    const seconds = Math.max(1, Math.ceil(remaining / 1000));
    // `kubectl wait nodes` needs --all to mean every node (it refuses a type without names).
    const all = !spec.for.includes('/') && spec.selector === undefined ? ['--all'] : [];
    const r = await ctx.kubectl.run(
      kubeconfig,
      ['wait', spec.for, ...all, ...selectorArgs(spec), forArg, `--timeout=${seconds}s`],
      {
        timeoutMs: seconds * 1000 + 5_000,
        signal,
      },
    );
    if (r.code === 0) return `after ${formatMs(ctx.clock.now() - started)}`;
    // kubectl wait --for=delete succeeds on nothing; other waits fail on nothing yet: try again.
    last = firstLine(r.stderr);
    if (ctx.clock.now() + POLL_MS >= deadline) break;
    await ctx.clock.sleep(POLL_MS, signal);
  }
  const seen = await describeCurrent(spec, kubeconfig, ctx, signal);
  // kubectl's own complaint helps unless it is just its timeout.
  const complaint = last !== '' && !/timed out waiting/.test(last) ? ` (kubectl wait: ${last})` : '';
  throw new StepFailedError(
    `${describeWait(spec)} within ${formatMs(timeoutMs)}`,
    (seen || 'nothing') + complaint,
  );
}

/** The resources a wait is about, as they are now: `demo Ready=False`, or kubectl's complaint. */
async function describeCurrent(
  spec: WaitStep,
  kubeconfig: string,
  ctx: StepContext,
  signal: AbortSignal,
): Promise<string> {
  const single = spec.for.includes('/');
  let inner: string;
  if (spec.deleted) inner = '{.metadata.name}';
  else if (spec.condition !== undefined) {
    const type = spec.condition.split('=')[0] ?? '';
    inner = `{.metadata.name}{" ${type}="}{.status.conditions[?(@.type=="${type}")].status}`;
  } else {
    const expr = (spec.jsonpath ?? '').replace(/=.*$/, '');
    inner = `{.metadata.name}{" ${expr.replace(/"/g, "'")}="}${expr}`;
  }
  const template = single ? inner : `{range .items[*]}${inner}{"; "}{end}`;
  const r = await ctx.kubectl
    .run(kubeconfig, ['get', spec.for, ...selectorArgs(spec), '-o', `jsonpath=${template}`], {
      signal,
    })
    .catch(() => undefined);
  if (r === undefined) return '';
  if (r.code !== 0) return firstLine(r.stderr);
  const text = r.stdout.trim().replace(/;$/, '');
  if (text === '')
    return spec.deleted
      ? 'nothing left'
      : `no ${spec.for} matched${spec.selector ? ` ${spec.selector}` : ''}`;
  return spec.deleted ? `still there: ${text}` : text;
}

/** What an assert checks, in words. */
export function describeGet(g: GetAssert): string {
  const target = `${g.get}${g.selector ? ` ${g.selector}` : ''}`;
  if (g.count !== undefined) return `${target}: ${g.count} object${g.count === 1 ? '' : 's'}`;
  if (g.equals !== undefined) return `${target} ${g.jsonpath ?? ''} = ${JSON.stringify(String(g.equals))}`;
  return `${target} ${g.jsonpath ?? ''} ~ /${g.matches ?? ''}/`;
}

/** An `api` or `metaserver` assert: once, or until it holds within `within`. */
export async function getAssert(
  g: GetAssert,
  kubeconfig: string,
  ctx: StepContext,
  signal: AbortSignal,
): Promise<string> {
  const deadline = ctx.clock.now() + durationMs(g.within, 0);
  for (;;) {
    const { ok, seen } = await observe(g, kubeconfig, ctx, signal);
    if (ok) return seen;
    if (ctx.clock.now() + POLL_MS > deadline) {
      const expected = describeGet(g) + (g.within !== undefined ? ` within ${g.within}` : '');
      throw new StepFailedError(expected, seen);
    }
    await ctx.clock.sleep(POLL_MS, signal);
  }
}

async function observe(
  g: GetAssert,
  kubeconfig: string,
  ctx: StepContext,
  signal: AbortSignal,
): Promise<{ ok: boolean; seen: string }> {
  if (g.count !== undefined) {
    const r = await ctx.kubectl.run(kubeconfig, ['get', g.get, ...selectorArgs(g), '-o', 'name'], { signal });
    if (r.code !== 0 && !/NotFound|not found/.test(r.stderr))
      return { ok: false, seen: `kubectl get failed: ${firstLine(r.stderr)}` };
    const names = r.code === 0 ? r.stdout.split('\n').filter((l) => l.trim() !== '') : [];
    return {
      ok: names.length === g.count,
      seen: `${names.length} object${names.length === 1 ? '' : 's'}${names.length > 0 && names.length <= 5 ? ` (${names.join(', ')})` : ''}`,
    };
  }
  const r = await ctx.kubectl.run(
    kubeconfig,
    ['get', g.get, ...selectorArgs(g), '-o', `jsonpath=${g.jsonpath ?? ''}`],
    {
      signal,
    },
  );
  if (r.code !== 0) return { ok: false, seen: `kubectl get failed: ${firstLine(r.stderr)}` };
  const value = r.stdout.trim();
  const ok = g.equals !== undefined ? value === String(g.equals) : new RegExp(g.matches ?? '').test(value);
  return { ok, seen: JSON.stringify(value) };
}

function selectorArgs(s: { selector?: string; namespace?: string }): string[] {
  return [
    ...(s.selector !== undefined ? ['-l', s.selector] : []),
    ...(s.namespace !== undefined ? ['-n', s.namespace] : []),
  ];
}
