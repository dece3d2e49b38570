/**
 * EdgeCore against a fake cloudhub (TLS WebSocket requiring the node's client certificate, §2.2)
 * and the fake certificate server (§2.4): registration, status and lease, downstream storage and
 * ACK (§3.2, §4.3, §5.1, §6), restart without a second bootstrap, and a clean stop.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import Database from 'better-sqlite3';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  FakeClock,
  createLogger,
  decodeMessage,
  encodeMessage,
  messageBuilder,
  type Message,
} from '@edgeproof/core';
import { EdgeCore, type EdgeCoreOptions } from '../src/edgecore/edgecore.ts';
import { createTestCa, issueTestCert, startFakeCertServer, type TestCa } from './edgehub-fixtures.ts';

/** A minimal cloudhub: records every frame and can send frames down the latest connection. */
class FakeCloudHub {
  readonly received: Message[] = [];
  onFrame: ((m: Message) => void) | undefined;
  port = 0;
  private readonly sockets: WebSocket[] = [];
  private server: Server | undefined;
  private readonly wss = new WebSocketServer({ noServer: true });

  async listen(ca: TestCa): Promise<void> {
    const serving = await issueTestCert(ca, {
      commonName: 'KubeEdge',
      usage: 'server',
      hosts: ['127.0.0.1'],
    });
    const server = createServer({
      cert: serving.certPem,
      key: serving.keyPem,
      ca: [ca.certPem],
      requestCert: true,
      rejectUnauthorized: true,
    });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        this.sockets.push(ws);
        ws.on('message', (data: Buffer) => {
          const m = decodeMessage(data);
          this.received.push(m);
          this.onFrame?.(m);
        });
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  send(m: Message): void {
    const ws = this.sockets.at(-1);
    assert.ok(ws, 'no connection');
    ws.send(encodeMessage(m));
  }

  /** Edge requests and ACKs, without keepalives. */
  payloads(): Message[] {
    return this.received.filter((m) => m.route.operation !== 'keepalive');
  }

  /** WebSocket connections accepted so far. */
  connections(): number {
    return this.sockets.length;
  }

  find(operation: string, resource: string): Message[] {
    return this.payloads().filter((m) => m.route.operation === operation && m.route.resource === resource);
  }

  async close(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    const server = this.server;
    if (server === undefined) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}

async function waitFor(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function setup(t: { after: (fn: () => Promise<void>) => void }, certValidityMs?: number) {
  const ca = await createTestCa();
  const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjF9.c2ln';
  const token = `${createHash('sha256').update(ca.certDer).digest('hex')}.${jwt}`;
  const certServer = await startFakeCertServer({
    ca,
    jwt,
    ...(certValidityMs !== undefined ? { validityMs: certValidityMs } : {}),
  });
  const cloud = new FakeCloudHub();
  await cloud.listen(ca);
  const dataDir = mkdtempSync(join(tmpdir(), 'edgecore-'));
  const logs: string[] = [];
  const clock = new FakeClock(Date.now());
  const cores: EdgeCore[] = [];
  const make = (extra: Partial<EdgeCoreOptions> = {}): EdgeCore => {
    const core = new EdgeCore({
      dataDir,
      nodeName: 'edge-1',
      cloudHub: `127.0.0.1:${cloud.port}`,
      certServer: `127.0.0.1:${certServer.port}`,
      token,
      clock,
      logger: createLogger('test', { level: 'debug', write: (l) => logs.push(l) }),
      statusIntervalMs: 1000,
      statusReportIntervalMs: 1000,
      labels: { zone: 'lab' },
      nodeIP: '10.0.0.7',
      edgeHub: { backoff: { baseMs: 20, capMs: 100, floorMs: 5 } },
      metaServer: { port: 0 },
      devices: { broker: { mode: 'internal', port: 0 } },
      ...extra,
    });
    cores.push(core);
    return core;
  };
  t.after(async () => {
    for (const c of cores) await c.stop();
    await cloud.close();
    await certServer.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const cloudBuilder = messageBuilder({ clock });
  return { ca, certServer, cloud, dataDir, logs, clock, make, cloudBuilder };
}

test('registers the node, reports status and lease, stores and ACKs downstream, restarts without bootstrap', async (t) => {
  const { certServer, cloud, dataDir, clock, make, cloudBuilder } = await setup(t);
  // The fake cloud answers register and lease as edgecontroller does (§4.2: ObjectResp).
  cloud.onFrame = (m) => {
    if (m.route.group !== 'meta') return;
    const obj = m.route.resource?.includes('/node/')
      ? { metadata: { name: 'edge-1', uid: 'node-uid-1' } }
      : {};
    cloud.send(cloudBuilder.newResponse(m, { Object: obj, Err: null }));
  };

  const core = make();
  assert.equal(certServer.requests.length, 0, 'the constructor does no I/O');
  await core.start();
  assert.deepEqual(
    certServer.requests.map((r) => r.path),
    ['/ca.crt', '/node/edge-1', '/edge.crt'],
    'first start bootstraps',
  );
  await waitFor('connection', () => core.connected());
  assert.equal(core.nodeName, 'edge-1');

  // 1. Node registration.
  await waitFor('node insert', () => cloud.find('insert', 'default/node/edge-1').length === 1);
  const reg = cloud.find('insert', 'default/node/edge-1')[0]!;
  assert.deepEqual(reg.route, {
    source: 'edged',
    group: 'meta',
    operation: 'insert',
    resource: 'default/node/edge-1',
  });
  const node = reg.content as {
    apiVersion: string;
    kind: string;
    metadata: { name: string; labels: Record<string, string> };
    status: {
      conditions: { type: string; status: string; reason: string }[];
      addresses: { type: string; address: string }[];
      nodeInfo: Record<string, string>;
      capacity: Record<string, string>;
      allocatable: Record<string, string>;
    };
  };
  assert.equal(node.apiVersion, 'v1');
  assert.equal(node.kind, 'Node');
  assert.equal(node.metadata.name, 'edge-1');
  const labels = node.metadata.labels;
  assert.equal(labels['node-role.kubernetes.io/edge'], '');
  assert.equal(labels['node-role.kubernetes.io/agent'], '');
  assert.equal(labels['kubernetes.io/hostname'], 'edge-1');
  assert.equal(labels['zone'], 'lab');
  assert.ok(labels['kubernetes.io/os'] && labels['kubernetes.io/arch']);
  assert.deepEqual(
    node.status.conditions.map((c) => [c.type, c.status, c.reason]),
    [['Ready', 'True', 'EdgeReady']],
  );
  assert.deepEqual(node.status.addresses, [
    { type: 'InternalIP', address: '10.0.0.7' },
    { type: 'Hostname', address: 'edge-1' },
  ]);
  assert.equal(node.status.nodeInfo['kubeletVersion'], 'v1.32.4-kubeedge-edgeproof');
  assert.equal(node.status.nodeInfo['containerRuntimeVersion'], 'edgeproof://0.1.0');
  assert.match(node.status.capacity['cpu'] ?? '', /^\d+$/);
  assert.match(node.status.capacity['memory'] ?? '', /^\d+Ki$/);
  assert.equal(node.status.allocatable['pods'], '110');

  // 2. Lease at connect (insert), then nodepatch + lease update every interval.
  await waitFor('lease insert', () => cloud.find('insert', 'kube-node-lease/lease/edge-1').length === 1);
  await waitFor('replies', () => core.pendingRequests() === 0);
  clock.advance(1000);
  await waitFor('nodepatch', () => cloud.find('patch', 'default/nodepatch/edge-1').length === 1);
  await waitFor('lease update', () => cloud.find('update', 'kube-node-lease/lease/edge-1').length === 1);
  const patch = cloud.find('patch', 'default/nodepatch/edge-1')[0]!;
  assert.equal(patch.route.source, 'edged');
  assert.equal(patch.route.group, 'meta');
  assert.equal(typeof patch.content, 'string', 'the patch body travels as a JSON string (§4.3)');
  const body = JSON.parse(patch.content as string) as {
    status: { conditions: { type: string; status: string; lastHeartbeatTime: string }[] };
  };
  assert.equal(body.status.conditions[0]?.type, 'Ready');
  assert.equal(body.status.conditions[0]?.status, 'True');
  assert.equal(
    body.status.conditions[0]?.lastHeartbeatTime,
    new Date(Math.floor(clock.now() / 1000) * 1000).toISOString().replace('.000Z', 'Z'),
  );
  const lease = cloud.find('update', 'kube-node-lease/lease/edge-1')[0]!.content as {
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace: string; ownerReferences?: { uid: string }[] };
    spec: { holderIdentity: string; leaseDurationSeconds: number; renewTime: string };
  };
  assert.equal(lease.apiVersion, 'coordination.k8s.io/v1');
  assert.equal(lease.kind, 'Lease');
  assert.deepEqual([lease.metadata.name, lease.metadata.namespace], ['edge-1', 'kube-node-lease']);
  assert.equal(lease.metadata.ownerReferences?.[0]?.uid, 'node-uid-1', 'owned by the registered Node');
  assert.equal(lease.spec.holderIdentity, 'edge-1');
  assert.equal(lease.spec.leaseDurationSeconds, 40);
  assert.match(lease.spec.renewTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  clock.advance(1000);
  await waitFor('second nodepatch', () => cloud.find('patch', 'default/nodepatch/edge-1').length === 2);

  // 3. A downstream pod insert is stored (meta + meta_v2) and ACKed.
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'nginx', namespace: 'default', uid: 'pod-uid-1', resourceVersion: '48213' },
    spec: { nodeName: 'edge-1' },
  };
  const down = cloudBuilder.newMessage({
    source: 'edgecontroller',
    group: 'resource',
    operation: 'insert',
    resource: 'default/pod/nginx',
    content: pod,
    resourceVersion: '48213',
  });
  cloud.send(down);
  await waitFor('ACK', () => cloud.payloads().some((m) => m.header.parent_msg_id === down.header.msg_id));
  const ack = cloud.payloads().find((m) => m.header.parent_msg_id === down.header.msg_id)!;
  assert.deepEqual(ack.route, {
    source: 'edgecontroller',
    group: 'resource',
    operation: 'response',
    resource: 'default/pod/nginx',
  });
  assert.equal(ack.content, 'OK');
  const db = new Database(join(dataDir, 'edgecore.db'), { readonly: true });
  const meta = db.prepare('SELECT key, type, value FROM meta WHERE key = ?').get('default/pod/nginx') as
    { key: string; type: string; value: string } | undefined;
  assert.equal(meta?.type, 'pod');
  assert.deepEqual(JSON.parse(meta?.value ?? 'null'), pod);
  const v2 = db.prepare('SELECT * FROM meta_v2 WHERE key = ?').get('/core/v1/pods/default/nginx') as
    { group_version_resource: string; namespace: string; name: string; resource_version: number } | undefined;
  assert.deepEqual(
    [v2?.group_version_resource, v2?.namespace, v2?.name, v2?.resource_version],
    ['/v1, Resource=pods', 'default', 'nginx', 48213],
  );
  db.close();

  // A delete with another UID leaves the pod (§5.1), one with the same UID removes it; both ACKed.
  for (const uid of ['other-uid', 'pod-uid-1']) {
    const del = cloudBuilder.newMessage({
      source: 'synccontroller',
      group: 'resource',
      operation: 'delete',
      resource: 'default/pod/nginx',
      content: { metadata: { name: 'nginx', namespace: 'default', uid } },
    });
    cloud.send(del);
    await waitFor('delete ACK', () =>
      cloud.payloads().some((m) => m.header.parent_msg_id === del.header.msg_id),
    );
  }
  const db2 = new Database(join(dataDir, 'edgecore.db'), { readonly: true });
  assert.equal((db2.prepare('SELECT COUNT(*) AS n FROM meta').get() as { n: number }).n, 0);
  assert.equal((db2.prepare('SELECT COUNT(*) AS n FROM meta_v2').get() as { n: number }).n, 0);
  db2.close();

  // 4. stop() leaves no timer and no connection.
  await core.stop();
  assert.equal(core.connected(), false);
  assert.equal(clock.pendingTimers(), 0, 'no timers left');

  // 5. Restart with the same dataDir and no token: stored certificate, no second bootstrap.
  const before = certServer.requests.length;
  const registered = cloud.find('insert', 'default/node/edge-1').length;
  const again = make({ token: undefined });
  await again.start();
  await waitFor('reconnect', () => again.connected());
  await waitFor(
    'register again',
    () => cloud.find('insert', 'default/node/edge-1').length === registered + 1,
  );
  assert.equal(certServer.requests.length, before, 'the certificate server saw no request');
  await again.stop();
  assert.equal(clock.pendingTimers(), 0);
});

test('an Err in the cloud’s reply is logged; unanswered requests are dropped after 60 s', async (t) => {
  const { cloud, logs, clock, make, cloudBuilder } = await setup(t);
  cloud.onFrame = (m) => {
    if (m.route.operation === 'insert' && m.route.resource === 'default/node/edge-1') {
      cloud.send(
        cloudBuilder.newResponse(m, {
          Object: null,
          Err: { ErrStatus: { message: 'nodes "edge-1" is forbidden' } },
        }),
      );
    }
  };
  const core = make();
  await core.start();
  await waitFor('error logged', () =>
    logs.some((l) => l.includes('answered a request with an error') && l.includes('forbidden')),
  );
  assert.equal(core.pendingRequests(), 1, 'the lease insert is still unanswered');
  // Step time as the link would see it, so EdgeHub's write deadline is not tripped by a jump.
  for (let i = 0; i < 61; i++) {
    clock.advance(1000);
    await new Promise((r) => setTimeout(r, 2));
  }
  await waitFor('the lease insert dropped', () =>
    logs.some(
      (l) => l.includes('no reply from the cloud') && l.includes('insert kube-node-lease/lease/edge-1'),
    ),
  );
  // Only the last 60 s of status requests are remembered.
  assert.ok(core.pendingRequests() <= 2 * 60, `pending ${core.pendingRequests()}`);
  assert.ok(core.connected());
});

test('renews the certificate at its rotation point with the current one, then reconnects with it', async (t) => {
  // Certificates live 100 s here; rotation falls at 70–90 s (§2.4), checked every 5 s.
  const { certServer, cloud, dataDir, logs, clock, make } = await setup(t, 100_000);
  const core = make({
    statusIntervalMs: 60_000,
    rotationCheckMs: 5_000,
    edgeHub: { backoff: { baseMs: 20, capMs: 100, floorMs: 5 }, keepaliveIntervalMs: 60_000 },
  });
  await core.start();
  await waitFor('connection', () => core.connected());
  const firstCert = readFileSync(join(dataDir, 'certs', 'server.crt'), 'utf8');
  const connectsBefore = cloud.connections();
  for (let s = 0; s < 65 && certServer.requests.length === 3; s += 5) {
    clock.advance(5_000);
    await new Promise((r) => setTimeout(r, 2));
  }
  assert.equal(certServer.requests.length, 3, 'not renewed before 70 % of the lifetime');
  for (let s = 65; s < 95 && certServer.requests.length === 3; s += 5) {
    clock.advance(5_000);
    await new Promise((r) => setTimeout(r, 20));
  }
  await waitFor('renewal request', () => certServer.requests.length === 4);
  const renewal = certServer.requests[3]!;
  assert.equal(renewal.path, '/edge.crt');
  assert.equal(renewal.authorization, undefined, 'no token: the current certificate authenticates');
  assert.equal(renewal.clientSubject, 'CN=system:node:edge-1\nO=system:nodes');
  await waitFor(
    'new certificate on disk',
    () => readFileSync(join(dataDir, 'certs', 'server.crt'), 'utf8') !== firstCert,
  );
  // The reconnect waits out EdgeHub's backoff on the injected clock.
  await waitFor('reconnect with the new certificate', () => {
    clock.advance(10);
    return cloud.connections() > connectsBefore && core.connected();
  });
  assert.ok(logs.some((l) => l.includes('node certificate rotated')));
});

test('renews the lease every interval but posts an unchanged status every 5 min, or right after a failure', async (t) => {
  const { cloud, clock, make, cloudBuilder } = await setup(t);
  let failLeases = false;
  cloud.onFrame = (m) => {
    if (m.route.group !== 'meta') return;
    const isLease = m.route.resource?.startsWith('kube-node-lease/') ?? false;
    const obj = m.route.resource?.includes('/node/') ? { metadata: { name: 'edge-1', uid: 'u1' } } : {};
    cloud.send(
      cloudBuilder.newResponse(
        m,
        failLeases && isLease
          ? { Object: null, Err: { ErrStatus: { message: 'etcdserver: request timed out', code: 500 } } }
          : { Object: obj, Err: null },
      ),
    );
  };
  const core = make({ statusIntervalMs: 10_000, statusReportIntervalMs: undefined });
  await core.start();
  await waitFor('registered', () => core.registered());
  const patches = (): number => cloud.find('patch', 'default/nodepatch/edge-1').length;
  const leaseUpdates = (): number => cloud.find('update', 'kube-node-lease/lease/edge-1').length;
  const tick = async (): Promise<void> => {
    clock.advance(10_000);
    await waitFor('replies', () => core.pendingRequests() === 0);
  };

  // 29 ticks (4 min 50 s): a lease renewal each, no status post (registration carried the status).
  for (let i = 1; i <= 29; i++) {
    await tick();
    await waitFor(`lease update ${i}`, () => leaseUpdates() === i);
  }
  assert.equal(patches(), 0);
  await tick(); // 5 min since registration
  await waitFor('the 5-minute status', () => patches() === 1);

  // A failed renewal: the cloud may have marked the node Unknown meanwhile, so the next tick posts.
  failLeases = true;
  await tick();
  failLeases = false;
  assert.equal(patches(), 1);
  await tick();
  await waitFor('status after a failed renewal', () => patches() === 2);
  await tick();
  assert.equal(patches(), 2, 'and then back to every 5 min');
});

test('runs a stored pod, reports its status as podpatch, and keeps statuses made offline until the cloud answers', async (t) => {
  const { cloud, clock, make, cloudBuilder, dataDir } = await setup(t);
  let answer = true;
  cloud.onFrame = (m) => {
    if (m.route.group !== 'meta' || !answer) return;
    const obj = m.route.resource?.includes('/node/') ? { metadata: { name: 'edge-1', uid: 'u1' } } : {};
    cloud.send(cloudBuilder.newResponse(m, { Object: obj, Err: null }));
  };
  const core = make();
  await core.start();
  await waitFor('registered', () => core.registered());

  const marker = join(dataDir, 'ran.txt');
  // edgecore leaves pods running when it stops (they are adopted next start); if this test fails
  // before the delete, kill what it started by the marker in its command line.
  t.after(() => void spawnSync('pkill', ['-f', marker]));
  const configMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'app-cfg', namespace: 'default', uid: 'cm-uid', resourceVersion: '7' },
    data: { GREETING: 'hello from the cloud' },
  };
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'app', namespace: 'default', uid: 'pod-uid-9', resourceVersion: '8' },
    spec: {
      nodeName: 'edge-1',
      terminationGracePeriodSeconds: 2,
      containers: [
        {
          name: 'main',
          image: 'busybox:1.36',
          command: [
            process.execPath,
            '-e',
            `require('fs').writeFileSync(${JSON.stringify(marker)}, process.env.GREETING); setInterval(() => {}, 1000)`,
          ],
          env: [{ name: 'GREETING', valueFrom: { configMapKeyRef: { name: 'app-cfg', key: 'GREETING' } } }],
        },
      ],
    },
  };
  for (const [type, obj] of [
    ['configmap', configMap],
    ['pod', pod],
  ] as const) {
    cloud.send(
      cloudBuilder.newMessage({
        source: 'edgecontroller',
        group: 'resource',
        operation: 'insert',
        resource: `default/${type}/${obj.metadata.name}`,
        content: obj,
        resourceVersion: obj.metadata.resourceVersion,
      }),
    );
  }
  await waitFor('the container ran with env from the configmap', () => {
    try {
      return readFileSync(marker, 'utf8') === 'hello from the cloud';
    } catch {
      return false;
    }
  });
  const running = (): Message | undefined =>
    cloud
      .find('patch', 'default/podpatch/app')
      .find(
        (m) =>
          (JSON.parse(m.content as string) as { status?: { phase?: string } }).status?.phase === 'Running',
      );
  await waitFor('a Running podpatch', () => running() !== undefined);
  const patch = JSON.parse(running()!.content as string) as {
    metadata: { uid: string };
    status: { containerStatuses: { name: string; ready: boolean; image: string }[] };
  };
  assert.equal(patch.metadata.uid, 'pod-uid-9');
  assert.equal(patch.status.containerStatuses[0]?.name, 'main');
  assert.equal(patch.status.containerStatuses[0]?.image, 'busybox:1.36');

  // The cloud goes quiet (answers nothing) and edgecore restarts: the pod's process is adopted,
  // not started again, and the status it reports waits in SQLite until the cloud answers.
  answer = false;
  await core.stop();
  rmSync(marker);
  const again = make({ token: undefined });
  await again.start();
  await waitFor('reconnect', () => again.connected());
  const uploads = new Database(join(dataDir, 'edgecore.db'), { readonly: true });
  const queued = (): number =>
    (uploads.prepare('SELECT COUNT(*) AS n FROM edgeproof_upstream_queue').get() as { n: number }).n;
  await waitFor('a status queued while unanswered', () => queued() > 0);
  assert.throws(() => readFileSync(marker), 'the adopted process was not started a second time');
  answer = true;
  // What was sent unanswered is given up after 60 s (§4.3 remoteQueryTimeout) and sent again at the
  // next tick; step time as the link would see it.
  for (let i = 0; i < 62 && queued() > 0; i++) {
    clock.advance(1000);
    await new Promise((r) => setTimeout(r, 5));
  }
  await waitFor('the queue drained once the cloud answered', () => queued() === 0);
  uploads.close();

  // A delete from the cloud stops the process.
  cloud.send(
    cloudBuilder.newMessage({
      source: 'edgecontroller',
      group: 'resource',
      operation: 'delete',
      resource: 'default/pod/app',
      content: { metadata: { name: 'app', namespace: 'default', uid: 'pod-uid-9' } },
    }),
  );
  // The adopted process is watched through /proc, and the grace period runs, on the injected clock.
  await waitFor(
    'pod forgotten',
    () => {
      clock.advance(100);
      return !existsSync(join(dataDir, 'edged', 'pods', 'pod-uid-9'));
    },
    10_000,
  );
});

test('a pod being deleted is stopped, then confirmed gone with the kubelet’s final delete', async (t) => {
  const { cloud, clock, make, cloudBuilder, dataDir } = await setup(t);
  cloud.onFrame = (m) => {
    if (m.route.group !== 'meta') return;
    const obj = m.route.resource?.includes('/node/') ? { metadata: { name: 'edge-1', uid: 'u1' } } : {};
    cloud.send(cloudBuilder.newResponse(m, { Object: obj, Err: null }));
  };
  const core = make();
  await core.start();
  await waitFor('registered', () => core.registered());
  const marker = join(dataDir, 'ending');
  t.after(() => void spawnSync('pkill', ['-f', marker]));
  const pod = (deleting: boolean) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'ending',
      namespace: 'default',
      uid: 'pod-uid-end',
      resourceVersion: deleting ? '11' : '10',
      ...(deleting ? { deletionTimestamp: new Date().toISOString(), deletionGracePeriodSeconds: 2 } : {}),
    },
    spec: {
      nodeName: 'edge-1',
      containers: [
        {
          name: 'main',
          image: 'x',
          command: [process.execPath, '-e', `setInterval(() => {}, 1000) // ${marker}`],
        },
      ],
    },
  });
  for (const deleting of [false, true]) {
    cloud.send(
      cloudBuilder.newMessage({
        source: 'edgecontroller',
        group: 'resource',
        operation: deleting ? 'update' : 'insert',
        resource: 'default/pod/ending',
        content: pod(deleting),
        resourceVersion: deleting ? '11' : '10',
      }),
    );
    if (!deleting) {
      await waitFor('running', () =>
        cloud
          .find('patch', 'default/podpatch/ending')
          .some((m) => (m.content as string).includes('"running"')),
      );
    }
  }
  await waitFor(
    'the final delete',
    () => {
      clock.advance(100); // the grace period runs on the injected clock
      return cloud.find('delete', 'default/pod/ending').length > 0;
    },
    10_000,
  );
  const del = cloud.find('delete', 'default/pod/ending')[0]!;
  assert.equal(del.content, 'pod-uid-end', 'the uid is the precondition');
  assert.equal(del.route.source, 'edged');
});
