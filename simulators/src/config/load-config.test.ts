import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from './config-error.ts';
import { loadSimulatorConfig } from './load-config.ts';
import { parseDuration } from '../duration.ts';

const ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const EXAMPLES = join(ROOT, 'simulators', 'examples');
const CRDS = join(ROOT, 'crds', 'examples');

function withFile(text: string, run: (file: string) => void, name = 'sim.yaml'): void {
  const dir = mkdtempSync(join(tmpdir(), 'edgeproof-sim-config-'));
  try {
    const file = join(dir, name);
    writeFileSync(file, text);
    run(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The issues of the ConfigError `fn` throws, as `line: field: message` strings. */
function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    assert.equal(err.code, 'EINVALID');
    return err.issues.map((i) => `${i.line ?? '-'}: ${i.field}: ${i.message}`);
  }
  assert.fail('no error thrown');
}

test('the example configs load, with durations in ms and the CSV read relative to the file', () => {
  const modbus = loadSimulatorConfig(join(EXAMPLES, 'modbus-sim.yaml'), { protocol: 'modbus' });
  assert.equal(modbus.protocol, 'modbus');
  assert.equal(modbus.points.length, 6);
  assert.deepEqual(modbus.points[0]?.signal, { kind: 'sine', offset: 60, amplitude: 5, period: 60_000 });
  const pressure = modbus.points[1]?.signal;
  assert.equal(pressure?.kind, 'replay');
  assert.equal(pressure?.kind === 'replay' ? pressure.samples.length : 0, 5);
  assert.deepEqual(modbus.points[3]?.signal, { kind: 'constant', value: 65 });
  const opcua = loadSimulatorConfig(join(EXAMPLES, 'opcua-sim.yaml'));
  assert.equal(opcua.protocol, 'opcua');
  assert.deepEqual(opcua.protocol === 'opcua' ? opcua.users : [], [
    { username: 'operator', password: 'operator-secret' },
  ]);
});

test('errors name the file, the line and the field, all of them in one pass', () => {
  const text = [
    'protocol: modbus', // 1
    'unitId: 300', // 2
    'points:', // 3
    '  - name: t', // 4
    '    register: HoldingRegistr', // 5
    '    address: 0', // 6
    '  - name: u', // 7
    '    register: InputRegister', // 8
    '    address: 1.5', // 9
    '    dataType: int8', // 10
    '    sacle: 2', // 11
    '    signal: { kind: sine, amplitude: 1, period: fast }', // 12
    '',
  ].join('\n');
  withFile(text, (file) => {
    const issues = issuesOf(() => loadSimulatorConfig(file));
    assert.deepEqual(issues, [
      '2: unitId: must be between 0 and 255, not 300',
      '5: points[0].register: must be one of CoilRegister, DiscreteInputRegister, InputRegister, HoldingRegister, not "HoldingRegistr"',
      '11: points[1].sacle: unknown field; expected one of name, register, address, dataType, scale, valueOffset, isSwap, isRegisterSwap, writable, signal, description',
      '9: points[1].address: must be a whole number, not 1.5',
      '10: points[1].dataType: must be one of boolean, int16, uint16, int32, uint32, float32, float64, not "int8"',
      '12: points[1].signal.period: must be a duration such as 10s, 500ms or a number of milliseconds, not "fast"',
    ]);
    assert.throws(
      () => loadSimulatorConfig(file),
      (err: Error) => err.message.startsWith(`${file}:2: unitId: must be between`),
    );
  });
});

test('overlapping points, duplicate names and a missing field point at their lines', () => {
  const text = [
    'protocol: modbus',
    'points:',
    '  - { name: a, register: HoldingRegister, address: 0, dataType: float32 }',
    '  - { name: b, register: HoldingRegister, address: 1 }',
    '  - { name: c, register: CoilRegister }',
    '  - { name: d, register: InputRegister, address: 5, writable: true }',
    '  - { name: a, register: CoilRegister, address: 9 }',
    '',
  ].join('\n');
  withFile(text, (file) => {
    assert.deepEqual(
      issuesOf(() => loadSimulatorConfig(file)),
      [
        '4: points[1].address: overlaps point a at HoldingRegister address 1',
        '5: points[2].address: must be a number, not missing',
        '6: points[3].writable: an InputRegister cannot be written over Modbus',
        '7: points[4].name: a is already the name of points[0]',
      ],
    );
  });
});

test('YAML syntax errors, a wrong protocol and a mismatch with the command are errors with lines', () => {
  withFile('protocol: modbus\npoints: [\n', (file) => {
    const [issue] = issuesOf(() => loadSimulatorConfig(file));
    assert.match(issue ?? '', /^\d+: : not valid YAML/);
  });
  withFile('protocol: opcua\npoints:\n  - { name: a, nodeId: "ns=1;s=A", dataType: Double }\n', (file) => {
    assert.deepEqual(
      issuesOf(() => loadSimulatorConfig(file, { protocol: 'modbus' })),
      ['1: protocol: this file configures an opcua simulator, but modbus was asked for'],
    );
  });
  withFile('points:\n  - { name: a, nodeId: "ns=2;s=A", dataType: Real }\n', (file) => {
    assert.deepEqual(
      issuesOf(() => loadSimulatorConfig(file, { protocol: 'opcua' })),
      [
        '2: points[0].dataType: must be one of Double, Float, Int16, UInt16, Int32, UInt32, Boolean, String, not "Real"',
        `2: points[0].nodeId: "ns=2;s=A" is not a NodeId of the simulator's namespace: write ns=1;s=Name or ns=1;i=123`,
      ],
    );
  });
});

test('a replay CSV with a bad row is reported at its own file and line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgeproof-sim-config-'));
  try {
    writeFileSync(join(dir, 'trace.csv'), 'time,value\n0,1\n1,oops\n');
    const file = join(dir, 'sim.yaml');
    writeFileSync(
      file,
      'protocol: modbus\npoints:\n  - name: p\n    register: InputRegister\n    address: 0\n    signal: { kind: replay, file: trace.csv }\n',
    );
    try {
      loadSimulatorConfig(file);
      assert.fail('no error');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, new RegExp(`${join(dir, 'trace.csv')}:3: value "oops" is not a number`));
      assert.match(err.message, /sim\.yaml:6: points\[0\]\.signal\.file: the CSV file .* is not usable/);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a DeviceModel and a Device, in two files or in one, give the points of the visitors', () => {
  const model = join(CRDS, 'modbus-device-model.yaml');
  const device = join(CRDS, 'modbus-device.yaml');
  const config = loadSimulatorConfig([model, device], { protocol: 'modbus' });
  assert.equal(config.protocol, 'modbus');
  assert.equal(config.name, 'modbus-thermometer-01');
  assert.deepEqual(config.protocol === 'modbus' ? [config.unitId, config.transport, config.port] : [], [
    1,
    'tcp',
    5020,
  ]);
  withFile(
    [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata: { name: skipped }',
      '---',
      readFileText(model),
      '---',
      readFileText(device),
    ].join('\n'),
    (file) => {
      const one = loadSimulatorConfig(file);
      assert.deepEqual(one, config);
    },
  );
  const opcua = loadSimulatorConfig([join(CRDS, 'opcua-device-model.yaml'), join(CRDS, 'opcua-device.yaml')]);
  assert.equal(opcua.protocol, 'opcua');
  assert.deepEqual(
    opcua.points.map((p) => p.name),
    ['temperature', 'setpoint', 'running'],
  );
});

test('Device problems point at the Device file and line; a missing model is named', () => {
  const model = readFileText(join(CRDS, 'modbus-device-model.yaml'));
  const device = readFileText(join(CRDS, 'modbus-device.yaml'))
    .replace('register: HoldingRegister # CoilRegister', 'register: HoldingRegistr # CoilRegister')
    .replace('dataType: int\n', 'dataType: string\n');
  withFile(`${model}\n---\n${device}`, (file) => {
    const issues = issuesOf(() => loadSimulatorConfig(file, { protocol: 'modbus' }));
    assert.equal(issues.length, 2);
    assert.match(
      issues[0] ?? '',
      /^\d+: spec\.properties\[0\]\.visitors\.configData\.register: must be one of CoilRegister/,
    );
    assert.match(
      issues[1] ?? '',
      /^\d+: spec\.properties\[1\]\.visitors\.configData\.dataType: a CoilRegister holds one bit: use int or boolean, not string/,
    );
    const line = Number((issues[0] ?? '').split(':')[0]);
    assert.match(`${model}\n---\n${device}`.split('\n')[line - 1] ?? '', /register: HoldingRegistr/);
  });
  assert.throws(
    () => loadSimulatorConfig(join(CRDS, 'modbus-device.yaml')),
    /modbus-device\.yaml:\d+: spec\.deviceModelRef\.name: DeviceModel default\/modbus-thermometer is not in .*: give its file too/,
  );
  assert.throws(
    () =>
      loadSimulatorConfig([join(CRDS, 'opcua-device-model.yaml'), join(CRDS, 'opcua-device.yaml')], {
        protocol: 'modbus',
      }),
    /no modbus Device \(spec\.protocol\.protocolName\); found opcua-boiler-01 \(opcua\)/,
  );
});

test('durations: milliseconds or Go notation', () => {
  assert.equal(parseDuration(250), 250);
  assert.equal(parseDuration('1m30s'), 90_000);
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('1.5s'), 1500);
  assert.equal(parseDuration('-1s'), undefined);
  assert.equal(parseDuration('soon'), undefined);
});

import { readFileSync } from 'node:fs';
function readFileText(path: string): string {
  return readFileSync(path, 'utf8');
}
