// NodeSession without sockets: a fake transport records frames and closes, a FakeClock drives the
// keepalive timer (kubeedge-protocol.md §2.3: 30 s, reset by every keepalive).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  FakeClock,
  decodeMessage,
  encodeMessage,
  messageBuilder,
  silentLogger,
  type Message,
} from '@edgeproof/core';
import {
  CLOSE_CODES,
  DEFAULT_KEEPALIVE_TIMEOUT_MS,
  NodeSession,
  NodeSessionClosedError,
  truncateUtf8,
  type NodeSessionOptions,
  type SessionCloseReason,
} from './node-session.ts';

type Harness = {
  clock: FakeClock;
  session: NodeSession;
  sent: string[];
  closes: { code: number; reason: string }[];
  upstream: Message[];
  ended: SessionCloseReason[];
  /** Set to make the next transport.send fail. */
  failSend: { err: Error | undefined };
};

function harness(overrides: Partial<NodeSessionOptions> = {}): Harness {
  const clock = new FakeClock();
  const sent: string[] = [];
  const closes: { code: number; reason: string }[] = [];
  const upstream: Message[] = [];
  const ended: SessionCloseReason[] = [];
  const failSend: { err: Error | undefined } = { err: undefined };
  const session = new NodeSession({
    nodeId: 'edge-1',
    projectId: 'e632aba927ea4ac2b575ec1603d56f10',
    clock,
    logger: silentLogger(),
    transport: {
      send: (text, done) => {
        if (failSend.err) {
          done(failSend.err);
          return;
        }
        sent.push(text);
        done();
      },
      close: (code, reason) => closes.push({ code, reason }),
    },
    onMessage: (_s, m) => upstream.push(m),
    onClose: (_s, r) => ended.push(r),
    ...overrides,
  });
  session.start();
  return { clock, session, sent, closes, upstream, ended, failSend };
}

const build = messageBuilder({ clock: new FakeClock(), newId: () => 'id-1' });
const keepalive = (): string => encodeMessage(build.newKeepalive());
const nodePatch = (): Message =>
  build.newMessage({
    source: 'edged',
    group: 'resource',
    operation: 'patch',
    resource: 'default/nodepatch/edge-1',
    content: '{"status":{"conditions":[]}}',
  });

test('the keepalive timer closes the session at exactly 30 s', () => {
  const h = harness();
  assert.equal(DEFAULT_KEEPALIVE_TIMEOUT_MS, 30_000);
  h.clock.advance(29_999);
  assert.equal(h.session.isOpen(), true);
  h.clock.advance(1);
  assert.equal(h.session.isOpen(), false);
  assert.deepEqual(
    h.ended.map((r) => r.kind),
    ['keepalive-timeout'],
  );
  assert.equal(h.closes.length, 1);
  assert.equal(h.closes[0]?.code, CLOSE_CODES.normal);
  assert.match(h.closes[0]?.reason ?? '', /keepalive-timeout: no keepalive for 30000 ms/);
  assert.equal(h.clock.pendingTimers(), 0);
});

test('each keepalive restarts the 30 s timer and is not passed upstream', () => {
  const h = harness();
  h.clock.advance(20_000);
  h.session.receive(keepalive());
  h.clock.advance(29_999); // 49.999 s since start, 29.999 s since the keepalive
  assert.equal(h.session.isOpen(), true);
  h.session.receive(Buffer.from(keepalive())); // binary frames count too (§2.2)
  h.clock.advance(29_999);
  assert.equal(h.session.isOpen(), true);
  h.clock.advance(1);
  assert.equal(h.session.isOpen(), false);
  assert.equal(h.upstream.length, 0);
});

test('a keepalive is recognised by its operation alone, as KubeEdge does', () => {
  const h = harness();
  const odd = { ...build.newKeepalive(), route: { operation: 'keepalive' } };
  h.clock.advance(29_000);
  h.session.receive(JSON.stringify(odd));
  h.clock.advance(29_000);
  assert.equal(h.session.isOpen(), true);
  assert.equal(h.upstream.length, 0);
});

test('the keepalive timeout is configurable', () => {
  const h = harness({ keepaliveTimeoutMs: 300 });
  h.clock.advance(299);
  assert.equal(h.session.isOpen(), true);
  h.clock.advance(1);
  assert.equal(h.session.isOpen(), false);
});

test('upstream messages arrive decoded with the node/<id>/ prefix', () => {
  const h = harness();
  h.session.receive(encodeMessage(nodePatch()));
  h.session.receive(new TextEncoder().encode(encodeMessage(nodePatch())));
  assert.equal(h.upstream.length, 2);
  for (const m of h.upstream) {
    assert.equal(m.route.resource, 'node/edge-1/default/nodepatch/edge-1');
    assert.equal(m.route.operation, 'patch');
    assert.equal(m.content, '{"status":{"conditions":[]}}');
  }
  // Upstream traffic is not a keepalive: it does not hold the session open (KubeEdge neither).
  h.clock.advance(30_000);
  assert.equal(h.session.isOpen(), false);
});

test('a throwing upstream handler does not end the session', () => {
  const h = harness({
    onMessage: () => {
      throw new Error('consumer bug');
    },
  });
  h.session.receive(encodeMessage(nodePatch()));
  assert.equal(h.session.isOpen(), true);
});

test('send writes one JSON text frame and resolves once handed to the transport', async () => {
  const h = harness();
  const m = build.newMessage({
    source: 'edgecontroller',
    group: 'resource',
    operation: 'insert',
    resource: 'default/pod/nginx',
    content: { metadata: { name: 'nginx' } },
    resourceVersion: '48213',
  });
  await h.session.send(m);
  assert.equal(h.sent.length, 1);
  assert.deepEqual(decodeMessage(h.sent[0] ?? ''), m);
});

test('send rejects when the transport fails and after the session is closed', async () => {
  const h = harness();
  h.failSend.err = new Error('socket hang up');
  await assert.rejects(h.session.send(nodePatch()), NodeSessionClosedError);
  h.failSend.err = undefined;
  h.session.close('test over');
  await assert.rejects(h.session.send(nodePatch()), (err: unknown) => {
    assert.ok(err instanceof NodeSessionClosedError);
    assert.equal(err.code, 'ESESSIONCLOSED');
    assert.equal(err.retriable, true);
    assert.match(err.message, /edge-1.*closed: test over/);
    return true;
  });
  assert.deepEqual(h.closes, [{ code: 1000, reason: 'closed: test over' }]);
});

test('close is idempotent and onClose fires once', () => {
  const h = harness();
  h.session.close();
  h.session.close();
  h.session.transportClosed(1006, '');
  h.clock.advance(60_000);
  assert.equal(h.ended.length, 1);
  assert.equal(h.closes.length, 1);
});

test('a peer close ends the session without writing a close frame', () => {
  const h = harness();
  h.session.transportClosed(1001, 'bye');
  assert.deepEqual(h.ended, [{ kind: 'peer-closed', message: 'connection closed (code 1001, bye)' }]);
  assert.equal(h.closes.length, 0);
});

test('bad frames are dropped; 10 in a row close with 1008', () => {
  const h = harness();
  const garbage = ['not json', '[]', '{"header":{}}', '{"route":{}}', new Uint8Array([0xff, 0xfe])];
  for (let i = 0; i < 9; i++) h.session.receive(garbage[i % garbage.length] ?? '');
  assert.equal(h.session.isOpen(), true);
  assert.equal(h.upstream.length, 0);
  h.session.receive('still not json');
  assert.equal(h.session.isOpen(), false);
  assert.equal(h.closes[0]?.code, CLOSE_CODES.policyViolation);
  assert.equal(h.ended[0]?.kind, 'protocol-violation');
  assert.match(h.closes[0]?.reason ?? '', /10 undecodable frames in a row/);
  assert.ok(Buffer.byteLength(h.closes[0]?.reason ?? '') <= 123);
});

test('a good frame resets the bad-frame count', () => {
  const h = harness();
  for (let i = 0; i < 9; i++) h.session.receive('x');
  h.session.receive(keepalive());
  for (let i = 0; i < 9; i++) h.session.receive('x');
  assert.equal(h.session.isOpen(), true);
  h.session.receive(encodeMessage(nodePatch()));
  for (let i = 0; i < 9; i++) h.session.receive('x');
  assert.equal(h.session.isOpen(), true);
  assert.equal(h.upstream.length, 1);
});

test('oversized frames count as bad and close with 1009 when the last one was too big', () => {
  const h = harness({ maxMessageBytes: 64, maxBadFrames: 3 });
  const big = JSON.stringify({ ...build.newKeepalive(), content: 'x'.repeat(100) });
  h.session.receive(big);
  h.session.receive(Buffer.from(big));
  assert.equal(h.session.isOpen(), true);
  h.session.receive(big);
  assert.equal(h.closes[0]?.code, CLOSE_CODES.messageTooBig);
  assert.equal(h.ended[0]?.kind, 'message-too-big');
});

test('an upstream message without a resource is a bad frame', () => {
  const h = harness({ maxBadFrames: 1 });
  h.session.receive(
    JSON.stringify({ header: { msg_id: 'a', timestamp: 1 }, route: { operation: 'update' } }),
  );
  assert.equal(h.upstream.length, 0);
  assert.equal(h.closes[0]?.code, CLOSE_CODES.policyViolation);
});

test('truncateUtf8 never splits a character', () => {
  assert.equal(truncateUtf8('abc', 10), 'abc');
  assert.equal(truncateUtf8('ééé', 5), 'éé');
});
