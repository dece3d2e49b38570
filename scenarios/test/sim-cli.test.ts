// `edgeproof sim` as a user runs it: a real process serving a real port, driven through its control
// API by this (other) process, read by mbpoll, stopped by a signal; bad configs exit 2 naming the
// file, the line and the field.
// The processes are `node scenarios/bin/edgeproof.ts sim …`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '@edgeproof/simulators';
import { parseFlags } from '../src/cli/args.ts';
import { runSim, simCommand } from '../src/cli/sim.ts';
import { BIN, runProgram, type RunResult } from './support/cli.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const MODBUS_EXAMPLE = join(ROOT, 'simulators/examples/modbus-sim.yaml');
const CRDS = join(ROOT, 'crds/examples');
/** `edgeproof sim ARGS` as a process (ARGS starting with the protocol word). */
function simProcessArgs(args: string[]): string[] {
  return [BIN, 'sim', ...args];
}

function runToEnd(args: string[]): Promise<RunResult> {
  return runProgram(process.execPath, simProcessArgs(args), { cwd: ROOT, timeout: 30_000 });
}

type Running = { child: ChildProcess; output: () => string; ready: string };

function start(args: string[]): Promise<Running> {
  const child = spawn(process.execPath, simProcessArgs(args), {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line within 30 s:\n${out}`)), 30_000);
    child.stdout.on('data', () => {
      const line = /^edgeproof sim: \w+ ready on .*$/m.exec(out);
      if (line) {
        clearTimeout(timer);
        resolveStart({ child, output: () => out, ready: line[0] });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`edgeproof sim exited ${code} before ready:\n${out}`));
    });
  });
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((r) => {
    if (child.exitCode !== null || child.signalCode !== null) r(child.exitCode);
    else child.on('exit', (code) => r(code));
  });
}

function mbpoll(port: number, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      '/usr/bin/mbpoll',
      ['-m', 'tcp', '-1', ...args, '-p', String(port), '127.0.0.1'],
      { timeout: 10_000 },
      (err, stdout, stderr) =>
        done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

test('the protocol is the positional word; bad flags and values are clear errors', async () => {
  assert.equal(parseFlags(simCommand, ['modbus', '--config', 'a.yaml']).values.protocol, 'modbus');
  assert.throws(() => parseFlags(simCommand, ['modbus', 'extra']), /unexpected argument "extra"/);
  const parse = (argv: string[]) => parseFlags(simCommand, argv).values;
  await assert.rejects(
    runSim(parse(['--config', MODBUS_EXAMPLE]), () => {}),
    /say which device to simulate: edgeproof sim modbus/,
  );
  await assert.rejects(
    runSim(parse(['bacnet', '--config', MODBUS_EXAMPLE]), () => {}),
    /unknown protocol "bacnet": use modbus or opcua/,
  );
  await assert.rejects(
    runSim(parse(['modbus']), () => {}),
    /--config FILE is required/,
  );
  await assert.rejects(
    runSim(parse(['modbus', '--config', MODBUS_EXAMPLE, '--port', 'x']), () => {}),
    /--port must be a whole number/,
  );
  assert.throws(() => parse(['modbus', '--conifg', 'a']), /unknown flag --conifg/);
});

test('a bad config is a ConfigError with file:line: field, and the process exits 2 with it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgeproof-sim-cli-'));
  try {
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      'protocol: modbus\npoints:\n  - name: t\n    register: HoldingRegister\n    address: -1\n',
    );
    const values = parseFlags(simCommand, ['modbus', '--config', file]).values;
    await assert.rejects(
      runSim(values, () => {}),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.equal(err.message, `${file}:5: points[0].address: must be between 0 and 65535, not -1`);
        return true;
      },
    );
    const r = await runToEnd(['modbus', '--config', file]);
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      new RegExp(
        `edgeproof sim: ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:5: points\\[0\\]\\.address: must be between 0 and 65535`,
      ),
    );
    const missing = await runToEnd(['modbus', '--config', join(dir, 'nope.yaml')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nope\.yaml: cannot read the file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sim modbus serves the example on a free port, obeys its control API, and stops on SIGINT', async () => {
  const run = await start(['modbus', '--config', MODBUS_EXAMPLE, '--port', '0', '--control-port', '0']);
  try {
    const m = /ready on 127\.0\.0\.1:(\d+) \(unit 1, tcp; control (http:\/\/127\.0\.0\.1:\d+)\)/.exec(
      run.ready,
    );
    assert.ok(m, run.ready);
    const [port, control] = [Number(m[1]), m[2] ?? ''];
    // One line per point before the ready line.
    for (const name of ['temperature', 'pressure', 'flow', 'setpoint', 'burner', 'door-open']) {
      assert.match(run.output(), new RegExp(`^edgeproof sim: point ${name}: `, 'm'));
    }
    const setpoint = await mbpoll(port, ['-a', '1', '-r', '11', '-c', '1', '-t', '4:float', '-B']);
    assert.match(setpoint.stdout, /\[11\]:\s+65/);
    const fault = await fetch(`${control}/faults`, {
      method: 'PUT',
      body: JSON.stringify({ mode: 'exception', code: 4 }),
    });
    assert.equal(fault.status, 200);
    const failed = await mbpoll(port, ['-a', '1', '-r', '11', '-c', '1', '-t', '4']);
    assert.match(failed.stderr, /Slave device or server failure/);
    const state = (await (await fetch(`${control}/state`)).json()) as {
      fault: { mode: string };
      stats: { requests: number };
    };
    assert.equal(state.fault.mode, 'exception');
    assert.ok(state.stats.requests >= 2);
  } finally {
    run.child.kill('SIGINT');
  }
  assert.equal(await exitOf(run.child), 0);
  assert.match(run.output(), /SIGINT received, shutting down[\s\S]*edgeproof: stopped/);
});

test('sim opcua from a DeviceModel + Device pair, no control API, stops on SIGTERM', async () => {
  const config = `${join(CRDS, 'opcua-device-model.yaml')},${join(CRDS, 'opcua-device.yaml')}`;
  const run = await start(['opcua', '--config', config, '--port', '0', '--control-port', 'off']);
  try {
    assert.match(
      run.ready,
      /^edgeproof sim: opcua ready on opc\.tcp:\/\/127\.0\.0\.1:\d+ \(security None; started in \d+ ms; no control API\)$/,
    );
    assert.match(run.output(), /point setpoint: ns=1;s=Boiler\.Setpoint Double \(writable\), constant 65/);
  } finally {
    run.child.kill('SIGTERM');
  }
  assert.equal(await exitOf(run.child), 0);
});

test('bin/edgeproof.ts sim modbus … serves the Device example, read by mbpoll', async () => {
  const config = `${join(CRDS, 'modbus-device-model.yaml')},${join(CRDS, 'modbus-device.yaml')}`;
  const run = await start(['modbus', '--config', config, '--port', '0']);
  try {
    const m = /ready on 127\.0\.0\.1:(\d+)/.exec(run.ready);
    const read = await mbpoll(Number(m?.[1]), ['-a', '1', '-r', '1', '-c', '1', '-t', '0']);
    assert.match(read.stdout, /\[1\]:\s+1/, 'temperature-enable holds its desired value 1');
  } finally {
    run.child.kill('SIGINT');
  }
  assert.equal(await exitOf(run.child), 0);
});

test('edgeproof sim --help shows the usage', async () => {
  const help = await new Promise<string>((done) =>
    execFile(process.execPath, simProcessArgs(['--help']), (_e, out) => done(out)),
  );
  assert.match(help, /Usage: edgeproof sim modbus\|opcua --config FILE/);
  assert.match(help, /--control-port P/);
});
