/**
 * Reading scenario files: YAML with positions (yaml's LineCounter), validated against
 * `scenarios/schema/scenario.schema.json` (ajv, draft 2020-12) and then by the rules a schema cannot
 * express (one kind per step, node names that exist in the bench, known variables, ids that
 * measures refer to). Every problem of every file is collected before anything starts, each as
 * `file:line: field: message`.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { isMap, isNode, isPair, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import { errorMessage } from '@edgeproof/core';
import { durationMs } from './duration.ts';
import { ScenarioInvalidError, type ScenarioIssue } from './errors.ts';
import {
  STEP_KINDS,
  type GetAssert,
  type InvariantNode,
  type LoadedScenario,
  type ScenarioSpec,
  type StepKind,
  type StepNode,
  type StepSpec,
} from './scenario-types.ts';
import { checkReferences, describeNodes } from './variables.ts';

/** Where the schema lives, for the CLI's messages and for editors (`# yaml-language-server: $schema=`). */
export const SCENARIO_SCHEMA_PATH = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../../schema/scenario.schema.json',
);

type Path = (string | number)[];

/** Validates scenario documents; compile once, use for many files. */
export class ScenarioValidator {
  private readonly validate: ValidateFunction;
  private readonly definitions = new Map<unknown, string>();

  constructor() {
    const schema = JSON.parse(readFileSync(SCENARIO_SCHEMA_PATH, 'utf8')) as {
      $defs: Record<string, unknown>;
    };
    for (const [name, def] of Object.entries(schema.$defs)) this.definitions.set(def, name);
    const ajv = new Ajv2020({
      allErrors: true,
      strict: true,
      // `oneOf: [{ required: [file] }, …]` names properties declared beside it, which is fine.
      strictRequired: false,
      allowUnionTypes: true,
      // Gives every error its parentSchema, by which definitions are recognised.
      verbose: true,
    });
    this.validate = ajv.compile(schema);
  }

  /** The problems of one parsed document (schema first; the semantic rules only when it passes). */
  check(value: unknown): Problem[] {
    if (this.validate(value)) return semanticProblems(value as ScenarioSpec);
    return schemaProblems(this.validate.errors ?? [], this.definitions);
  }
}

/**
 * Loads every file, reporting the problems of all of them together.
 * @throws ScenarioInvalidError when any file is unreadable, not YAML or not a valid scenario.
 */
export function loadScenarios(files: readonly string[], cwd = process.cwd()): LoadedScenario[] {
  const validator = new ScenarioValidator();
  const issues: ScenarioIssue[] = [];
  const loaded: LoadedScenario[] = [];
  for (const file of files) {
    const absolute = resolve(cwd, file);
    let text: string;
    try {
      text = readFileSync(absolute, 'utf8');
    } catch (err) {
      issues.push({ file, field: '', message: `cannot read the file: ${errorMessage(err)}` });
      continue;
    }
    const result = parseScenarioText(text, file, absolute, validator);
    if ('issues' in result) issues.push(...result.issues);
    else loaded.push(result.scenario);
  }
  const names = new Map<string, string>();
  for (const s of loaded) {
    const other = names.get(s.spec.name);
    if (other !== undefined)
      issues.push({
        file: s.file,
        line: 1,
        field: 'name',
        message: `${JSON.stringify(s.spec.name)} is also the name of ${other}; reports are named after it`,
      });
    names.set(s.spec.name, s.file);
  }
  if (issues.length > 0) throw new ScenarioInvalidError(issues);
  return loaded;
}

/** Parses and validates one scenario's text; `file` names it in messages. */
export function parseScenarioText(
  text: string,
  file: string,
  absoluteFile: string = resolve(file),
  validator: ScenarioValidator = new ScenarioValidator(),
): { scenario: LoadedScenario } | { issues: ScenarioIssue[] } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      issues: doc.errors.map((e) => ({
        file,
        line: lines.linePos(e.pos[0]).line,
        field: '',
        message: `not valid YAML: ${e.message.split('\n')[0] ?? e.message}`,
      })),
    };
  }
  const value: unknown = doc.toJS({ maxAliasCount: 100 });
  const problems = validator.check(value);
  if (problems.length > 0) {
    const issues = problems.map((p) => ({
      file,
      ...lineOf(doc, p.path, lines, p.atKey === true),
      field: formatPath(p.path),
      message: p.message,
    }));
    issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    return { issues };
  }
  const spec = value as ScenarioSpec;
  const locate = (path: Path): number => lineOf(doc, path, lines, false).line ?? 1;
  return {
    scenario: {
      file,
      absoluteFile,
      spec,
      steps: stepNodes(spec.steps, ['steps'], locate),
      invariants: (spec.invariants ?? []).map((inv, i): InvariantNode => ({
        path: `invariants[${i}]`,
        line: locate(['invariants', i]),
        spec: inv,
      })),
    },
  };
}

/** The kind of a validated step: its one kind key. */
export function stepKind(step: StepSpec): StepKind {
  const kind = STEP_KINDS.find((k) => step[k] !== undefined);
  if (kind === undefined) throw new RangeError('a step without a kind passed validation');
  return kind;
}

function stepNodes(steps: StepSpec[], base: Path, locate: (path: Path) => number): StepNode[] {
  return steps.map((spec, i) => {
    const path = [...base, i];
    const kind = stepKind(spec);
    let children: StepNode[] = [];
    if (kind === 'parallel' && spec.parallel)
      children = stepNodes(spec.parallel, [...path, 'parallel'], locate);
    if (kind === 'repeat' && spec.repeat)
      children = stepNodes(spec.repeat.steps, [...path, 'repeat', 'steps'], locate);
    if (kind === 'measure' && spec.measure?.steps)
      children = stepNodes(spec.measure.steps, [...path, 'measure', 'steps'], locate);
    return { path: formatPath(path), line: locate(path), kind, spec, children };
  });
}

/** `['steps', 3, 'wait', 'timeout']` → `steps[3].wait.timeout`. */
export function formatPath(path: Path): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? part : `.${part}`;
  }
  return out;
}

/** The line of the deepest existing node on `path`; with `atKey`, of the last key itself. */
function lineOf(doc: Document.Parsed, path: Path, lines: LineCounter, atKey: boolean): { line?: number } {
  if (atKey && path.length > 0) {
    const parent: unknown = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === path.at(-1));
      if (pair && isNode(pair.key) && pair.key.range) return { line: lines.linePos(pair.key.range[0]).line };
    }
  }
  for (let n = path.length; n >= 0; n--) {
    const node: unknown = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) return { line: lines.linePos(node.range[0]).line };
  }
  return {};
}

function pointerToPath(pointer: string): Path {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  integer: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
  object: 'a mapping (key: value)',
  array: 'a list',
};

/** Messages for a `$ref`'d definition, by the definition's name. */
const DEFINITION_MESSAGES: Record<string, string> = {
  duration: 'must be a duration like 30s, 500ms or 1m30s',
  name: "must be a name of lower-case letters, digits and '-' (at most 63), like offline-autonomy",
  nodeName: "must be a node name of lower-case letters, digits, '-' and '.', like edge-1",
  resource: 'must be a kubectl resource like pods, pod/demo or node/edge-1',
};

type Problem = { path: Path; message: string; atKey?: boolean };

/**
 * ajv's errors as one clear message each, at the field they are about. ajv's schemaPath is
 * relative to the last `$ref`, so definitions are recognised by identity (`verbose` gives each
 * error its parentSchema, the very object of the schema).
 */
function schemaProblems(errors: ErrorObject[], definitions: Map<unknown, string>): Problem[] {
  const choices = errors.filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf');
  const branchesOf = (c: ErrorObject): unknown[] =>
    (c.parentSchema?.[c.keyword] as unknown[] | undefined) ?? [];
  // A branch's own failure at the choice's field is noise; a failure deeper inside a branch (a bad
  // node name in heal.nodes) is the real problem, and then the choice is not reported itself.
  const isBranchNoise = (e: ErrorObject): boolean =>
    choices.some(
      (c) => c !== e && c.instancePath === e.instancePath && branchesOf(c).includes(e.parentSchema),
    );
  const hasDeeper = (c: ErrorObject): boolean =>
    errors.some((e) => e.instancePath.startsWith(c.instancePath + '/') && e.keyword !== 'if');
  const out: Problem[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    if (e.keyword === 'if' || isBranchNoise(e)) continue;
    if ((e.keyword === 'oneOf' || e.keyword === 'anyOf') && hasDeeper(e) && !isRequiredChoice(e)) continue;
    const problem = describe(e, pointerToPath(e.instancePath), definitions.get(e.parentSchema));
    const key = `${formatPath(problem.path)}\0${problem.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(problem);
  }
  return out;
}

/** A oneOf/anyOf whose branches each only require a key (`oneOf: [{required: [file]}, …]`). */
function isRequiredChoice(e: ErrorObject): boolean {
  const branches = ((e.parentSchema as Record<string, unknown>)[e.keyword] ?? []) as Record<
    string,
    unknown
  >[];
  return branches.every((b) => Array.isArray(b.required) && Object.keys(b).length === 1);
}

function describe(e: ErrorObject, path: Path, definition: string | undefined): Problem {
  const params = e.params as Record<string, unknown>;
  const parent = (e.parentSchema ?? {}) as Record<string, unknown>;
  const definitionMessage = definition === undefined ? undefined : DEFINITION_MESSAGES[definition];
  switch (e.keyword) {
    case 'required':
      return { path: [...path, String(params.missingProperty)], message: 'is required' };
    case 'additionalProperties': {
      const field = String(params.additionalProperty);
      const allowed = Object.keys(parent.properties ?? {});
      if (definition === 'step') {
        return {
          path: [...path, field],
          atKey: true,
          message: `unknown step kind ${JSON.stringify(field)} (a step is one of ${STEP_KINDS.join(', ')}, with an optional id and name)`,
        };
      }
      return {
        path: [...path, field],
        atKey: true,
        message: `unknown field ${JSON.stringify(field)} (expected ${allowed.join(', ')})`,
      };
    }
    case 'oneOf':
    case 'anyOf': {
      if (isRequiredChoice(e)) {
        const branches = (parent[e.keyword] as { required: string[] }[]).map((b) => b.required.join(' and '));
        const list = branches.join(', ');
        if (e.keyword === 'anyOf') return { path, message: `needs at least one of ${list}` };
        return {
          path,
          message: Array.isArray(params.passingSchemas)
            ? `has more than one of ${list}; give exactly one`
            : `needs exactly one of ${list}`,
        };
      }
      if (definition === 'heal') {
        return { path, message: 'must be "all" or a mapping with nodes, components and/or devices' };
      }
      return { path, message: e.message ?? 'is not valid' };
    }
    case 'pattern':
      return { path, message: definitionMessage ?? `must match ${String(params.pattern)}` };
    case 'type': {
      if (definitionMessage !== undefined) return { path, message: definitionMessage };
      const types = String(params.type)
        .split(',')
        .map((t) => TYPE_NAMES[t] ?? t);
      return { path, message: `must be ${types.join(' or ')}` };
    }
    case 'enum':
      return {
        path,
        message: `must be one of ${((params.allowedValues ?? []) as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
      };
    case 'const':
      return { path, message: `must be ${JSON.stringify(params.allowedValue)}` };
    case 'minProperties':
      if (definition === 'step') return { path, message: `a step needs one of ${STEP_KINDS.join(', ')}` };
      return { path, message: e.message ?? 'is empty' };
    case 'maxLength':
      return { path, message: definitionMessage ?? e.message ?? 'is too long' };
    default:
      return { path, message: e.message ?? 'is not valid' };
  }
}

/** The rules the schema cannot express, on a document that passed it. */
function semanticProblems(spec: ScenarioSpec): { path: Path; message: string }[] {
  const problems: { path: Path; message: string }[] = [];
  const bench = spec.bench ?? {};
  const nodeCount = bench.nodes ?? 1;
  const nodes = Array.from({ length: nodeCount }, (_, i) => `edge-${i + 1}`);
  const devices = bench.devices ?? [];
  const checkNode = (path: Path, node: string | undefined): void => {
    if (node !== undefined && !nodes.includes(node))
      problems.push({
        path,
        message: `no node ${JSON.stringify(node)} in the bench (${describeNodes(nodes)}; set bench.nodes)`,
      });
  };
  const grace = durationMs(bench.nodeGracePeriod, 10_000);
  const status = durationMs(bench.statusFrequency, 2_000);
  if (status >= grace) {
    problems.push({
      path: ['bench', 'statusFrequency'],
      message: `must be shorter than nodeGracePeriod (${bench.nodeGracePeriod ?? '10s'}), or every node turns NotReady between updates`,
    });
  }
  if (devices.length > 0 && nodeCount === 0) {
    problems.push({
      path: ['bench', 'devices'],
      message: 'devices need an edge node for their mappers (bench.nodes)',
    });
  }
  const invariantNames = new Set<string>();
  (spec.invariants ?? []).forEach((inv, i) => {
    if (invariantNames.has(inv.name))
      problems.push({
        path: ['invariants', i, 'name'],
        message: `another invariant is named ${JSON.stringify(inv.name)}`,
      });
    invariantNames.add(inv.name);
    if (inv.kind === 'nodeReadiness' || inv.kind === 'noDuplicateOrLostDelivery')
      checkNode(['invariants', i, 'node'], inv.node);
  });
  const ids = new Map<string, Path>();
  const measures: { path: Path; from: string; to: string }[] = [];
  const walk = (steps: StepSpec[], base: Path): void => {
    steps.forEach((step, i) => {
      const path = [...base, i];
      const kinds = STEP_KINDS.filter((k) => step[k] !== undefined);
      if (kinds.length === 0) {
        problems.push({ path, message: `a step needs one of ${STEP_KINDS.join(', ')}` });
        return;
      }
      if (kinds.length > 1) {
        problems.push({ path, message: `a step has exactly one kind; this one has ${kinds.join(' and ')}` });
        return;
      }
      if (step.id !== undefined) {
        if (ids.has(step.id))
          problems.push({
            path: [...path, 'id'],
            message: `the id ${JSON.stringify(step.id)} is used twice`,
          });
        ids.set(step.id, path);
      }
      const kind = kinds[0] as StepKind;
      checkStep(step, kind, path);
      if (step.parallel) walk(step.parallel, [...path, 'parallel']);
      if (step.repeat) walk(step.repeat.steps, [...path, 'repeat', 'steps']);
      if (step.measure?.steps) walk(step.measure.steps, [...path, 'measure', 'steps']);
      if (step.measure?.from !== undefined && step.measure.to !== undefined)
        measures.push({ path: [...path, 'measure'], from: step.measure.from, to: step.measure.to });
    });
  };
  const checkStep = (step: StepSpec, kind: StepKind, path: Path): void => {
    switch (kind) {
      case 'wait':
        checkNode([...path, 'wait', 'node'], step.wait?.node);
        break;
      case 'assert': {
        const a = step.assert;
        if (a && 'metaserver' in a) checkNode([...path, 'assert', 'metaserver', 'node'], a.metaserver.node);
        if (a && 'mqtt' in a) {
          checkNode([...path, 'assert', 'mqtt', 'node'], a.mqtt.node);
          if (a.mqtt.matches !== undefined)
            checkRegExp([...path, 'assert', 'mqtt', 'matches'], a.mqtt.matches);
        }
        if (a && 'process' in a)
          checkComponent([...path, 'assert', 'process'], a.process.component, a.process.node);
        const gets: [string, GetAssert][] =
          a && 'api' in a ? [['api', a.api]] : a && 'metaserver' in a ? [['metaserver', a.metaserver]] : [];
        for (const [where, g] of gets) {
          const base = [...path, 'assert', where];
          const checks = ['equals', 'matches', 'count'].filter((k) => g[k as keyof typeof g] !== undefined);
          if (checks.length !== 1)
            problems.push({ path: base, message: 'needs exactly one of equals, matches, count' });
          if ((g.equals !== undefined || g.matches !== undefined) && g.jsonpath === undefined)
            problems.push({ path: [...base, 'jsonpath'], message: 'is required with equals or matches' });
          if (g.matches !== undefined) checkRegExp([...base, 'matches'], g.matches);
        }
        break;
      }
      case 'fault': {
        const f = step.fault ?? {};
        for (const [mode, spec] of [
          ['partition', f.partition],
          ['degrade', f.degrade],
          ['flap', f.flap],
        ] as const) {
          spec?.nodes.forEach((n, j) => checkNode([...path, 'fault', mode, 'nodes', j], n));
        }
        const process = f.kill ?? f.stop ?? f.restart;
        if (process !== undefined) checkComponent([...path, 'fault'], process, f.node);
        else if (f.node !== undefined)
          problems.push({ path: [...path, 'fault', 'node'], message: 'is for kill, stop and restart only' });
        if (f.hard !== undefined && f.restart === undefined)
          problems.push({ path: [...path, 'fault', 'hard'], message: 'is for restart only' });
        if (f['partition-device'] !== undefined && !devices.includes(f['partition-device']))
          problems.push({
            path: [...path, 'fault', 'partition-device'],
            message: `the bench has no ${f['partition-device']} device (bench.devices)`,
          });
        break;
      }
      case 'heal': {
        const h = step.heal;
        if (h !== undefined && h !== 'all') {
          h.nodes?.forEach((n, j) => checkNode([...path, 'heal', 'nodes', j], n));
          h.devices?.forEach((d, j) => {
            if (!devices.includes(d))
              problems.push({
                path: [...path, 'heal', 'devices', j],
                message: `the bench has no ${d} device`,
              });
          });
          if (h.components?.includes('edgecore'))
            problems.push({
              path: [...path, 'heal', 'components'],
              message: 'edgecore is healed per node: use nodes: [edge-1]',
            });
        }
        break;
      }
      case 'run':
        if (step.run?.expectOutput !== undefined)
          checkRegExp([...path, 'run', 'expectOutput'], step.run.expectOutput);
        break;
      case 'signal':
        if (step.signal !== undefined && !devices.includes(step.signal.device))
          problems.push({
            path: [...path, 'signal', 'device'],
            message: `the bench has no ${step.signal.device} device (bench.devices)`,
          });
        break;
      case 'apply':
      case 'delete':
      case 'sleep':
      case 'measure':
      case 'parallel':
      case 'repeat':
        break;
    }
  };
  const checkComponent = (path: Path, component: string, node: string | undefined): void => {
    if (component === 'edgecore' || component === 'mqtt-broker') {
      if (node === undefined)
        problems.push({ path: [...path, 'node'], message: `is required for ${component}` });
      else checkNode([...path, 'node'], node);
    } else if (node !== undefined) {
      problems.push({
        path: [...path, 'node'],
        message: `is for edgecore and mqtt-broker only, not ${component}`,
      });
    }
    if (component === 'mqtt-broker' && bench.mqtt !== 'mosquitto')
      problems.push({
        path,
        message: 'the embedded broker runs inside edgecore: set bench.mqtt: mosquitto to stop a broker alone',
      });
    if ((component === 'modbus' || component === 'opcua') && !devices.includes(component))
      problems.push({ path, message: `the bench has no ${component} device (bench.devices)` });
  };
  const checkRegExp = (path: Path, source: string): void => {
    try {
      new RegExp(source);
    } catch (err) {
      problems.push({ path, message: `is not a regular expression: ${errorMessage(err)}` });
    }
  };
  walk(spec.steps, ['steps']);
  for (const m of measures) {
    for (const end of ['from', 'to'] as const) {
      const id = m[end].replace(/\.(start|end)$/, '');
      if (!ids.has(id))
        problems.push({ path: [...m.path, end], message: `no step has the id ${JSON.stringify(id)}` });
    }
  }
  // Variables anywhere in steps and invariants.
  const strings = (value: unknown, path: Path): void => {
    if (typeof value === 'string') {
      for (const message of checkReferences(value, nodes, devices)) problems.push({ path, message });
    } else if (Array.isArray(value)) value.forEach((v, i) => strings(v, [...path, i]));
    else if (value !== null && typeof value === 'object')
      for (const [k, v] of Object.entries(value)) strings(v, [...path, k]);
  };
  strings(spec.steps, ['steps']);
  return problems;
}
