// Our edgehub against our cloudcore, both real: an edge node bootstraps its certificate with the
// join token, connects to cloudhub over mutual TLS, and messages flow both ways in KubeEdge's
// format. The two halves were built apart (edge may not import cloud), so this is where they meet.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { SystemClock, messageBuilder, silentLogger, type Message } from '@edgeproof/core';
import { ApiServer, CloudCore } from '@edgeproof/cloud';
import { kubeEdgeCrds } from '@edgeproof/crds';
import { EdgeHub, ensureNodeCertificate } from '@edgeproof/edge';

const clock = new SystemClock();
const logger = silentLogger();
let dir: string;
let apiserver: ApiServer;
let cloudcore: CloudCore;
const upstream: Message[] = [];
const sessions = new Map<string, { send: (m: Message) => Promise<void> }>();

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'edgeproof-channel-'));
  apiserver = new ApiServer({
    dataDir: join(dir, 'cloud'),
    port: 0,
    clock,
    logger,
    initialObjects: kubeEdgeCrds(),
  });
  await apiserver.start();
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(apiserver.kubeconfig());
  cloudcore = new CloudCore({
    kubeConfig,
    advertiseAddresses: ['127.0.0.1'],
    certPort: 0,
    hubPort: 0,
    host: '127.0.0.1',
    clock,
    logger,
    hubEvents: {
      onConnect: (session) => sessions.set(session.nodeId, session),
      onMessage: (_session, message) => upstream.push(message),
    },
  });
  await cloudcore.start();
});

after(async () => {
  await cloudcore.stop();
  await apiserver.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function eventually(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 25));
  assert.ok(check(), `timed out waiting for ${what}`);
}

test('an edge node joins with the token, connects, and messages flow both ways', async () => {
  const certDir = join(dir, 'edge-1');
  const credentials = await ensureNodeCertificate({
    dir: certDir,
    nodeName: 'edge-1',
    token: cloudcore.token(),
    certServer: `127.0.0.1:${cloudcore.certPort()}`,
    clock,
    logger,
  });
  assert.equal(credentials.source, 'bootstrapped');
  const downstream: Message[] = [];
  const connections: boolean[] = [];
  const hub = new EdgeHub({
    server: `127.0.0.1:${cloudcore.hubPort()}`,
    nodeName: 'edge-1',
    credentials,
    clock,
    logger,
    onMessage: (m) => downstream.push(m),
    onConnectionChange: (up) => connections.push(up),
  });
  hub.start();
  try {
    await eventually('the node session', () => cloudcore.connectedNodes().includes('edge-1'));
    const build = messageBuilder({ clock });
    const patch = build.newMessage({
      source: 'edged',
      group: 'meta',
      operation: 'patch',
      resource: 'default/nodepatch/edge-1',
      content: '{"status":{"conditions":[{"type":"Ready","status":"True"}]}}',
    });
    hub.send(patch);
    await eventually('the upstream message', () =>
      upstream.some((m) => m.header.msg_id === patch.header.msg_id),
    );
    const received = upstream.find((m) => m.header.msg_id === patch.header.msg_id);
    // cloudhub prefixes the resource with the node, as KubeEdge's dispatcher does (§1.3).
    assert.equal(received?.route.resource, 'node/edge-1/default/nodepatch/edge-1');

    const pod = build.newMessage({
      source: 'edgecontroller',
      group: 'resource',
      operation: 'insert',
      resource: 'default/pod/nginx',
      resourceVersion: '42',
      content: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'nginx', namespace: 'default', uid: 'u-1' },
      },
    });
    await sessions.get('edge-1')?.send(pod);
    await eventually('the downstream message', () =>
      downstream.some((m) => m.header.msg_id === pod.header.msg_id),
    );
    assert.equal(downstream.find((m) => m.header.msg_id === pod.header.msg_id)?.header.resourceversion, '42');
    assert.deepEqual(connections, [true]);
  } finally {
    await hub.stop();
  }

  // Started again, the node reuses its stored certificate: no second bootstrap, no token needed.
  const again = await ensureNodeCertificate({
    dir: certDir,
    nodeName: 'edge-1',
    certServer: `127.0.0.1:${cloudcore.certPort()}`,
    clock,
    logger,
  });
  assert.equal(again.source, 'reused');
});

test("a node presenting another node's certificate is refused by cloudhub", async () => {
  const credentials = await ensureNodeCertificate({
    dir: join(dir, 'edge-2'),
    nodeName: 'edge-2',
    token: cloudcore.token(),
    certServer: `127.0.0.1:${cloudcore.certPort()}`,
    clock,
    logger,
  });
  const connections: boolean[] = [];
  const impostor = new EdgeHub({
    server: `127.0.0.1:${cloudcore.hubPort()}`,
    nodeName: 'edge-3',
    credentials,
    clock,
    logger,
    onMessage: () => {},
    onConnectionChange: (up) => connections.push(up),
  });
  impostor.start();
  try {
    await new Promise((r) => setTimeout(r, 1000));
    assert.ok(!cloudcore.connectedNodes().includes('edge-3'));
    assert.deepEqual(connections, []);
  } finally {
    await impostor.stop();
  }
});
