// The `edgeproof` executable as a user runs it: a real process, real signals, real kubectl.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exitOf, freePort, kubectl, run, up } from './support/cli.ts';

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
  assert.match(top.stdout, /join /);
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
  const grace = await run([
    'up',
    '--node-monitor-grace-period',
    '5s',
    '--node-status-update-frequency',
    '10s',
  ]);
  assert.equal(grace.code, 2);
  assert.match(
    grace.stderr,
    /--node-status-update-frequency .* must be shorter than --node-monitor-grace-period/,
  );
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
      '--cloudhub-port',
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
    assert.match(
      busy.stderr,
      new RegExp(`the API server cannot listen on 127.0.0.1:${port}: the port is in use`),
    );

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
      '--mqtt-port',
      '0',
      '--devices',
      'none',
    ]);
    const kept = await kubectl(kubeconfig, ['get', 'configmap', 'kept', '-o', 'jsonpath={.data.a}']);
    assert.equal(kept.stdout, 'b');
    // The default two edge nodes run in the same process and are registered before "ready".
    assert.match(second.output(), /2 edge nodes registered: edge-1, edge-2/);
    const nodes = await kubectl(kubeconfig, ['get', 'nodes', '--no-headers']);
    assert.equal(nodes.code, 0, nodes.stderr);
    assert.match(nodes.stdout, /^edge-1\s+Ready\s+agent,edge\s/m);
    assert.match(nodes.stdout, /^edge-2\s+Ready\s+agent,edge\s/m);
    assert.ok(existsSync(join(dir, 'nodes', 'edge-1', 'certs', 'server.crt')));
    assert.ok(existsSync(join(dir, 'nodes', 'edge-2', 'edgecore.db')));
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
