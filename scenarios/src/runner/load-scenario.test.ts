import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScenarioInvalidError, formatIssue } from './errors.ts';
import { loadScenarios, parseScenarioText, ScenarioValidator } from './load-scenario.ts';

const validator = new ScenarioValidator();

/** The problems of `text` as `file:line: field: message` lines. */
function problems(text: string, file = 'scenarios/x.yaml'): string[] {
  const r = parseScenarioText(text, file, `/abs/${file}`, validator);
  return 'issues' in r ? r.issues.map(formatIssue) : [];
}

const GOOD = `name: good
bench: { nodes: 2, nodeGracePeriod: 10s, statusFrequency: 2s }
invariants:
  - { name: ready, kind: nodeReadiness, node: edge-1, notReadyWithin: 20s, readyWithin: 15s }
steps:
  - apply: { file: manifests/demo.yaml }
  - wait: { for: pods, selector: app=demo, condition: Ready, timeout: 60s }
  - id: cut
    fault: { partition: { nodes: [edge-1], mode: blackhole } }
  - repeat:
      times: 2
      steps:
        - run: { command: "kubectl --kubeconfig \${NODE_KUBECONFIG:edge-1} get pods" }
  - heal: all
  - measure: { name: cut-to-heal, from: cut.start, to: cut.end }
`;

test('a valid scenario loads with the line of every step', () => {
  const r = parseScenarioText(GOOD, 'scenarios/good.yaml', '/abs/good.yaml', validator);
  assert.ok('scenario' in r, JSON.stringify(r));
  const s = r.scenario;
  assert.equal(s.spec.name, 'good');
  assert.deepEqual(
    s.steps.map((n) => [n.path, n.line, n.kind]),
    [
      ['steps[0]', 6, 'apply'],
      ['steps[1]', 7, 'wait'],
      ['steps[2]', 8, 'fault'],
      ['steps[3]', 10, 'repeat'],
      ['steps[4]', 14, 'heal'],
      ['steps[5]', 15, 'measure'],
    ],
  );
  assert.deepEqual(
    s.steps[3]?.children.map((n) => [n.path, n.line]),
    [['steps[3].repeat.steps[0]', 13]],
  );
  assert.deepEqual(
    s.invariants.map((i) => [i.path, i.line]),
    [['invariants[0]', 4]],
  );
});

test('an unknown step kind is an error at its line', () => {
  assert.deepEqual(problems(`name: x\nsteps:\n  - sleep: 1s\n  - frobnicate: { a: 1 }\n`), [
    'scenarios/x.yaml:4: steps[1].frobnicate: unknown step kind "frobnicate" (a step is one of apply, delete, wait, sleep, run, assert, fault, heal, signal, measure, parallel, repeat, with an optional id and name)',
  ]);
});

test('an unknown field is an error naming the fields that exist', () => {
  assert.deepEqual(
    problems(`name: x\nsteps:\n  - wait:\n      for: pods\n      condition: Ready\n      timout: 10s\n`),
    [
      'scenarios/x.yaml:6: steps[0].wait.timout: unknown field "timout" (expected for, selector, namespace, node, condition, jsonpath, deleted, timeout)',
    ],
  );
  assert.deepEqual(problems(`name: x\ncolour: red\nsteps: [{ sleep: 1s }]\n`), [
    'scenarios/x.yaml:2: colour: unknown field "colour" (expected name, description, timeout, bench, invariants, steps)',
  ]);
  assert.deepEqual(
    problems(
      `name: x\ninvariants:\n  - { name: p, kind: noPodRestart, selector: app=a, colour: red }\nsteps: [{ sleep: 1s }]\n`,
    ),
    [
      'scenarios/x.yaml:3: invariants[0].colour: unknown field "colour" (expected name, kind, selector, namespace, settle)',
    ],
  );
});

test('a bad duration says what a duration looks like', () => {
  assert.deepEqual(
    problems(
      `name: x\nsteps:\n  - sleep: 1s\n  - sleep: 1s\n  - sleep: 1s\n  - wait: { for: pods, condition: Ready, timeout: soon }\n`,
    ),
    ['scenarios/x.yaml:6: steps[3].wait.timeout: must be a duration like 30s, 500ms or 1m30s'],
  );
  assert.deepEqual(
    problems(
      `name: x\ninvariants:\n  - { name: r, kind: nodeReadiness, node: edge-1, readyWithin: 10 }\nsteps: [{ sleep: 1s }]\n`,
    ),
    ['scenarios/x.yaml:3: invariants[0].readyWithin: must be a duration like 30s, 500ms or 1m30s'],
  );
});

test('a missing required field is named, at its parent', () => {
  assert.deepEqual(problems(`name: x\nsteps:\n  - wait:\n      condition: Ready\n`), [
    'scenarios/x.yaml:4: steps[0].wait.for: is required',
  ]);
  assert.deepEqual(problems(`description: no name\nsteps: [{ sleep: 1s }]\n`), [
    'scenarios/x.yaml:1: name: is required',
  ]);
  assert.deepEqual(problems(`name: x\nsteps:\n  - apply: {}\n`), [
    'scenarios/x.yaml:3: steps[0].apply: needs exactly one of file, manifest, manifests',
  ]);
});

test('every problem is reported, in line order, with enum choices and one-of choices', () => {
  const text = `name: Bad_Name
steps:
  - fault: { partition: { nodes: [edge-1], mode: sideways } }
  - apply: { file: a.yaml, manifest: { kind: Pod } }
  - heal: everything
  - {}
`;
  assert.deepEqual(problems(text), [
    "scenarios/x.yaml:1: name: must be a name of lower-case letters, digits and '-' (at most 63), like offline-autonomy",
    'scenarios/x.yaml:3: steps[0].fault.partition.mode: must be one of "clean-close", "blackhole", "half-open"',
    'scenarios/x.yaml:4: steps[1].apply: has more than one of file, manifest, manifests; give exactly one',
    'scenarios/x.yaml:5: steps[2].heal: must be "all" or a mapping with nodes, components and/or devices',
    'scenarios/x.yaml:6: steps[3]: a step needs one of apply, delete, wait, sleep, run, assert, fault, heal, signal, measure, parallel, repeat',
  ]);
});

test('rules beyond the schema: nodes, variables, ids, one kind per step, timers', () => {
  const text = `name: x
bench: { nodes: 2, nodeGracePeriod: 5s, statusFrequency: 5s }
invariants:
  - { name: r, kind: nodeReadiness, node: edge-3, readyWithin: 10s }
  - { name: r, kind: nodeReadiness, node: edge-1, readyWithin: 10s }
steps:
  - run: { command: "echo \${KUBECONFIG} \${NOPE} \${NODE_KUBECONFIG:edge-9} $\${HOME}" }
  - { sleep: 1s, run: { command: "true" } }
  - fault: { kill: edgecore }
  - fault: { kill: cloudcore, node: edge-1 }
  - measure: { name: m, from: nowhere.start, to: nowhere.end }
  - assert: { api: { get: pod/x, jsonpath: "{.a}" } }
`;
  assert.deepEqual(problems(text), [
    'scenarios/x.yaml:2: bench.statusFrequency: must be shorter than nodeGracePeriod (5s), or every node turns NotReady between updates',
    'scenarios/x.yaml:4: invariants[0].node: no node "edge-3" in the bench (edge-1, edge-2; set bench.nodes)',
    'scenarios/x.yaml:5: invariants[1].name: another invariant is named "r"',
    'scenarios/x.yaml:7: steps[0].run.command: unknown variable ${NOPE} (known: KUBECONFIG, DATA_DIR, SCENARIO_DIR, TOKEN, APISERVER, RUN_ID, NODE_KUBECONFIG:<node>, NODE_DATA_DIR:<node>, METASERVER:<node>, MQTT:<node>, DEVICE_PORT:<device>, SIM_CONTROL:<device>; write $${ for a literal ${)',
    'scenarios/x.yaml:7: steps[0].run.command: ${NODE_KUBECONFIG:edge-9}: no node "edge-9" in the bench (edge-1, edge-2)',
    'scenarios/x.yaml:8: steps[1]: a step has exactly one kind; this one has sleep and run',
    'scenarios/x.yaml:9: steps[2].fault.node: is required for edgecore',
    'scenarios/x.yaml:10: steps[3].fault.node: is for edgecore and mqtt-broker only, not cloudcore',
    'scenarios/x.yaml:11: steps[4].measure.from: no step has the id "nowhere"',
    'scenarios/x.yaml:11: steps[4].measure.to: no step has the id "nowhere"',
    'scenarios/x.yaml:12: steps[5].assert.api: needs exactly one of equals, matches, count',
  ]);
});

test('YAML that does not parse is reported at its line', () => {
  const p = problems('name: x\nsteps:\n  - sleep: [1s\n');
  assert.equal(p.length > 0, true);
  assert.match(p[0] ?? '', /^scenarios\/x\.yaml:\d+: not valid YAML: /);
  assert.match(
    problems('name: x\nname: y\nsteps: [{ sleep: 1s }]\n')[0] ?? '',
    /scenarios\/x\.yaml:2: not valid YAML: .*[Uu]nique|Map keys must be unique/,
  );
});

test('several files are all validated before anything starts, problems of each named by file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgeproof-load-'));
  try {
    writeFileSync(join(dir, 'a.yaml'), 'name: a\nsteps:\n  - sleep: 1 s\n');
    writeFileSync(join(dir, 'b.yaml'), 'name: b\nsteps:\n  - sleep: 1s\n');
    writeFileSync(join(dir, 'c.yaml'), 'name: c\nsteps:\n  - wait: { for: pods }\n');
    writeFileSync(join(dir, 'dup.yaml'), 'name: b\nsteps: [{ sleep: 1s }]\n');
    let caught: unknown;
    try {
      loadScenarios(['a.yaml', 'b.yaml', 'c.yaml', 'missing.yaml', 'dup.yaml'], dir);
    } catch (err) {
      caught = err;
    }
    assert.ok(caught instanceof ScenarioInvalidError);
    assert.equal(caught.code, 'EINVALID');
    const lines = caught.issues.map(formatIssue);
    assert.deepEqual(lines.slice(0, 2), [
      'a.yaml:3: steps[0].sleep: must be a duration like 30s, 500ms or 1m30s',
      'c.yaml:3: steps[0].wait: needs exactly one of condition, jsonpath, deleted',
    ]);
    assert.match(lines[2] ?? '', /^missing\.yaml: cannot read the file: ENOENT/);
    assert.equal(lines[3], 'dup.yaml:1: name: "b" is also the name of b.yaml; reports are named after it');
    assert.match(caught.message, /^4 problems in the scenarios:\n/);
    assert.equal(loadScenarios(['b.yaml'], dir)[0]?.spec.name, 'b');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('device steps, variables and invariants need the device in the bench', () => {
  const text = `name: x
bench: { nodes: 1, devices: [modbus] }
invariants:
  - { name: t, kind: twinConverges, device: thermometer, property: enable, within: 10s }
  - { name: u, kind: twinConverges, device: thermometer, property: enable }
steps:
  - signal: { device: opcua, point: temperature, model: { kind: constant, value: 1 } }
  - run: { command: "curl \${SIM_CONTROL:modbus} \${DEVICE_PORT:opcua} \${DEVICE_PORT}" }
  - fault: { partition-device: opcua }
  - heal: { devices: [modbus] }
`;
  assert.deepEqual(problems(text), ['scenarios/x.yaml:5: invariants[1].within: is required']);
  assert.deepEqual(problems(text.replace(/ {2}- \{ name: u.*\n/, '')), [
    'scenarios/x.yaml:6: steps[0].signal.device: the bench has no opcua device (bench.devices)',
    'scenarios/x.yaml:7: steps[1].run.command: ${DEVICE_PORT:opcua}: the bench has no "opcua" device (bench.devices)',
    'scenarios/x.yaml:7: steps[1].run.command: ${DEVICE_PORT}: DEVICE_PORT needs a device, e.g. ${DEVICE_PORT:modbus}',
    'scenarios/x.yaml:8: steps[2].fault.partition-device: the bench has no opcua device (bench.devices)',
  ]);
});

test('an mqtt assert needs a node of the bench, a topic and a valid pattern', () => {
  const bad = problems(`name: m
bench: { nodes: 1 }
steps:
  - assert: { mqtt: { node: edge-9, topic: a/b, matches: '(' } }
`);
  assert.ok(
    bad.some((p) => /x\.yaml:4: steps\[0\]\.assert\.mqtt\.node: no node "edge-9"/.test(p)),
    bad.join('\n'),
  );
  assert.ok(
    bad.some((p) => /x\.yaml:4: steps\[0\]\.assert\.mqtt\.matches/.test(p)),
    bad.join('\n'),
  );
  assert.deepEqual(
    problems(`name: m
steps:
  - assert: { mqtt: { node: edge-1 } }
`),
    ['scenarios/x.yaml:3: steps[0].assert.mqtt.topic: is required'],
  );
});

test("stopping a node's MQTT broker needs bench.mqtt: mosquitto and a node", () => {
  const embedded = problems(`name: m
steps:
  - fault: { stop: mqtt-broker, node: edge-1 }
`);
  assert.ok(
    embedded.some((p) => /x\.yaml:3: steps\[0\]\.fault: the embedded broker runs inside edgecore/.test(p)),
    embedded.join('\n'),
  );
  const noNode = problems(`name: m
bench: { mqtt: mosquitto }
steps:
  - fault: { stop: mqtt-broker }
`);
  assert.ok(
    noNode.some((p) => /steps\[0\]\.fault\.node: is required for mqtt-broker/.test(p)),
    noNode.join('\n'),
  );
  assert.deepEqual(
    problems(`name: m
bench: { mqtt: mosquitto }
steps:
  - fault: { stop: mqtt-broker, node: edge-1 }
`),
    [],
  );
});
