// An edge node's life as a user sees it, with real processes and real kubectl: `edgeproof up
// --nodes 0`, then `edgeproof join` with the printed token; the node is Ready with the edge labels;
// kill -9 of edgecore turns it NotReady within the grace period; a restart without the token
// brings it back Ready on the same certificate, with no second bootstrap. Timers are shortened
// (grace 3 s, status every 500 ms) so this runs in seconds.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, exitOf, kubectl, kubectlOk, run, start, up, type Running } from './support/cli.ts';

const GRACE_S = 3;
let dir: string;
let cloud: Running;
let kubeconfig: string;
let hubPort: string;
let certPort: string;
const edges: Running[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'edgeproof-join-'));
  cloud = await up([
    '--data-dir',
    join(dir, 'cloud'),
    '--nodes',
    '0',
    '--apiserver-port',
    '0',
    '--cloudhub-port',
    '0',
    '--certport',
    '0',
    '--node-monitor-grace-period',
    `${GRACE_S}s`,
  ]);
  kubeconfig = join(dir, 'cloud', 'kubeconfig');
  const ports = /edge nodes connect to port (\d+), certificates on port (\d+)/.exec(cloud.output());
  assert.ok(ports, `up printed its ports:\n${cloud.output()}`);
  [, hubPort = '', certPort = ''] = ports;
});

after(async () => {
  for (const e of edges) e.child.kill('SIGKILL');
  const exited = exitOf(cloud.child);
  cloud.child.kill('SIGINT');
  await exited;
  rmSync(dir, { recursive: true, force: true });
});

function joinArgs(name: string, extra: string[]): string[] {
  return [
    'join',
    '--cloudcore-ipport',
    `127.0.0.1:${hubPort}`,
    '--certport',
    certPort,
    '--edgenode-name',
    name,
    '--data-dir',
    join(dir, name),
    '--node-status-update-frequency',
    '500ms',
    '--metaserver-port',
    '0',
    '--mqtt-port',
    '0',
    ...extra,
  ];
}

async function joinNode(name: string, extra: string[]): Promise<Running> {
  const edge = await start(joinArgs(name, extra));
  edges.push(edge);
  return edge;
}

async function readyStatus(name: string): Promise<string> {
  return kubectlOk(kubeconfig, [
    'get',
    'node',
    name,
    '-o',
    'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
  ]);
}

test('join with the token, NotReady after kill -9, Ready again after a restart without the token', async () => {
  const token = readFileSync(join(dir, 'cloud', 'token'), 'utf8').trim();
  const first = await joinNode('board-1', ['--token', token, '--labels', 'site=lab']);
  assert.match(first.output(), /ready: node board-1 is registered/);
  assert.match(first.output(), /source=bootstrapped/);

  const table = await kubectlOk(kubeconfig, ['get', 'nodes']);
  assert.match(table, /^board-1\s+Ready\s+agent,edge\s/m);
  const labels = JSON.parse(
    await kubectlOk(kubeconfig, ['get', 'node', 'board-1', '-o', 'jsonpath={.metadata.labels}']),
  ) as Record<string, string>;
  assert.equal(labels['node-role.kubernetes.io/edge'], '');
  assert.equal(labels['node-role.kubernetes.io/agent'], '');
  assert.equal(labels['site'], 'lab');
  // On the edge, kubectl reads what the node holds from MetaServer through the kubeconfig join wrote.
  const edgeKubeconfig = join(dir, 'board-1', 'kubeconfig');
  const onEdge = await kubectl(edgeKubeconfig, ['get', 'pods', '-A']);
  assert.equal(onEdge.code, 0, onEdge.stderr);
  assert.match(onEdge.stderr, /No resources found/);
  const certFile = join(dir, 'board-1', 'certs', 'server.crt');
  const cert = readFileSync(certFile, 'utf8');

  // kill -9: no goodbye reaches the cloud. The lease stops; after the grace period the node
  // lifecycle sets Ready=Unknown, which kubectl shows as NotReady.
  const killed = exitOf(first.child);
  first.child.kill('SIGKILL');
  await killed;
  const killedAt = Date.now();
  await eventually('board-1 NotReady', async () => (await readyStatus('board-1')) === 'Unknown', 20_000);
  assert.ok(
    Date.now() - killedAt >= (GRACE_S - 1) * 1000,
    'not marked before the grace period could have passed',
  );
  assert.match(await kubectlOk(kubeconfig, ['get', 'nodes']), /^board-1\s+NotReady\s/m);
  const reason = await kubectlOk(kubeconfig, [
    'get',
    'node',
    'board-1',
    '-o',
    'jsonpath={.status.conditions[?(@.type=="Ready")].reason}',
  ]);
  assert.equal(reason, 'NodeStatusUnknown');

  // Restart with no token: the stored certificate is reused, and the node is Ready again.
  const second = await joinNode('board-1', []);
  assert.match(second.output(), /source=reused/);
  assert.doesNotMatch(second.output(), /requesting a node certificate/);
  await eventually('board-1 Ready again', async () => (await readyStatus('board-1')) === 'True');
  assert.equal(readFileSync(certFile, 'utf8'), cert, 'the same certificate');

  // Ctrl-C stops edgecore cleanly.
  const stopped = exitOf(second.child);
  second.child.kill('SIGINT');
  assert.equal(await stopped, 0);
  assert.match(second.output(), /edgeproof: stopped/);
  assert.doesNotMatch(second.output(), /lost the link/);
});

test('a taken node name, a bad token and a missing token are refused with what to do', async () => {
  const token = readFileSync(join(dir, 'cloud', 'token'), 'utf8').trim();
  await joinNode('board-2', ['--token', token]);

  const taken = await run(joinArgs('board-2', ['--token', token, '--data-dir', join(dir, 'other')]));
  assert.equal(taken.code, 1);
  assert.match(
    taken.stderr,
    /a node named "board-2" is already in the cluster: choose another --edgenode-name/,
  );

  // One signature character changed (not the last, whose low bits are padding in base64url).
  const at = token.length - 5;
  const forgedToken = token.slice(0, at) + (token[at] === 'A' ? 'B' : 'A') + token.slice(at + 1);
  const forged = await run(joinArgs('board-3', ['--token', forgedToken]));
  assert.equal(forged.code, 1);
  assert.match(forged.stderr, /the cloud refused the token/);

  const malformed = await run(joinArgs('board-3', ['--token', 'abc']));
  assert.equal(malformed.code, 1);
  assert.match(malformed.stderr, /the token is not a KubeEdge join token/);

  const none = await run(joinArgs('board-3', []));
  assert.equal(none.code, 1);
  assert.match(none.stderr, /no usable node certificate .* and no token to get one/);
  const listed = await kubectl(kubeconfig, ['get', 'node', 'board-3']);
  assert.notEqual(listed.code, 0, 'no node was registered by a refused join');
});

test('join flags: required address, node name rules, durations and labels', async () => {
  const noAddress = await run(['join', '--token', 'x']);
  assert.equal(noAddress.code, 2);
  assert.match(noAddress.stderr, /--cloudcore-ipport is required/);
  const badName = await run(['join', '--cloudcore-ipport', '127.0.0.1:10000', '--edgenode-name', 'Bad_Name']);
  assert.equal(badName.code, 2);
  assert.match(badName.stderr, /--edgenode-name "Bad_Name" is not a valid node name/);
  const badAddress = await run(['join', '--cloudcore-ipport', 'a:b:c']);
  assert.equal(badAddress.code, 2);
  assert.match(badAddress.stderr, /--cloudcore-ipport: "a:b:c" is not a host:port address/);
  const badDuration = await run([
    'join',
    '--cloudcore-ipport',
    '127.0.0.1',
    '--node-status-update-frequency',
    'soon',
  ]);
  assert.equal(badDuration.code, 2);
  assert.match(badDuration.stderr, /--node-status-update-frequency must be a duration such as 40s/);
  const badLabel = await run(['join', '--cloudcore-ipport', '127.0.0.1', '--labels', 'a=b,=c']);
  assert.equal(badLabel.code, 2);
  assert.match(badLabel.stderr, /--labels: "=c" is not a valid label/);
  const help = await run(['join', '--help']);
  assert.equal(help.code, 0);
  for (const flag of [
    '--cloudcore-ipport HOST:PORT',
    '--token TOKEN',
    '--edgenode-name NAME',
    '--certport P',
    '--data-dir DIR',
  ]) {
    assert.ok(help.stdout.includes(flag), flag);
  }
});
