import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../clock.ts';
import { InvalidInputError } from '../errors.ts';
import {
  DEFAULT_MAX_JSON_DEPTH,
  contentAsJson,
  contentAsString,
  decodeMessage,
  encodeMessage,
  messageBuilder,
} from './message.ts';
import type { Message } from './message.ts';

// kubeedge-protocol.md §11, with concrete ids and timestamps filled in. Canonical form: Go's struct
// key order (header, route, content; msg_id, parent_msg_id, timestamp, resourceversion, sync, type;
// source, destination, group, operation, resource) and no empty optional keys.
const INSERT_ID = '7d0c9a52-3c1e-4b8e-9f3a-2f6f1d1e8a01';
const GOLDEN = {
  podInsert:
    `{"header":{"msg_id":"${INSERT_ID}","timestamp":1754450000000,"resourceversion":"48213"},` +
    '"route":{"source":"edgecontroller","group":"resource","operation":"insert","resource":"default/pod/nginx"},' +
    '"content":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"nginx","namespace":"default",' +
    '"uid":"5f0e4a1c-8b7d-4c2e-9a6b-1d3f5e7a9c0b","resourceVersion":"48213"},"spec":{"nodeName":"edge-1"}}}',
  ack:
    `{"header":{"msg_id":"a1f4e2b8-6c0d-4e5a-8b9c-0d1e2f3a4b5c","parent_msg_id":"${INSERT_ID}","timestamp":1754450000123},` +
    '"route":{"source":"edgecontroller","group":"resource","operation":"response","resource":"default/pod/nginx"},"content":"OK"}',
  keepalive:
    '{"header":{"msg_id":"c3d2e1f0-1a2b-4c3d-8e4f-5a6b7c8d9e0f","timestamp":1754450015000},' +
    '"route":{"source":"websocket","group":"resource","operation":"keepalive","resource":"node"},"content":"ping"}',
  query:
    '{"header":{"msg_id":"q1","timestamp":1754450020000},' +
    '"route":{"source":"edged","group":"meta","operation":"query","resource":"default/configmap/app-cfg"},"content":null}',
};

function builderAt(ms: number, ...ids: string[]) {
  const queue = [...ids];
  return messageBuilder({
    clock: new FakeClock(ms),
    newId: () => {
      const id = queue.shift();
      assert.ok(id !== undefined, 'test ran out of ids');
      return id;
    },
  });
}

function assertInvalid(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof InvalidInputError, `expected InvalidInputError, got ${String(err)}`);
    assert.match(err.message, message);
    return true;
  });
}

test('golden messages decode and re-encode byte for byte', () => {
  for (const [name, line] of Object.entries(GOLDEN)) {
    assert.equal(encodeMessage(decodeMessage(line)), line, name);
    assert.equal(encodeMessage(decodeMessage(Buffer.from(line + '\n'))), line, `${name} as bytes`);
  }
});

test('a decoded pod insert exposes the KubeEdge fields', () => {
  const m = decodeMessage(GOLDEN.podInsert);
  assert.deepEqual(m.header, { msg_id: INSERT_ID, timestamp: 1754450000000, resourceversion: '48213' });
  assert.deepEqual(m.route, {
    source: 'edgecontroller',
    group: 'resource',
    operation: 'insert',
    resource: 'default/pod/nginx',
  });
  assert.equal((m.content as { kind: string }).kind, 'Pod');
});

test('the response MetaManager builds for the pod insert is the ACK example', () => {
  const insert = decodeMessage(GOLDEN.podInsert);
  const ack = builderAt(1754450000123, 'a1f4e2b8-6c0d-4e5a-8b9c-0d1e2f3a4b5c').newResponse(insert, 'OK');
  assert.equal(encodeMessage(ack), GOLDEN.ack);
  assert.deepEqual(ack, decodeMessage(GOLDEN.ack));
});

test('the keepalive is the example', () => {
  const ping = builderAt(1754450015000, 'c3d2e1f0-1a2b-4c3d-8e4f-5a6b7c8d9e0f').newKeepalive();
  assert.equal(encodeMessage(ping), GOLDEN.keepalive);
});

test('newMessage builds the edged query example', () => {
  const q = builderAt(1754450020000, 'q1').newMessage({
    source: 'edged',
    group: 'meta',
    operation: 'query',
    resource: 'default/configmap/app-cfg',
    content: null,
  });
  assert.equal(encodeMessage(q), GOLDEN.query);
});

test('newMessage sets parent, resourceversion and sync only when given', () => {
  const b = builderAt(5, 'id-1', 'id-2');
  const full = b.newMessage({
    source: 'edgecontroller',
    group: 'resource',
    operation: 'update',
    resource: 'node/edge-1/default/secret/s',
    content: {},
    resourceVersion: '7',
    sync: true,
    parentId: 'p',
  });
  assert.deepEqual(full.header, {
    msg_id: 'id-1',
    parent_msg_id: 'p',
    timestamp: 5,
    resourceversion: '7',
    sync: true,
  });
  const bare = b.newMessage({
    source: 'twin',
    group: 'twin',
    operation: 'get',
    resource: 'membership/detail',
    content: 'x',
  });
  assert.deepEqual(bare.header, { msg_id: 'id-2', timestamp: 5 });
});

test('a default builder makes UUIDs and reads the injected clock', () => {
  const clock = new FakeClock(1000);
  const b = messageBuilder({ clock });
  const a = b.newKeepalive();
  clock.advance(15_000);
  const c = b.newKeepalive();
  assert.match(a.header.msg_id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.notEqual(a.header.msg_id, c.header.msg_id);
  assert.equal(a.header.timestamp, 1000);
  assert.equal(c.header.timestamp, 16_000);
});

test('newResponse copies source, group, resource and header type, not destination or resourceversion', () => {
  const request: Message = {
    header: { msg_id: 'req', timestamp: 1, resourceversion: '9', sync: true, type: 'unixsocket' },
    route: {
      source: 'edged',
      destination: 'metamanager',
      group: 'meta',
      operation: 'query',
      resource: 'default/pod',
    },
    content: null,
  };
  const resp = builderAt(2, 'resp').newResponse(request, [{ kind: 'Pod' }]);
  assert.deepEqual(resp, {
    header: { msg_id: 'resp', parent_msg_id: 'req', timestamp: 2, type: 'unixsocket' },
    route: { source: 'edged', group: 'meta', operation: 'response', resource: 'default/pod' },
    content: [{ kind: 'Pod' }],
  });
});

test('newErrorResponse answers the request with operation error and no source or group', () => {
  const request = decodeMessage(GOLDEN.query);
  const b = builderAt(3, 'e1', 'e2');
  const fromString = b.newErrorResponse(request, 'configmap not found');
  assert.equal(
    encodeMessage(fromString),
    '{"header":{"msg_id":"e1","parent_msg_id":"q1","timestamp":3},' +
      '"route":{"operation":"error","resource":"default/configmap/app-cfg"},"content":"configmap not found"}',
  );
  assert.equal(b.newErrorResponse(request, new Error('not connected')).content, 'not connected');
});

test('encodeMessage leaves out empty optional keys as Go omitempty does, but keeps route and content', () => {
  const m: Message = {
    header: { msg_id: 'x', parent_msg_id: '', timestamp: 0, resourceversion: '', sync: false, type: '' },
    route: { source: '', destination: '', group: '', operation: '', resource: '' },
    content: undefined,
  };
  assert.equal(encodeMessage(m), '{"header":{"msg_id":"x","timestamp":0},"route":{},"content":null}');
});

test('encodeMessage writes keys in Go struct order whatever order the object has', () => {
  const m = {
    content: 1,
    route: { resource: 'r', operation: 'o', group: 'g', destination: 'd', source: 's' },
    header: { type: 't', sync: true, resourceversion: '1', timestamp: 2, parent_msg_id: 'p', msg_id: 'i' },
  };
  assert.equal(
    encodeMessage(m),
    '{"header":{"msg_id":"i","parent_msg_id":"p","timestamp":2,"resourceversion":"1","sync":true,"type":"t"},' +
      '"route":{"source":"s","destination":"d","group":"g","operation":"o","resource":"r"},"content":1}',
  );
});

test('encodeMessage escapes <, >, &, U+2028 and U+2029 as Go json.Marshal does', () => {
  const m: Message = {
    header: { msg_id: 'x', timestamp: 1 },
    route: {},
    content: { 'a<b': 'c>d & e\u2028\u2029' },
  };
  const json = encodeMessage(m);
  assert.equal(
    json,
    '{"header":{"msg_id":"x","timestamp":1},"route":{},"content":{"a\\u003cb":"c\\u003ed \\u0026 e\\u2028\\u2029"}}',
  );
  assert.deepEqual(decodeMessage(json), m);
});

test('encodeMessage refuses what decodeMessage would refuse, and content JSON cannot hold', () => {
  const ok: Message = { header: { msg_id: 'x', timestamp: 1 }, route: {}, content: null };
  assertInvalid(() => encodeMessage({ ...ok, header: { msg_id: '', timestamp: 1 } }), /header\.msg_id/);
  assertInvalid(() => encodeMessage({ ...ok, header: { msg_id: 'x', timestamp: 1.5 } }), /header\.timestamp/);
  assertInvalid(() => encodeMessage({ ...ok, content: 10n }), /content cannot be encoded/);
  const cycle: Record<string, unknown> = {};
  cycle.self = cycle;
  assertInvalid(() => encodeMessage({ ...ok, content: cycle }), /content cannot be encoded/);
  assertInvalid(() => encodeMessage({ ...ok, content: () => 1 }), /content cannot be encoded/);
});

test('unknown operations, groups and sources travel unchanged', () => {
  const line =
    '{"header":{"msg_id":"u","timestamp":1},"route":{"source":"nodeupgrade-v2","group":"newgroup","operation":"prepull","resource":"x"},"content":{"a":[1,2]}}';
  assert.equal(encodeMessage(decodeMessage(line)), line);
});

test('decodeMessage normalises empty optional fields away and reads a missing content as null', () => {
  const m = decodeMessage(
    '{"header":{"msg_id":"x","parent_msg_id":"","timestamp":1,"resourceversion":"","sync":false,"type":""},' +
      '"route":{"source":"","resource":"r"},"extra":1}',
  );
  assert.deepEqual(m, { header: { msg_id: 'x', timestamp: 1 }, route: { resource: 'r' }, content: null });
});

test('decodeMessage rejects each bad field, naming it', () => {
  const h = '"header":{"msg_id":"x","timestamp":1}';
  const cases: Array<[string, RegExp]> = [
    ['', /^message is not valid JSON/],
    ['{"header":', /^message is not valid JSON/],
    ['[]', /^message must be a JSON object, got an array$/],
    ['null', /^message must be a JSON object, got null$/],
    ['"OK"', /^message must be a JSON object, got a string$/],
    ['{"route":{}}', /^message header must be an object, got nothing$/],
    ['{"header":[],"route":{}}', /^message header must be an object, got an array$/],
    [
      '{"header":{"timestamp":1},"route":{}}',
      /^message header\.msg_id must be a non-empty string, got nothing$/,
    ],
    [
      '{"header":{"msg_id":"","timestamp":1},"route":{}}',
      /^message header\.msg_id must be a non-empty string, got an empty string$/,
    ],
    [
      '{"header":{"msg_id":7,"timestamp":1},"route":{}}',
      /^message header\.msg_id must be a non-empty string, got the number 7$/,
    ],
    ['{"header":{"msg_id":"x"},"route":{}}', /^message header\.timestamp must be an integer/],
    [
      '{"header":{"msg_id":"x","timestamp":"1"},"route":{}}',
      /^message header\.timestamp must be an integer.*got a string$/,
    ],
    [
      '{"header":{"msg_id":"x","timestamp":1.5},"route":{}}',
      /^message header\.timestamp must be an integer.*1\.5$/,
    ],
    [
      '{"header":{"msg_id":"x","timestamp":1e300},"route":{}}',
      /^message header\.timestamp must be an integer/,
    ],
    [
      '{"header":{"msg_id":"x","timestamp":1,"parent_msg_id":1},"route":{}}',
      /^message header\.parent_msg_id must be a string/,
    ],
    [
      '{"header":{"msg_id":"x","timestamp":1,"resourceversion":48213},"route":{}}',
      /^message header\.resourceversion must be a string/,
    ],
    [
      '{"header":{"msg_id":"x","timestamp":1,"sync":"true"},"route":{}}',
      /^message header\.sync must be a boolean, got a string$/,
    ],
    [
      '{"header":{"msg_id":"x","timestamp":1,"type":null},"route":{}}',
      /^message header\.type must be a string, got null$/,
    ],
    [`{${h}}`, /^message route must be an object, got nothing$/],
    [`{${h},"route":"edged"}`, /^message route must be an object, got a string$/],
    [`{${h},"route":{"source":1}}`, /^message route\.source must be a string/],
    [`{${h},"route":{"destination":{}}}`, /^message route\.destination must be a string/],
    [`{${h},"route":{"group":true}}`, /^message route\.group must be a string/],
    [`{${h},"route":{"operation":null}}`, /^message route\.operation must be a string/],
    [`{${h},"route":{"resource":["a"]}}`, /^message route\.resource must be a string, got an array$/],
  ];
  for (const [input, message] of cases) assertInvalid(() => decodeMessage(input), message);
});

test('decodeMessage enforces the size limit in bytes, for strings and buffers', () => {
  const line = GOLDEN.keepalive;
  const bytes = Buffer.byteLength(line);
  assert.ok(decodeMessage(line, { maxBytes: bytes }));
  assertInvalid(
    () => decodeMessage(line, { maxBytes: bytes - 1 }),
    new RegExp(`^message is ${bytes} bytes, over`),
  );
  assertInvalid(() => decodeMessage(Buffer.from(line), { maxBytes: 10 }), /over the 10-byte limit/);
  // "é" is one UTF-16 unit but two UTF-8 bytes: the limit counts bytes.
  const accented = line.replace('ping', 'é'.repeat(10));
  assertInvalid(() => decodeMessage(accented, { maxBytes: Buffer.byteLength(accented) - 1 }), /over the/);
  assertInvalid(() => decodeMessage('x'.repeat(33 * 1024 * 1024)), /over the 33554432-byte limit/);
});

test('decodeMessage rejects deep nesting without overflowing the stack', () => {
  const nest = (n: number) =>
    `{"header":{"msg_id":"x","timestamp":1},"route":{},"content":${'['.repeat(n)}${']'.repeat(n)}}`;
  // The top-level object is level 1, so content may open DEFAULT_MAX_JSON_DEPTH - 1 arrays.
  const deepest = decodeMessage(nest(DEFAULT_MAX_JSON_DEPTH - 1));
  assert.ok(encodeMessage(deepest).length > 0);
  assertInvalid(() => decodeMessage(nest(DEFAULT_MAX_JSON_DEPTH)), /nested deeper than 1000 levels/);
  assertInvalid(() => decodeMessage(nest(200_000)), /nested deeper/);
  assertInvalid(() => decodeMessage('{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000)), /nested deeper/);
  assert.ok(decodeMessage(nest(10), { maxDepth: 11 }));
  assertInvalid(() => decodeMessage(nest(10), { maxDepth: 10 }), /deeper than 10 levels/);
});

test('__proto__ keys neither pollute prototypes nor stand in for fields', () => {
  const m = decodeMessage(
    '{"__proto__":{"polluted":1},"header":{"msg_id":"x","timestamp":1,"__proto__":{"sync":true}},' +
      '"route":{"__proto__":{"source":"evil"}},"content":{"__proto__":{"polluted":2},"a":1}}',
  );
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(Object.getPrototypeOf(m.content), Object.prototype);
  assert.deepEqual(m.header, { msg_id: 'x', timestamp: 1 });
  assert.deepEqual(m.route, {});
  assertInvalid(
    () => decodeMessage('{"header":{"__proto__":{"msg_id":"x"},"timestamp":1},"route":{}}'),
    /header\.msg_id must be a non-empty string, got nothing/,
  );
  // What we decode we can encode again, __proto__ key included.
  assert.match(encodeMessage(m), /"content":\{"__proto__":\{"polluted":2\},"a":1\}/);
});

test('decodeMessage rejects data that is neither a string nor bytes', () => {
  assertInvalid(() => decodeMessage(42 as unknown as string), /must be a string or bytes, got the number 42/);
  assertInvalid(
    () => decodeMessage(undefined as unknown as string),
    /must be a string or bytes, got nothing/,
  );
});

/** A small deterministic PRNG (mulberry32) so a fuzz failure can be replayed. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function decodeOrInvalid(input: string | Uint8Array): Message | undefined {
  try {
    return decodeMessage(input);
  } catch (err) {
    assert.ok(
      err instanceof InvalidInputError,
      `non-InvalidInputError for ${JSON.stringify(String(input))}: ${String(err)}`,
    );
    return undefined;
  }
}

test('fuzz: garbage never throws anything but InvalidInputError, and what decodes round-trips', () => {
  const rand = prng(0x5eed);
  const int = (n: number) => Math.floor(rand() * n);
  const alphabet = '{}[]":,\\ 0123456789.-eEtruefalsn_msgidheaderoutecontent\u0000\u00e9\ud800';
  const lines = Object.values(GOLDEN);
  let decoded = 0;

  for (let i = 0; i < 3000; i++) {
    const bytes = new Uint8Array(int(64));
    for (let j = 0; j < bytes.length; j++) bytes[j] = int(256);
    decodeOrInvalid(bytes);
  }
  for (let i = 0; i < 5000; i++) {
    const base = lines[int(lines.length)] ?? '';
    const chars = [...base];
    for (let k = 1 + int(4); k > 0; k--) {
      const at = int(chars.length + 1);
      const op = int(3);
      const ch = alphabet[int(alphabet.length)] ?? '';
      if (op === 0) chars.splice(at, 1);
      else if (op === 1) chars.splice(at, 0, ch);
      else chars[at] = ch;
    }
    const input = rand() < 0.5 ? chars.join('') : Buffer.from(chars.join(''));
    const m = decodeOrInvalid(input);
    if (m === undefined) continue;
    decoded++;
    assert.deepEqual(decodeMessage(encodeMessage(m)), m);
  }
  assert.ok(decoded > 100, `only ${decoded} mutated messages decoded: the fuzz is not reaching validation`);
});

test('contentAsString follows Go GetContentData: strings unchanged, everything else JSON', () => {
  const at = (content: unknown): Message => ({ header: { msg_id: 'x', timestamp: 1 }, route: {}, content });
  assert.equal(contentAsString(at('OK')), 'OK');
  assert.equal(contentAsString(at('{"a":1}')), '{"a":1}');
  assert.equal(contentAsString(at({ a: 1 })), '{"a":1}');
  assert.equal(contentAsString(at(null)), 'null');
  assert.equal(contentAsString(at(undefined)), 'null');
  assert.equal(contentAsString(at(Buffer.from('raw'))), 'raw');
  assertInvalid(() => contentAsString(at(1n)), /content cannot be encoded/);
});

test('contentAsJson parses a string holding JSON and passes parsed values through', () => {
  const patch = decodeMessage(
    '{"header":{"msg_id":"p","timestamp":1},"route":{"operation":"patch","resource":"default/podpatch/nginx"},' +
      '"content":"{\\"status\\":{\\"phase\\":\\"Running\\"}}"}',
  );
  assert.deepEqual(contentAsJson<{ status: { phase: string } }>(patch), { status: { phase: 'Running' } });
  const insert = decodeMessage(GOLDEN.podInsert);
  assert.equal(contentAsJson(insert), insert.content);
  assert.equal(contentAsJson(decodeMessage(GOLDEN.query)), null);
  assertInvalid(
    () => contentAsJson(decodeMessage(GOLDEN.ack)),
    /^message a1f4e2b8\S* content is a string but not JSON/,
  );
});
