// Cloudhub's :10000 WebSocket server over real TLS sockets, driven by a `ws` client that connects as
// KubeEdge's edgehub does (edge/pkg/edgehub/clients/wsclient/websocket.go, kubeedge-protocol.md §2.2):
// URL /<projectID>/<node>/events, headers node_id, project_id and ConnectionUse: msg, a client
// certificate CN system:node:<node> / O system:nodes issued by the cloud CA, one JSON message per frame.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { request } from 'node:https';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import WebSocket from 'ws';
import {
  FakeClock,
  SystemClock,
  createLogger,
  decodeMessage,
  encodeMessage,
  messageBuilder,
  silentLogger,
  type Message,
} from '@edgeproof/core';
import type { CloudHubCredentials } from '../src/cloudhub/cloud-secrets.ts';
import { DEFAULT_STOP_GRACE_MS, HubServer, type HubServerOptions } from '../src/cloudhub/hub-server.ts';
import type { NodeSession, SessionCloseReason } from '../src/cloudhub/node-session.ts';
import { createCertificateAuthority, issueCertificate, type CertificateAuthority } from '../src/pki/pki.ts';
import { testHubCredentials } from './support/hub-credentials.ts';

const logger = process.env.EDGEPROOF_TEST_LOG ? createLogger('test', { level: 'debug' }) : silentLogger();
const HOST = '127.0.0.1';
const PROJECT = 'e632aba927ea4ac2b575ec1603d56f10';
// TLS checks certificate dates on real time, so certificates and the hub use the system clock; the
// keepalive test shortens the timeout instead of sleeping 30 s.
const clock = new SystemClock();
const build = messageBuilder({ clock });

type ClientCert = { cert: string; key: string };

let ca: CertificateAuthority;
let credentials: CloudHubCredentials;
let otherCa: CertificateAuthority;

async function clientCert(
  commonName: string,
  authority: CertificateAuthority = ca,
  usages: Array<'client' | 'server'> = ['client'],
): Promise<ClientCert> {
  const issued = await issueCertificate({
    ca: authority,
    commonName,
    organization: 'system:nodes',
    usages,
    validityDays: 1,
    clock,
  });
  return { cert: issued.certPem, key: issued.keyPem ?? '' };
}

before(async () => {
  ({ ca, credentials } = await testHubCredentials(clock, HOST));
  otherCa = await createCertificateAuthority({ commonName: 'KubeEdge', clock, validityDays: 2 });
});

/** Records hub events and lets a test wait for them. */
class Recorder {
  readonly connects: string[] = [];
  readonly disconnects: { nodeId: string; reason: SessionCloseReason }[] = [];
  readonly messages: { nodeId: string; message: Message }[] = [];
  /** Event names in order, e.g. `connect edge-1`. */
  readonly order: string[] = [];

  handlers(): NonNullable<HubServerOptions['events']> {
    return {
      onConnect: (s: NodeSession) => {
        this.connects.push(s.nodeId);
        this.order.push(`connect ${s.nodeId}`);
      },
      onDisconnect: (nodeId, reason) => {
        this.disconnects.push({ nodeId, reason });
        this.order.push(`disconnect ${nodeId} ${reason.kind}`);
      },
      onMessage: (s, message) => this.messages.push({ nodeId: s.nodeId, message }),
    };
  }
}

const hubs: HubServer[] = [];
const clients: WebSocket[] = [];

after(async () => {
  for (const c of clients) c.terminate();
  await Promise.all(hubs.map((h) => h.stop()));
});

async function startHub(options: Partial<HubServerOptions> = {}): Promise<{ hub: HubServer; rec: Recorder }> {
  const rec = new Recorder();
  const hub = new HubServer({
    credentials,
    clock,
    logger,
    port: 0,
    host: HOST,
    events: rec.handlers(),
    ...options,
  });
  await hub.start();
  hubs.push(hub);
  return { hub, rec };
}

type Dial = {
  nodeId?: string;
  /** Defaults to a certificate for `nodeId`; null sends none. */
  cert?: ClientCert | null;
  path?: string;
};

async function clientOptions(
  hub: HubServer,
  d: Dial,
): Promise<{ url: string; options: WebSocket.ClientOptions }> {
  const nodeId = d.nodeId ?? 'edge-1';
  const cert = d.cert === null ? undefined : (d.cert ?? (await clientCert(`system:node:${nodeId}`)));
  const headers: Record<string, string> = { project_id: PROJECT, ConnectionUse: 'msg' };
  if (d.nodeId !== '') headers['node_id'] = nodeId;
  return {
    url: `wss://${HOST}:${hub.port()}${d.path ?? `/${PROJECT}/${nodeId}/events`}`,
    options: { ca: ca.certPem, ...(cert ?? {}), headers },
  };
}

/** Connects and resolves once the WebSocket is open. */
async function connect(hub: HubServer, d: Dial = {}): Promise<WebSocket> {
  const { url, options } = await clientOptions(hub, d);
  const ws = new WebSocket(url, options);
  clients.push(ws);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`refused with ${res.statusCode}`)));
  });
  return ws;
}

/** Expects the upgrade to be refused; resolves with the HTTP status and body. */
async function refused(hub: HubServer, d: Dial): Promise<{ status: number; body: string }> {
  const { url, options } = await clientOptions(hub, d);
  const ws = new WebSocket(url, options);
  clients.push(ws);
  return new Promise((resolve, reject) => {
    ws.once('open', () => reject(new Error('the upgrade was accepted')));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
    });
  });
}

function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
}

function nextFrame(ws: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve) =>
    ws.once('message', (data, isBinary) => resolve({ data: data as Buffer, isBinary })),
  );
}

async function until(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function nodePatch(node: string): Message {
  return build.newMessage({
    source: 'edged',
    group: 'resource',
    operation: 'patch',
    resource: `null/nodepatch/${node}`,
    content: JSON.stringify({ status: { conditions: [{ type: 'Ready', status: 'True' }] } }),
  });
}

test('an edgehub-style client connects, sends keepalive and upstream messages, and receives downstream', async () => {
  const { hub, rec } = await startHub();
  const ws = await connect(hub, { nodeId: 'edge-1' });
  await until('onConnect', () => rec.connects.includes('edge-1'));
  assert.deepEqual(
    hub.sessions().map((s) => [s.nodeId, s.projectId]),
    [['edge-1', PROJECT]],
  );

  ws.send(encodeMessage(build.newKeepalive()));
  const patch = nodePatch('edge-1');
  ws.send(encodeMessage(patch));
  await until('the upstream message', () => rec.messages.length === 1);
  const got = rec.messages[0]?.message;
  assert.equal(rec.messages[0]?.nodeId, 'edge-1');
  assert.equal(got?.route.resource, 'node/edge-1/null/nodepatch/edge-1'); // §1.3
  assert.equal(got?.header.msg_id, patch.header.msg_id);
  assert.equal(got?.content, patch.content);

  // A binary frame carrying the same JSON is read too (§2.2).
  ws.send(Buffer.from(encodeMessage(nodePatch('edge-1'))), { binary: true });
  await until('the binary upstream message', () => rec.messages.length === 2);

  const down = build.newMessage({
    source: 'edgecontroller',
    group: 'resource',
    operation: 'insert',
    resource: 'default/pod/nginx',
    content: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'nginx', namespace: 'default' } },
    resourceVersion: '48213',
  });
  const frame = nextFrame(ws);
  const session = hub.session('edge-1');
  assert.ok(session);
  await session.send(down);
  const { data, isBinary } = await frame;
  assert.equal(isBinary, false, 'downstream messages are text frames');
  assert.deepEqual(decodeMessage(data.toString('utf8')), down);

  const gone = closed(ws);
  ws.close();
  await gone;
  await until('onDisconnect', () => rec.disconnects.length === 1);
  assert.equal(rec.disconnects[0]?.reason.kind, 'peer-closed');
  assert.deepEqual(hub.sessions(), []);
  await assert.rejects(session.send(down), /closed/);
});

test('any path is accepted; the node is named by the node_id header only', async () => {
  const { hub, rec } = await startHub();
  await connect(hub, { nodeId: 'edge-1', path: '/' });
  await connect(hub, { nodeId: 'edge-2', path: '/other/edge-9/events' });
  await until('two connects', () => rec.connects.length === 2);
  assert.deepEqual(
    hub
      .sessions()
      .map((s) => s.nodeId)
      .sort(),
    ['edge-1', 'edge-2'],
  );
});

test('no keepalive within the configured interval closes the session and the socket', async () => {
  const { hub, rec } = await startHub({ keepaliveTimeoutMs: 300 });
  const ws = await connect(hub, { nodeId: 'edge-1' });
  const gone = closed(ws);
  // Keepalives hold it open past the timeout...
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 150));
    ws.send(encodeMessage(build.newKeepalive()));
  }
  assert.equal(hub.sessions().length, 1);
  assert.equal(rec.disconnects.length, 0);
  // ...and silence ends it.
  const { code, reason } = await gone;
  assert.equal(code, 1000);
  assert.match(reason, /keepalive-timeout/);
  assert.deepEqual(
    rec.disconnects.map((d) => [d.nodeId, d.reason.kind]),
    [['edge-1', 'keepalive-timeout']],
  );
  assert.deepEqual(hub.sessions(), []);
});

test('refusals carry an HTTP status and a reason', async () => {
  const { hub, rec } = await startHub();
  const noCert = await refused(hub, { nodeId: 'edge-1', cert: null });
  assert.equal(noCert.status, 401);
  assert.match(noCert.body, /client certificate required/);

  const foreign = await refused(hub, {
    nodeId: 'edge-1',
    cert: await clientCert('system:node:edge-1', otherCa),
  });
  assert.equal(foreign.status, 401);
  assert.match(foreign.body, /client certificate rejected .*this cloud's CA/);

  const serverOnly = await refused(hub, {
    nodeId: 'edge-1',
    cert: await clientCert('system:node:edge-1', ca, ['server']),
  });
  assert.equal(serverOnly.status, 401);
  assert.match(serverOnly.body, /not valid for client authentication/);

  const otherNode = await refused(hub, { nodeId: 'edge-2', cert: await clientCert('system:node:edge-1') });
  assert.equal(otherNode.status, 403);
  assert.match(otherNode.body, /system:node:edge-1.*edge-2/);

  const noNodeId = await refused(hub, { nodeId: '', cert: await clientCert('system:node:edge-1') });
  assert.equal(noNodeId.status, 400);
  assert.match(noNodeId.body, /node_id header missing/);

  assert.deepEqual(rec.connects, []);
  assert.deepEqual(hub.sessions(), []);
});

test('enforceNodeIdentity: false accepts any certificate from the CA, as KubeEdge by default', async () => {
  const { hub, rec } = await startHub({ enforceNodeIdentity: false });
  await connect(hub, { nodeId: 'edge-2', cert: await clientCert('system:node:edge-1') });
  await until('connect', () => rec.connects.includes('edge-2'));
  // The CA is still required.
  const foreign = await refused(hub, {
    nodeId: 'edge-3',
    cert: await clientCert('system:node:edge-3', otherCa),
  });
  assert.equal(foreign.status, 401);
});

test('the node limit refuses new nodes with 503 but lets a connected node reconnect', async () => {
  const { hub, rec } = await startHub({ nodeLimit: 2 });
  await connect(hub, { nodeId: 'edge-1' });
  await connect(hub, { nodeId: 'edge-2' });
  const full = await refused(hub, { nodeId: 'edge-3' });
  assert.equal(full.status, 503);
  assert.match(full.body, /node limit reached: .* at most 2 nodes/);
  await connect(hub, { nodeId: 'edge-2' });
  await until('the replacement', () => rec.connects.length === 3);
  assert.equal(hub.sessions().length, 2);
});

test('a second connection for the same node replaces the first', async () => {
  const { hub, rec } = await startHub();
  const first = await connect(hub, { nodeId: 'edge-1' });
  const firstClosed = closed(first);
  const firstSession = hub.session('edge-1');
  const second = await connect(hub, { nodeId: 'edge-1' });
  const { code, reason } = await firstClosed;
  assert.equal(code, 1000);
  assert.match(reason, /replaced/);
  await until('both connects', () => rec.connects.length === 2);
  // The old session's disconnect comes before the new session's connect.
  assert.deepEqual(rec.order, ['connect edge-1', 'disconnect edge-1 replaced', 'connect edge-1']);
  assert.equal(hub.sessions().length, 1);
  assert.notEqual(hub.session('edge-1'), firstSession);

  // The new session works, and the old one's socket closing did not remove it.
  second.send(encodeMessage(nodePatch('edge-1')));
  await until('upstream on the new session', () => rec.messages.length === 1);
  assert.equal(hub.sessions().length, 1);
});

test('garbage from one node closes it with 1008 and leaves other nodes served', async () => {
  const { hub, rec } = await startHub();
  const bad = await connect(hub, { nodeId: 'edge-1' });
  const good = await connect(hub, { nodeId: 'edge-2' });
  const badClosed = closed(bad);
  for (let i = 0; i < 10; i++) bad.send(i % 2 === 0 ? 'not json' : '{"header":{}}');
  const { code, reason } = await badClosed;
  assert.equal(code, 1008);
  assert.match(reason, /protocol-violation: 10 undecodable frames in a row/);
  await until('edge-1 disconnect', () => rec.disconnects.some((d) => d.nodeId === 'edge-1'));

  good.send(encodeMessage(nodePatch('edge-2')));
  await until('edge-2 upstream', () => rec.messages.some((m) => m.nodeId === 'edge-2'));
  const frame = nextFrame(good);
  await hub.session('edge-2')?.send(build.newKeepalive());
  assert.equal((await frame).isBinary, false);
  assert.deepEqual(
    hub.sessions().map((s) => s.nodeId),
    ['edge-2'],
  );
});

test('a frame over the size limit closes the socket with 1009', async () => {
  const { hub, rec } = await startHub({ maxMessageBytes: 1024 });
  const ws = await connect(hub, { nodeId: 'edge-1' });
  const gone = closed(ws);
  ws.send(encodeMessage({ ...nodePatch('edge-1'), content: 'x'.repeat(2048) }));
  assert.equal((await gone).code, 1009);
  await until('disconnect', () => rec.disconnects.length === 1);
});

test('a plain HTTPS request gets 426 Upgrade Required', async () => {
  const { hub } = await startHub();
  const cert = await clientCert('system:node:edge-1');
  const status = await new Promise<number>((resolve, reject) => {
    const req = request({ host: HOST, port: hub.port(), path: '/', ca: ca.certPem, ...cert }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
  assert.equal(status, 426);
});

test('stop closes every session with 1001 and fires onDisconnect', async () => {
  const { hub, rec } = await startHub();
  const ws = await connect(hub, { nodeId: 'edge-1' });
  const gone = closed(ws);
  await hub.stop();
  assert.deepEqual(
    rec.disconnects.map((d) => d.reason.kind),
    ['server-stopped'],
  );
  assert.equal((await gone).code, 1001);
});

test('the listener queues as many dials as the kernel allows (net.core.somaxconn), as Go does', async () => {
  const { hub } = await startHub();
  const somaxconn = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8').trim());
  // ss(8) shows a listening socket's accept backlog as Send-Q.
  const listening = execFileSync('ss', ['-ltnH', `sport = :${hub.port()}`], { encoding: 'utf8' });
  const [, , backlog] = listening.trim().split(/\s+/);
  assert.equal(Number(backlog), somaxconn, listening);
});

test('a port in use is refused with a reason naming the port', async () => {
  const { hub } = await startHub();
  const second = new HubServer({ credentials, clock, logger, port: hub.port(), host: HOST });
  await assert.rejects(second.start(), (err: Error) => {
    assert.match(
      err.message,
      new RegExp(`cloudhub cannot listen on ${HOST}:${hub.port()}: the port is in use; .*--cloudhub-port`),
    );
    return true;
  });
});

/** A TLS socket upgraded to a WebSocket by hand, which then reads nothing more: a hung peer. */
async function silentPeer(hub: HubServer, nodeId: string): Promise<TLSSocket> {
  const cert = await clientCert(`system:node:${nodeId}`);
  const socket = tlsConnect({ host: HOST, port: hub.port(), ca: ca.certPem, ...cert });
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', () => resolve());
    socket.once('error', reject);
  });
  socket.write(
    `GET /${PROJECT}/${nodeId}/events HTTP/1.1\r\nHost: ${HOST}\r\nUpgrade: websocket\r\n` +
      'Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n' +
      `node_id: ${nodeId}\r\nproject_id: ${PROJECT}\r\nConnectionUse: msg\r\n\r\n`,
  );
  const [head] = (await once(socket, 'data')) as [Buffer];
  assert.match(head.toString(), /^HTTP\/1\.1 101 /);
  socket.pause(); // from here on the close frame is never read, so never answered
  socket.on('error', () => {});
  return socket;
}

test("stop cuts off a peer that does not answer the close frame after the grace, instead of ws's 30 s", async (t) => {
  // The grace runs on the hub's clock; TLS dates stay on real time (the certificates).
  const fake = new FakeClock(Date.now());
  const { hub, rec } = await startHub({ clock: fake });
  const polite = await connect(hub, { nodeId: 'edge-polite' });
  const politeClosed = closed(polite);
  const silent = await silentPeer(hub, 'edge-silent');
  t.after(() => silent.destroy());
  await until('both sessions', () => hub.sessions().length === 2);

  let stopped = false;
  const stopping = hub.stop().then(() => (stopped = true));
  assert.equal((await politeClosed).code, 1001, 'a peer that answers is closed as going away');
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(stopped, false, 'the silent peer holds the stop while the grace lasts');
  fake.advance(DEFAULT_STOP_GRACE_MS);
  // Well before ws's own 30 s closeTimeout would end the connection.
  const wsWouldHaveEnded = new Promise((r) => setTimeout(r, 10_000).unref());
  assert.equal(await Promise.race([stopping, wsWouldHaveEnded]), true, 'stopped once the grace was over');
  assert.deepEqual(rec.disconnects.map((d) => `${d.nodeId} ${d.reason.kind}`).sort(), [
    'edge-polite server-stopped',
    'edge-silent server-stopped',
  ]);
});
