/**
 * EdgeHub against a real TLS WebSocket server that, like cloudhub (kubeedge-protocol.md §2.1–2.2),
 * requires a client certificate chained to the cloud CA and reads the node from `node_id`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  FakeClock,
  SystemClock,
  createLogger,
  decodeMessage,
  encodeMessage,
  messageBuilder,
  type Clock,
  type Message,
} from '@edgeproof/core';
import {
  DEFAULT_DELIVERY_PING_DELAY_MS,
  DEFAULT_PROJECT_ID,
  EdgeHub,
  type EdgeHubOptions,
} from '../src/edgehub/edgehub-client.ts';
import { createTestCa, issueTestCert, type TestCa, type TestLeaf } from './edgehub-fixtures.ts';

interface Connection {
  url: string;
  headers: IncomingMessage['headers'];
  clientSubject: string;
  ws: WebSocket;
}

/** A minimal cloudhub: TLS with required client certificates, one JSON message per frame. */
class TestCloudHub {
  readonly connections: Connection[] = [];
  readonly received: Message[] = [];
  /** WebSocket pings received, over all connections. */
  pings = 0;
  /** When set, upgrades are refused with this status and body. */
  refuse: { status: number; body: string } | undefined;
  /** Called for each decoded frame. */
  onFrame: ((m: Message, c: Connection) => void) | undefined;
  private server: Server | undefined;
  private readonly wss: WebSocketServer;
  port = 0;

  private readonly ca: TestCa;
  private readonly serving: TestLeaf;

  constructor(ca: TestCa, serving: TestLeaf, autoPong = true) {
    this.wss = new WebSocketServer({ noServer: true, autoPong });
    this.ca = ca;
    this.serving = serving;
  }

  async listen(port = this.port): Promise<void> {
    const server = createServer({
      cert: this.serving.certPem,
      key: this.serving.keyPem,
      ca: [this.ca.certPem],
      requestCert: true,
      rejectUnauthorized: true,
    });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.upgrade(req, socket, head),
    );
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  /** Closes the listener and cuts every connection without a close frame (a crash). */
  async kill(): Promise<void> {
    for (const c of this.connections) c.ws.terminate();
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.refuse !== undefined) {
      const { status, body } = this.refuse;
      socket.end(
        `HTTP/1.1 ${status} Refused\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
      return;
    }
    const clientSubject = new X509Certificate((req.socket as TLSSocket).getPeerCertificate(false).raw)
      .subject;
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const c: Connection = { url: req.url ?? '', headers: req.headers, clientSubject, ws };
      this.connections.push(c);
      ws.on('ping', () => this.pings++);
      ws.on('message', (data: Buffer) => {
        const m = decodeMessage(data);
        this.received.push(m);
        this.onFrame?.(m, c);
      });
    });
  }

  /** Messages other than keepalives. */
  payloads(): Message[] {
    return this.received.filter((m) => m.route.operation !== 'keepalive');
  }

  latest(): Connection {
    const c = this.connections.at(-1);
    assert.ok(c, 'no connection yet');
    return c;
  }
}

async function waitFor(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function setup(t: { after: (fn: () => Promise<void>) => void }, autoPong = true) {
  const ca = await createTestCa();
  const serving = await issueTestCert(ca, { commonName: 'KubeEdge', usage: 'server', hosts: ['127.0.0.1'] });
  const client = await issueTestCert(ca, {
    commonName: 'system:node:edge-1',
    organization: 'system:nodes',
    usage: 'client',
  });
  const cloud = new TestCloudHub(ca, serving, autoPong);
  await cloud.listen();
  const logs: string[] = [];
  const downstream: Message[] = [];
  const changes: boolean[] = [];
  const hubs: EdgeHub[] = [];
  const makeHub = (clock: Clock = new SystemClock(), extra: Partial<EdgeHubOptions> = {}): EdgeHub => {
    const hub = new EdgeHub({
      server: `127.0.0.1:${cloud.port}`,
      nodeName: 'edge-1',
      credentials: { caPem: ca.certPem, certPem: client.certPem, keyPem: client.keyPem },
      clock,
      logger: createLogger('test', { level: 'debug', write: (l) => logs.push(l) }),
      onMessage: (m) => downstream.push(m),
      onConnectionChange: (c) => changes.push(c),
      keepaliveIntervalMs: 50,
      backoff: { baseMs: 20, capMs: 100, floorMs: 5 },
      ...extra,
    });
    hubs.push(hub);
    return hub;
  };
  t.after(async () => {
    for (const hub of hubs) await hub.stop();
    await cloud.kill();
  });
  const builder = messageBuilder({ clock: new SystemClock() });
  const upstream = (n: number): Message =>
    builder.newMessage({
      source: 'edged',
      group: 'resource',
      operation: 'update',
      resource: `default/podstatus/pod-${n}`,
      content: { n },
    });
  return { ca, cloud, logs, downstream, changes, makeHub, upstream, builder };
}

test('connects with KubeEdge’s URL, headers and client certificate, and sends keepalives', async (t) => {
  const { cloud, changes, makeHub } = await setup(t);
  const hub = makeHub();
  assert.equal(cloud.connections.length, 0, 'the constructor does no I/O');
  hub.start();
  await waitFor('connection', () => hub.connected);
  const c = cloud.latest();
  assert.equal(c.url, `/${DEFAULT_PROJECT_ID}/edge-1/events`);
  assert.equal(c.headers.node_id, 'edge-1');
  assert.equal(c.headers.project_id, DEFAULT_PROJECT_ID);
  assert.equal(c.headers.connectionuse, 'msg');
  assert.equal(c.clientSubject, 'CN=system:node:edge-1\nO=system:nodes');
  assert.deepEqual(changes, [true]);

  await waitFor('two keepalives', () => cloud.received.length >= 2);
  for (const m of cloud.received) {
    assert.deepEqual(m.route, {
      source: 'websocket',
      group: 'resource',
      operation: 'keepalive',
      resource: 'node',
    });
    assert.equal(m.content, 'ping');
  }
});

test('decodes downstream text and binary frames; a garbage frame is dropped, not fatal', async (t) => {
  const { cloud, logs, downstream, changes, makeHub, builder } = await setup(t);
  const hub = makeHub();
  hub.start();
  await waitFor('connection', () => hub.connected);
  const pod = builder.newMessage({
    source: 'edgecontroller',
    group: 'resource',
    operation: 'insert',
    resource: 'default/pod/nginx',
    content: { metadata: { name: 'nginx' } },
  });
  const ws = cloud.latest().ws;
  ws.send('{not json');
  ws.send(Buffer.from([0xff, 0x00, 0x13]), { binary: true });
  ws.send(encodeMessage(pod));
  ws.send(Buffer.from(encodeMessage(pod)), { binary: true });
  await waitFor('two messages', () => downstream.length === 2);
  assert.deepEqual(downstream[0], pod);
  assert.deepEqual(downstream[1], pod);
  assert.equal(logs.filter((l) => l.includes('dropped a malformed frame')).length, 2);
  assert.ok(hub.connected);
  assert.deepEqual(changes, [true]);
});

test('a message sent while the cloud is down is delivered when it comes back', async (t) => {
  const { cloud, changes, makeHub, upstream } = await setup(t);
  await cloud.kill();
  const hub = makeHub();
  hub.start();
  const sent = [upstream(1), upstream(2), upstream(3)];
  for (const m of sent) hub.send(m);
  await new Promise((r) => setTimeout(r, 150)); // a few failed attempts
  assert.equal(hub.pendingMessages(), 3);
  assert.deepEqual(changes, []);
  await cloud.listen();
  await waitFor('delivery', () => cloud.payloads().length === 3);
  assert.deepEqual(
    cloud.payloads().map((m) => m.header.msg_id),
    sent.map((m) => m.header.msg_id),
  );
  assert.deepEqual(cloud.payloads()[0], sent[0]);
  await waitFor('queue drained', () => hub.pendingMessages() === 0);
});

test('the cloud dying mid-stream loses nothing: reconnect with backoff, then resend', async (t) => {
  const { cloud, changes, makeHub, upstream, logs } = await setup(t);
  const hub = makeHub();
  hub.start();
  await waitFor('connection', () => hub.connected);
  const sent = Array.from({ length: 500 }, (_, i) => upstream(i));
  let killed = false;
  cloud.onFrame = () => {
    if (!killed && cloud.payloads().length === 100) {
      killed = true;
      void cloud.kill().then(() => setTimeout(() => void cloud.listen(), 50));
    }
  };
  for (const m of sent) hub.send(m);
  await waitFor('every message', () => new Set(cloud.payloads().map((m) => m.header.msg_id)).size === 500);
  const ids = cloud.payloads().map((m) => m.header.msg_id);
  // At-least-once: duplicates are allowed, loss and reordering of first arrivals are not.
  const firstSeen = [...new Set(ids)];
  assert.deepEqual(
    firstSeen,
    sent.map((m) => m.header.msg_id),
  );
  await waitFor('reconnected', () => hub.connected && changes.length === 3);
  assert.deepEqual(changes, [true, false, true]);
  await waitFor('queue drained', () => hub.pendingMessages() === 0);
  assert.ok(cloud.connections.length >= 2);
  assert.ok(logs.some((l) => l.includes('disconnected from cloudhub')));
});

test('a refused upgrade is logged with the cloud’s reason and retried', async (t) => {
  const { cloud, logs, makeHub } = await setup(t);
  cloud.refuse = { status: 403, body: 'certificate CN system:node:edge-1 does not match node_id' };
  const hub = makeHub();
  hub.start();
  await waitFor(
    'two refusals',
    () => logs.filter((l) => l.includes('cloudhub refused the connection')).length >= 2,
  );
  const line = logs.find((l) => l.includes('cloudhub refused the connection')) ?? '';
  assert.match(line, /status=403/);
  assert.match(line, /does not match node_id/);
  assert.equal(hub.connected, false);
  cloud.refuse = undefined;
  await waitFor('connection', () => hub.connected);
});

test('stop() closes with code 1000 and leaves no timers; it also cancels a pending reconnect', async (t) => {
  const { cloud, changes, makeHub } = await setup(t);
  const clock = new FakeClock(Date.now());
  const hub = makeHub(clock);
  hub.start();
  await waitFor('connection', () => hub.connected);
  assert.equal(clock.pendingTimers(), 1, 'the keepalive interval');
  const closed = new Promise<number>((resolve) => cloud.latest().ws.on('close', (code) => resolve(code)));
  await hub.stop();
  assert.equal(await closed, 1000);
  assert.equal(clock.pendingTimers(), 0);
  assert.deepEqual(changes, [true, false]);

  // Down cloud: the hub waits on a fake-clock reconnect timer; stop() cancels it.
  await cloud.kill();
  const clock2 = new FakeClock(Date.now());
  const hub2 = makeHub(clock2);
  hub2.start();
  await waitFor('a reconnect timer', () => clock2.pendingTimers() === 1);
  await hub2.stop();
  assert.equal(clock2.pendingTimers(), 0);
});

test('backoff delays come from the injected clock and grow until connected', async (t) => {
  const { cloud, makeHub, logs } = await setup(t);
  await cloud.kill();
  const clock = new FakeClock(Date.now());
  const hub = makeHub(clock, { backoff: { baseMs: 1000, capMs: 4000, floorMs: 1000, random: () => 0.5 } });
  hub.start();
  const retries = (): number => logs.filter((l) => l.includes('cannot connect to cloudhub')).length;
  await waitFor('first failure', () => retries() === 1);
  assert.match(logs.at(-1) ?? '', /retryInMs=1000/);
  clock.advance(999);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(retries(), 1, 'no retry before the delay');
  clock.advance(1);
  await waitFor('second failure', () => retries() === 2);
  assert.match(logs.at(-1) ?? '', /retryInMs=1500/);
  assert.equal(hub.failedDials, 2, 'each failed dial is counted');
  await cloud.listen();
  clock.advance(1500);
  await waitFor('connection', () => hub.connected);
  assert.equal(hub.failedDials, 2, 'the dial that opened the session is not a failure');
});

test('a cloud that never answers pings still gets every message (write-confirmation fallback)', async (t) => {
  const { cloud, makeHub, upstream, logs } = await setup(t, false);
  const hub = makeHub(new SystemClock(), { writeTimeoutMs: 60 });
  hub.start();
  await waitFor('connection', () => hub.connected);
  const sent = Array.from({ length: 20 }, (_, i) => upstream(i));
  for (const m of sent) hub.send(m);
  await waitFor('fallback', () => hub.pendingMessages() === 0);
  assert.ok(logs.some((l) => l.includes('does not answer WebSocket pings')));
  assert.deepEqual(
    cloud.payloads().map((m) => m.header.msg_id),
    sent.map((m) => m.header.msg_id),
  );
  assert.ok(hub.connected, 'a pong-less peer is not treated as a dead link');
  assert.equal(cloud.connections.length, 1);
});

test('replies confirm delivery, so answered frames need no ping; unanswered ones get one after the delay', async (t) => {
  const { cloud, makeHub, upstream, builder } = await setup(t);
  // Like cloudcore answering a lease renewal: a response whose parent_msg_id is the request.
  cloud.onFrame = (m, c) => {
    if (m.route.operation === 'keepalive') return;
    const reply = builder.newMessage({
      source: 'edgecontroller',
      group: 'resource',
      operation: 'response',
      resource: m.route.resource ?? '',
      content: 'OK',
      parentId: m.header.msg_id,
    });
    c.ws.send(encodeMessage(reply));
  };
  const clock = new FakeClock(Date.now());
  const hub = makeHub(clock);
  hub.start();
  await waitFor('connection', () => hub.connected);
  for (let i = 1; i <= 5; i++) hub.send(upstream(i));
  await waitFor('every frame answered and released', () => hub.pendingMessages() === 0);
  clock.advance(DEFAULT_DELIVERY_PING_DELAY_MS);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(cloud.pings, 0, 'no ping for frames the replies confirmed');

  cloud.onFrame = undefined; // the cloud reads but does not answer (an event, a twin report)
  hub.send(upstream(6));
  await waitFor('the unanswered frame read', () => cloud.payloads().length === 6);
  clock.advance(DEFAULT_DELIVERY_PING_DELAY_MS - 1);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(cloud.pings, 0, 'no ping before the delay');
  assert.equal(hub.pendingMessages(), 1, 'held until confirmed');
  clock.advance(1);
  await waitFor('the ping', () => cloud.pings === 1);
  await waitFor('released on the pong', () => hub.pendingMessages() === 0);
});
