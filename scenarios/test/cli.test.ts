// The `edgeproof` executable as a user runs it: a real process, real signals, real kubectl.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = resolve(dirname(fileURLToPath(import.meta.url)), '../bin/edgeproof.ts');

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/** Starts `edgeproof up`, resolves when it prints its ready line. */
function up(args: string[]): Promise<{ child: ReturnType<typeof spawn>; output: () => string }> {
  const child = spawn(process.execPath, [BIN, 'up', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolveUp, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line within 60 s:\n${out}`)), 60_000);
    child.stdout.on('data', () => {
      if (/ready/.test(out)) {
        clearTimeout(timer);
        resolveUp({ child, output: () => out });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`edgeproof up exited ${code} before ready:\n${out}`));
    });
  });
}

function exitOf(child: ReturnType<typeof spawn>): Promise<number | null> {
  return new Promise((r) => child.on('exit', (code) => r(code)));
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const address = server.address();
  await new Promise<void>((r) => server.close(() => r()));
  return typeof address === 'object' && address ? address.port : 0;
}

function kubectl(
  kubeconfig: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      'kubectl',
      ['--kubeconfig', kubeconfig, ...args],
      { timeout: 60_000, env: { ...process.env, HOME: dirname(kubeconfig) } },
      (err, stdout, stderr) => {
        done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

test('--help on every command, and the top-level usage', async () => {
  const top = await run(['--help']);
  assert.equal(top.code, 0);
  assert.match(top.stdout, /Usage: edgeproof <command>/);
  assert.match(top.stdout, /up /);
  const help = await run(['up', '--help']);
  assert.equal(help.code, 0);
  for (const flag of [
    '--data-dir DIR',
    '--nodes N',
    '--apiserver-port P',
    '--certport P',
    '--advertise-address A,B',
  ]) {
    assert.ok(help.stdout.includes(flag), flag);
  }
  const tokenHelp = await run(['token', '--help']);
  assert.equal(tokenHelp.code, 0);
  assert.match(tokenHelp.stdout, /Usage: edgeproof token \[--data-dir DIR\] \[--kubeconfig FILE\]/);
});

test('unknown commands, unknown flags and bad values are clear errors with exit code 2', async () => {
  const cmd = await run(['upp']);
  assert.equal(cmd.code, 2);
  assert.match(cmd.stderr, /unknown command "upp"/);
  const flag = await run(['up', '--node', '3']);
  assert.equal(flag.code, 2);
  assert.match(flag.stderr, /unknown flag --node/);
  const value = await run(['up', '--apiserver-port', 'http']);
  assert.equal(value.code, 2);
  assert.match(value.stderr, /--apiserver-port must be a whole number, not "http"/);
  const range = await run(['up', '--apiserver-port', '70000']);
  assert.equal(range.code, 2);
  assert.match(range.stderr, /between 0 and 65535/);
  const missing = await run(['up', '--data-dir']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--data-dir needs a value/);
});

test('up serves kubectl, stops cleanly on SIGINT, keeps state, and reports a busy port', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgeproof-cli-'));
  const port = await freePort();
  try {
    const first = await up([
      '--data-dir',
      dir,
      '--apiserver-port',
      String(port),
      '--certport',
      '0',
      '--nodes',
      '0',
    ]);
    const kubeconfig = join(dir, 'kubeconfig');
    assert.ok(existsSync(kubeconfig));
    assert.match(first.output(), /ready/);
    const created = await kubectl(kubeconfig, ['create', 'configmap', 'kept', '--from-literal=a=b']);
    assert.equal(created.code, 0, created.stderr);
    const devices = await kubectl(kubeconfig, ['get', 'crd', 'devices.devices.kubeedge.io', '-o', 'name']);
    assert.equal(
      devices.stdout.trim(),
      'customresourcedefinition.apiextensions.k8s.io/devices.devices.kubeedge.io',
    );

    const busy = await run([
      'up',
      '--data-dir',
      join(dir, 'other'),
      '--apiserver-port',
      String(port),
      '--certport',
      '0',
    ]);
    assert.equal(busy.code, 1);
    assert.match(busy.stderr, new RegExp(`port ${port} on 127.0.0.1 is already in use`));

    // cloudcore runs too: the join token is in DIR/token and `edgeproof token` prints the same.
    const token = readFileSync(join(dir, 'token'), 'utf8').trim();
    assert.match(token, /^[0-9a-f]{64}\.[\w-]+\.[\w-]+\.[\w-]+$/);
    const printed = await run(['token', '--data-dir', dir]);
    assert.equal(printed.code, 0, printed.stderr);
    assert.equal(printed.stdout.trim(), token);
    const secrets = await kubectl(kubeconfig, ['-n', 'kubeedge', 'get', 'secrets', '-o', 'name']);
    assert.deepEqual(secrets.stdout.trim().split('\n').sort(), [
      'secret/casecret',
      'secret/cloudcoresecret',
      'secret/tokensecret',
    ]);

    const exited = exitOf(first.child);
    first.child.kill('SIGINT');
    assert.equal(await exited, 0);
    assert.match(first.output(), /stopped/);

    const second = await up([
      '--data-dir',
      dir,
      '--apiserver-port',
      String(port),
      '--certport',
      '0',
      '--cloudhub-port',
      '0',
    ]);
    const kept = await kubectl(kubeconfig, ['get', 'configmap', 'kept', '-o', 'jsonpath={.data.a}']);
    assert.equal(kept.stdout, 'b');
    const exited2 = exitOf(second.child);
    second.child.kill('SIGTERM');
    assert.equal(await exited2, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('token without a cluster says how to start one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgeproof-token-'));
  try {
    const r = await run(['token', '--data-dir', dir]);
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      new RegExp(`no kubeconfig at ${dir}/kubeconfig: start 'edgeproof up --data-dir ${dir}' first`),
    );
    const bad = await run(['up', '--advertise-address', 'not an address']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--advertise-address: "not an address" is neither an IP address nor a DNS name/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
