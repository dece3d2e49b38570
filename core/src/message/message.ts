/**
 * The KubeEdge message (kubeedge-protocol.md §1.1): its model, the builders that mirror beehive's,
 * and the JSON codec used on the WebSocket, where each text frame is one message (§2.2).
 *
 * Field names, key order and empty-field omission follow beehive
 * `staging/src/github.com/kubeedge/beehive/pkg/core/model/message.go` so that a real edgecore or
 * cloudcore reads what we write and we read what they write.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.ts';
import { InvalidInputError, errorMessage } from '../errors.ts';
import { EDGEHUB_MODULE, KEEPALIVE_CONTENT } from './vocabulary.ts';
import type { Group, Operation, Source } from './vocabulary.ts';

/**
 * Go `MessageHeader`. Keys are KubeEdge's JSON keys; optional ones are left out when empty, as Go's
 * `omitempty` does.
 */
export interface MessageHeader {
  /** A UUID in KubeEdge; any non-empty string is accepted. */
  msg_id: string;
  /** Set only on replies: the id of the request being answered. EdgeHub treats any downstream message with a parent as a sync reply (`edge/pkg/edgehub/process.go`). */
  parent_msg_id?: string;
  /** Milliseconds since the Unix epoch (Go `time.Now().UnixNano() / 1e6`). */
  timestamp: number;
  /** The object's resourceVersion, for reliable delivery (§3.1). */
  resourceversion?: string;
  /** Set by beehive `SendSync`. */
  sync?: boolean;
  /** beehive context type; empty means "channel". */
  type?: string;
}

/** Go `MessageRoute`. Fields stay `string` so unknown words still travel; see vocabulary.ts. */
export interface MessageRoute {
  source?: string;
  destination?: string;
  group?: string;
  operation?: string;
  resource?: string;
}

/** Go `Message`: the JSON top-level keys are `header`, `route` and `content`. */
export interface Message<C = unknown> {
  header: MessageHeader;
  route: MessageRoute;
  /** A k8s object, a plain string (`"OK"`), a string holding JSON (patch bodies), or null (§1.1). */
  content: C;
}

/** What the builders need: injected time (ARCHITECTURE.md §4) and, for tests, a deterministic id source. */
export interface MessageContext {
  clock: Clock;
  /** Defaults to `crypto.randomUUID`, as beehive uses `uuid.New()`. */
  newId?: () => string;
}

export interface NewMessageInit<C> {
  source: Source;
  group: Group;
  operation: Operation;
  resource: string;
  content: C;
  resourceVersion?: string;
  sync?: boolean;
  parentId?: string;
}

/** Builds messages with fresh ids and injected timestamps. */
export interface MessageBuilder {
  /** beehive `NewMessage(parentID).BuildRouter(...).FillBody(...)`. */
  newMessage<C>(init: NewMessageInit<C>): Message<C>;
  /**
   * beehive `NewRespByMessage`: a new msg_id, `parent_msg_id` = the request's id, the request's
   * source, group, resource and header type, operation `response`.
   */
  newResponse<C>(request: Message, content: C): Message<C>;
  /**
   * beehive `NewErrorMessage`: operation `error`, the request's resource, no source or group, the
   * error text as content.
   */
  newErrorResponse(request: Message, error: string | Error): Message<string>;
  /** EdgeHub's keepalive (§2.3): source `websocket`, group `resource`, resource `node`, content `"ping"`. */
  newKeepalive(): Message<string>;
}

/** Returns builders bound to `ctx`. */
export function messageBuilder(ctx: MessageContext): MessageBuilder {
  const newId = ctx.newId ?? randomUUID;
  const header = (parentId: string | undefined): MessageHeader => ({
    msg_id: newId(),
    ...(parentId ? { parent_msg_id: parentId } : {}),
    timestamp: ctx.clock.now(),
  });

  return {
    newMessage<C>(init: NewMessageInit<C>): Message<C> {
      const h = header(init.parentId);
      if (init.resourceVersion) h.resourceversion = init.resourceVersion;
      if (init.sync) h.sync = true;
      return {
        header: h,
        route: {
          source: init.source,
          group: init.group,
          operation: init.operation,
          resource: init.resource,
        },
        content: init.content,
      };
    },

    newResponse<C>(request: Message, content: C): Message<C> {
      const h = header(request.header.msg_id);
      // NewRespByMessage copies the header type (SetType(message.GetType())), nothing else of the header.
      if (request.header.type) h.type = request.header.type;
      const route: MessageRoute = { operation: 'response' };
      if (request.route.source) route.source = request.route.source;
      if (request.route.group) route.group = request.route.group;
      if (request.route.resource) route.resource = request.route.resource;
      return { header: h, route: orderRoute(route), content };
    },

    newErrorResponse(request: Message, error: string | Error): Message<string> {
      // Deliberate difference from Go: NewErrorMessage passes the *request's* parent_msg_id, which
      // for a fresh request is empty, so the requester can never match the reply (and EdgeHub then
      // routes it as a new message rather than a reply). We answer the request itself.
      const h = header(request.header.msg_id);
      const route: MessageRoute = { operation: 'error' };
      if (request.route.resource) route.resource = request.route.resource;
      return {
        header: h,
        route: orderRoute(route),
        content: typeof error === 'string' ? error : error.message,
      };
    },

    newKeepalive(): Message<string> {
      return {
        header: header(undefined),
        route: { source: EDGEHUB_MODULE, group: 'resource', operation: 'keepalive', resource: 'node' },
        content: KEEPALIVE_CONTENT,
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Codec

/** viaduct's packer refuses messages over 32 MiB (§2.2); we use the same bound on the WebSocket. */
export const DEFAULT_MAX_MESSAGE_BYTES = 32 * 1024 * 1024;

/**
 * Go's encoding/json stops at depth 10000, but V8's JSON.stringify overflows its stack at about
 * 4500 levels (less on a smaller stack). A decoded message must always re-encode, so we stop much
 * earlier; real messages (k8s objects) are a few dozen levels deep.
 */
export const DEFAULT_MAX_JSON_DEPTH = 1000;

export interface DecodeLimits {
  maxBytes?: number;
  maxDepth?: number;
}

/** Go struct order of MessageRoute; encodeMessage writes route keys in this order. */
const ROUTE_KEYS = ['source', 'destination', 'group', 'operation', 'resource'] as const;

const utf8 = new TextDecoder('utf-8');

/**
 * Parses and validates one wire message, once (ARCHITECTURE.md §4: untyped JSON exists only at the
 * wire boundary). Throws `InvalidInputError` naming the field for anything else; never throws
 * anything other than `InvalidInputError`.
 *
 * Empty optional header and route fields are dropped, so `decodeMessage(encodeMessage(m))` is `m`
 * for any message the builders make. A missing `content` reads as `null`, as in Go.
 */
export function decodeMessage(data: string | Uint8Array, limits: DecodeLimits = {}): Message {
  const maxBytes = limits.maxBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const maxDepth = limits.maxDepth ?? DEFAULT_MAX_JSON_DEPTH;

  let text: string;
  if (typeof data === 'string') {
    // A UTF-16 length over the limit is always over it in UTF-8; only count bytes when it may fit.
    const size = data.length > maxBytes ? data.length : Buffer.byteLength(data, 'utf8');
    if (size > maxBytes) throw tooBig(size, maxBytes);
    text = data;
  } else if (data instanceof Uint8Array) {
    if (data.byteLength > maxBytes) throw tooBig(data.byteLength, maxBytes);
    text = utf8.decode(data);
  } else {
    throw new InvalidInputError(`message data must be a string or bytes, got ${describe(data)}`);
  }

  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new InvalidInputError(`message is not valid JSON: ${errorMessage(err)}`, { cause: err });
  }
  checkDepth(parsed, maxDepth);

  if (!isRecord(parsed))
    throw new InvalidInputError(`message must be a JSON object, got ${describe(parsed)}`);
  const header = readHeader(own(parsed, 'header'));
  const route = readRoute(own(parsed, 'route'));
  const content = own(parsed, 'content');
  return { header, route, content: content === undefined ? null : content };
}

/**
 * Writes `m` as KubeEdge's JSON: header, route, content in Go's struct order; optional keys left out
 * when empty (Go `omitempty`); `timestamp` and `content` always written; `route` always written,
 * even as `{}` (omitempty has no effect on a Go struct). `<`, `>`, `&`, U+2028 and U+2029 are
 * escaped as Go's json.Marshal does, so our bytes match Go's for the same values.
 *
 * Throws `InvalidInputError` when the header or route would not decode (so we never send what we
 * would refuse) or when the content cannot be JSON-encoded.
 */
export function encodeMessage(m: Message): string {
  // readHeader and readRoute return fresh objects in Go's key order with empty fields left out.
  const header = readHeader(m.header);
  const route = readRoute(m.route);
  const content: unknown = m.content === undefined ? null : m.content;
  if (typeof content === 'function' || typeof content === 'symbol') {
    throw new InvalidInputError(
      `message ${header.msg_id} content cannot be encoded as JSON: it is a ${typeof content}`,
    );
  }
  let json: string;
  try {
    json = JSON.stringify({ header, route, content });
  } catch (err) {
    throw new InvalidInputError(
      `message ${header.msg_id} content cannot be encoded as JSON: ${errorMessage(err)}`,
      {
        cause: err,
      },
    );
  }
  return escapeLikeGo(json);
}

// ---------------------------------------------------------------------------------------------
// Content

/**
 * The content as text, as Go's `GetContentData` gives it: a string unchanged, bytes as UTF-8,
 * anything else JSON-encoded (`null` for null).
 */
export function contentAsString(m: Message): string {
  const c = m.content;
  if (typeof c === 'string') return c;
  if (c instanceof Uint8Array) return utf8.decode(c);
  try {
    return JSON.stringify(c === undefined ? null : c);
  } catch (err) {
    throw new InvalidInputError(
      `message ${m.header.msg_id} content cannot be encoded as JSON: ${errorMessage(err)}`,
      {
        cause: err,
      },
    );
  }
}

/**
 * The content as a JSON value: a string (or bytes) is parsed, as Go does with `GetContentData` then
 * `json.Unmarshal` (patch bodies arrive as strings holding JSON); any other content is already a
 * parsed value and is returned as is, not copied. The type parameter is not checked.
 */
export function contentAsJson<T>(m: Message): T {
  const c = m.content;
  if (typeof c !== 'string' && !(c instanceof Uint8Array)) return c as T;
  const text = typeof c === 'string' ? c : utf8.decode(c);
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new InvalidInputError(
      `message ${m.header.msg_id} content is a string but not JSON: ${errorMessage(err)}`,
      {
        cause: err,
      },
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Validation helpers

function readHeader(v: unknown): MessageHeader {
  if (!isRecord(v)) throw new InvalidInputError(`message header must be an object, got ${describe(v)}`);

  const msgId = own(v, 'msg_id');
  if (typeof msgId !== 'string' || msgId === '') {
    throw new InvalidInputError(`message header.msg_id must be a non-empty string, got ${describe(msgId)}`);
  }
  const timestamp = own(v, 'timestamp');
  if (typeof timestamp !== 'number' || !Number.isSafeInteger(timestamp)) {
    throw new InvalidInputError(
      `message header.timestamp must be an integer (milliseconds since the epoch), got ${describe(timestamp)}`,
    );
  }
  const parentId = optionalString(v, 'parent_msg_id');
  const resourceVersion = optionalString(v, 'resourceversion');
  const sync = own(v, 'sync');
  if (sync !== undefined && typeof sync !== 'boolean') {
    throw new InvalidInputError(`message header.sync must be a boolean, got ${describe(sync)}`);
  }
  const type = optionalString(v, 'type');

  // Go's struct order, so a decoded header prints like an encoded one; empty fields left out.
  return {
    msg_id: msgId,
    ...(parentId ? { parent_msg_id: parentId } : {}),
    timestamp,
    ...(resourceVersion ? { resourceversion: resourceVersion } : {}),
    ...(sync ? { sync: true } : {}),
    ...(type ? { type } : {}),
  };
}

function optionalString(o: Record<string, unknown>, key: string): string | undefined {
  const value = own(o, key);
  if (value !== undefined && typeof value !== 'string') {
    throw new InvalidInputError(`message header.${key} must be a string, got ${describe(value)}`);
  }
  return value;
}

function readRoute(v: unknown): MessageRoute {
  if (!isRecord(v)) throw new InvalidInputError(`message route must be an object, got ${describe(v)}`);
  const route: MessageRoute = {};
  for (const key of ROUTE_KEYS) {
    const value = own(v, key);
    if (value === undefined) continue;
    if (typeof value !== 'string') {
      throw new InvalidInputError(`message route.${key} must be a string, got ${describe(value)}`);
    }
    if (value !== '') route[key] = value;
  }
  return route;
}

function orderRoute(r: MessageRoute): MessageRoute {
  const out: MessageRoute = {};
  for (const key of ROUTE_KEYS) if (r[key] !== undefined) out[key] = r[key];
  return out;
}

/** Iterative, so hostile nesting cannot overflow our own stack either. */
function checkDepth(value: unknown, maxDepth: number): void {
  const stack: Array<[unknown, number]> = [[value, 1]];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const [v, depth] = item;
    if (typeof v !== 'object' || v === null) continue;
    if (depth > maxDepth) throw new InvalidInputError(`message is nested deeper than ${maxDepth} levels`);
    const children: unknown[] = Array.isArray(v) ? v : Object.values(v);
    for (const child of children) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
}

function tooBig(size: number, maxBytes: number): InvalidInputError {
  return new InvalidInputError(`message is ${size} bytes, over the ${maxBytes}-byte limit`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Own properties only: nothing on Object.prototype can stand in for a missing field. */
function own(o: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (v === '') return 'an empty string';
  if (typeof v === 'number') return Number.isFinite(v) ? `the number ${v}` : 'a non-finite number';
  return `a ${typeof v}`;
}

const GO_ESCAPES: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

/**
 * Go's json.Marshal (and gorilla's WriteJSON, via json.Encoder) escapes these for HTML safety. In
 * JSON text they can only occur inside strings, so replacing them in the whole text is safe.
 */
function escapeLikeGo(json: string): string {
  return json.replace(/[<>&\u2028\u2029]/g, (ch) => GO_ESCAPES[ch] ?? ch);
}
