/**
 * EdgeHub: the edge end of cloudhub's WebSocket (kubeedge-protocol.md §2.2–2.3; KubeEdge
 * `edge/pkg/edgehub/{edgehub.go,process.go}`, `clients/wsclient/websocket.go`).
 *
 * Wire behaviour kept from KubeEdge, so a real cloudcore accepts us:
 * - URL `wss://<cloud>:10000/<projectID>/<nodeName>/events`, headers `node_id`, `project_id`,
 *   `ConnectionUse: msg`; TLS ≥ 1.2 with the node's client certificate, the server verified
 *   against the cloud CA (§2.1, §2.2).
 * - One JSON message per frame, text frames written, text and binary frames read (§2.2).
 * - A keepalive (source `websocket`, resource `node`, operation `keepalive`, content `ping`) every
 *   15 s; the cloud closes a session idle for 30 s (§2.3). No WebSocket ping frames.
 *
 * Better than KubeEdge on purpose (ARCHITECTURE.md §5):
 * - Reconnect with jittered exponential backoff (backoff.ts) instead of 5 s × 5 then 30 s.
 * - Upstream messages go through a queue and are never lost to a link break (KubeEdge loses the
 *   message being written, §2.3, issue #6615). `ws.send`'s callback only says the frame reached
 *   the kernel, which a break can still lose (the socket test shows it), so after handing frames
 *   over EdgeHub sends a WebSocket ping: frames are read in order and RFC 6455 §5.5.2 requires a
 *   pong, so the pong proves the cloud read every earlier frame, and only then do they leave the
 *   queue. Whatever is unproven when the link breaks is sent again after reconnect, in order.
 *   A reply from the cloud proves the same for the frame it answers (its parent_msg_id) and every
 *   earlier one, so the ping waits `deliveryPingDelayMs` (200 ms) and is not sent when replies have
 *   confirmed every frame by then: request/reply traffic (lease renewals, registration, status)
 *   costs the cloud no pong writes.
 *   Delivery is at-least-once: a frame read just before the break arrives twice; receivers dedupe
 *   by `msg_id` (fresh per message) or, for object state, by resourceVersion. A peer that never
 *   answers pings (KubeEdge itself uses none, §2.3) is detected after the write deadline and the
 *   connection falls back to releasing frames on write confirmation, with a warning.
 * - A write or pong not confirmed within the write deadline (15 s, KubeEdge's write deadline, §2.3)
 *   ends the connection, so a half-open link is noticed without waiting for TCP's retransmit timeout.
 * - A refused upgrade (401/403, e.g. a certificate whose CN is not this node) is logged with the
 *   cloud's reason and retried with backoff; nothing throws out of the connection loop.
 *
 * No globals and no I/O in the constructor (ARCHITECTURE.md §4): `start()` connects, `stop()`
 * closes and leaves no timer behind. All protocol timers use the injected clock.
 */
import WebSocket, { type RawData } from 'ws';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { createSecureContext, type ConnectionOptions, type SecureContext } from 'node:tls';
import {
  InvalidInputError,
  ResourceBusyError,
  decodeMessage,
  encodeMessage,
  errorMessage,
  messageBuilder,
  DEFAULT_MAX_MESSAGE_BYTES,
  type Clock,
  type Logger,
  type Message,
  type MessageBuilder,
  type TimerHandle,
} from '@edgeproof/core';
import { Backoff, type BackoffOptions } from './backoff.ts';
import { parseCertServer, type NodeCredentials } from './certificates.ts';

/** KubeEdge's default projectID (`edge/pkg/edgehub/config/config.go`, §2.2). */
export const DEFAULT_PROJECT_ID = 'e632aba927ea4ac2b575ec1603d56f10';
/** cloudhub's WebSocket port (§2.1). */
export const DEFAULT_CLOUDHUB_PORT = 10000;
/** `heartbeat` (§2.3). */
export const DEFAULT_KEEPALIVE_INTERVAL_MS = 15_000;
/** KubeEdge's write deadline (§2.3). */
export const DEFAULT_WRITE_TIMEOUT_MS = 15_000;
/**
 * The opening handshake (TCP, TLS, upgrade) may take this long: KubeEdge's
 * `edgeHub.websocket.handshakeTimeout` default, 30 s (`pkg/apis/componentconfig/edgecore/v1alpha2/
 * default.go`). Shorter fails a whole site's nodes at once when they all dial a busy cloudcore after a
 * power cut: each handshake is slow because thousands run at once, and each retry adds to the load.
 */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_QUEUED_MESSAGES = 10_000;
/** Stop handing frames to the socket while this much is buffered; resume on write callbacks. */
const HIGH_WATER_BYTES = 1024 * 1024;
/**
 * How long frames handed to the socket wait for replies before a ping asks the cloud to confirm
 * them. Cloudcore answers a lease renewal within milliseconds unless loaded; at 5,000 nodes the
 * pongs were 6 % of its CPU while they connected (cloudhub bench profile).
 */
export const DEFAULT_DELIVERY_PING_DELAY_MS = 200;
/** How long `stop()` waits for the close handshake before cutting the socket. */
const CLOSE_TIMEOUT_MS = 2_000;
/** Bytes of a refused upgrade's body kept for the log. */
const REFUSAL_BODY_BYTES = 2048;

export interface EdgeHubOptions {
  /** cloudhub's WebSocket address, `host:port` (`[v6]:port`); the port defaults to 10000. */
  server: string;
  nodeName: string;
  /** Default `DEFAULT_PROJECT_ID`. */
  projectId?: string;
  /** From `ensureNodeCertificate`. */
  credentials: Pick<NodeCredentials, 'caPem' | 'certPem' | 'keyPem'>;
  clock: Clock;
  logger: Logger;
  /** Every decoded downstream message. Errors it throws are logged, never end the connection. */
  onMessage: (message: Message) => void;
  /**
   * The link came up (true) or went down (false); KubeEdge's EdgeHub broadcasts `cloud_connected` /
   * `cloud_disconnected` on `node/connection` at these points (§2.3). Called once per change.
   */
  onConnectionChange?: (connected: boolean) => void;
  keepaliveIntervalMs?: number;
  writeTimeoutMs?: number;
  handshakeTimeoutMs?: number;
  /** How long handed frames wait for replies before a delivery ping; default 200 ms. */
  deliveryPingDelayMs?: number;
  backoff?: BackoffOptions;
  /** Upstream messages held while the link is down; `send` throws when full. Default 10 000. */
  maxQueuedMessages?: number;
  /** Message ids; default `crypto.randomUUID` (tests pass a deterministic one). */
  newId?: () => string;
}

interface Queued {
  id: string;
  frame: string;
}

/** One node's link to cloudhub; see the module comment for the guarantees. */
export class EdgeHub {
  private readonly opts: EdgeHubOptions;
  private readonly log: Logger;
  private readonly url: string;
  private readonly host: string;
  private readonly builder: MessageBuilder;
  private readonly backoff: Backoff;
  private readonly keepaliveMs: number;
  private readonly writeTimeoutMs: number;
  private readonly maxQueued: number;
  private credentials: EdgeHubOptions['credentials'];
  private tlsContext: { credentials: EdgeHubOptions['credentials']; context: SecureContext } | undefined;

  private readonly queue: Queued[] = [];
  /** Queue entries handed to the current socket (always the head of the queue). */
  private handed = 0;
  /** Of those, how many `ws.send` has confirmed written to the socket. */
  private written = 0;
  /** Last write progress, for the write deadline. */
  private lastWriteAt = 0;
  /** The outstanding ping: its id, how many queue entries it covers, when it was sent. */
  private ping: { id: number; covers: number; sentAt: number } | undefined;
  private pingCounter = 0;
  /** This connection has answered a ping. */
  private pongSeen = false;
  /** This connection never answered a ping: release entries on write confirmation instead. */
  private pongless = false;

  private ws: WebSocket | undefined;
  /** Bumped per connection attempt so callbacks from an old socket are ignored. */
  private generation = 0;
  private isConnected = false;
  private started = false;
  private stopped = false;
  private reconnectNow = false;
  private dialFailures = 0;
  private reconnectTimer: TimerHandle | undefined;
  private keepaliveTimer: TimerHandle | undefined;
  private closeTimer: TimerHandle | undefined;
  private pingTimer: TimerHandle | undefined;
  private readonly pingDelayMs: number;
  private closed: (() => void) | undefined;

  constructor(options: EdgeHubOptions) {
    this.opts = options;
    this.log = options.logger.child('edgehub');
    const { host, port } = parseCertServer(options.server, DEFAULT_CLOUDHUB_PORT);
    this.host = host;
    const projectId = options.projectId ?? DEFAULT_PROJECT_ID;
    const hostPart = isIP(host) === 6 ? `[${host}]` : host;
    this.url = `wss://${hostPart}:${port}/${encodeURIComponent(projectId)}/${encodeURIComponent(options.nodeName)}/events`;
    this.builder = messageBuilder({
      clock: options.clock,
      ...(options.newId ? { newId: options.newId } : {}),
    });
    this.backoff = new Backoff(options.backoff);
    this.keepaliveMs = positive(
      options.keepaliveIntervalMs ?? DEFAULT_KEEPALIVE_INTERVAL_MS,
      'keepaliveIntervalMs',
    );
    this.writeTimeoutMs = positive(options.writeTimeoutMs ?? DEFAULT_WRITE_TIMEOUT_MS, 'writeTimeoutMs');
    this.pingDelayMs = positive(
      options.deliveryPingDelayMs ?? DEFAULT_DELIVERY_PING_DELAY_MS,
      'deliveryPingDelayMs',
    );
    this.maxQueued = positive(options.maxQueuedMessages ?? DEFAULT_MAX_QUEUED_MESSAGES, 'maxQueuedMessages');
    this.credentials = options.credentials;
  }

  /** The URL dialled: `wss://<host>:<port>/<projectID>/<nodeName>/events`. */
  get endpoint(): string {
    return this.url;
  }

  /** True while the WebSocket is open. */
  get connected(): boolean {
    return this.isConnected;
  }

  /** Dials that ended before the session opened (refused, timed out, reset), since construction. */
  get failedDials(): number {
    return this.dialFailures;
  }

  /** Upstream messages not yet confirmed written (queued or in flight). */
  pendingMessages(): number {
    return this.queue.length;
  }

  /** Starts connecting; reconnects until `stop()`. Returns at once; watch `onConnectionChange`. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.connect();
  }

  /** Closes the link (close code 1000) and cancels every timer; queued messages stay queued. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.reconnectTimer?.cancel();
    this.reconnectTimer = undefined;
    const ws = this.ws;
    if (ws === undefined) return;
    const done = new Promise<void>((resolve) => (this.closed = resolve));
    if (ws.readyState === WebSocket.CONNECTING) {
      ws.terminate();
    } else {
      ws.close(1000, 'edgehub stopping');
      this.closeTimer = this.opts.clock.setTimeout(() => ws.terminate(), CLOSE_TIMEOUT_MS);
    }
    await done;
  }

  /**
   * Queues `message` for the cloud; it is sent now if connected, else after reconnect. Throws
   * `InvalidInputError` if it cannot be encoded, `ResourceBusyError` if the queue is full.
   */
  send(message: Message): void {
    const frame = encodeMessage(message);
    if (this.queue.length >= this.maxQueued) {
      throw new ResourceBusyError(
        `edgehub's upstream queue is full (${this.maxQueued} messages) because the cloud has not been reachable; message ${message.header.msg_id} was not queued`,
      );
    }
    this.queue.push({ id: message.header.msg_id, frame });
    this.pump();
  }

  /**
   * Uses new credentials (after `rotateIfDue`) from the next connection on, and reconnects now,
   * as KubeEdge does after a rotation (§2.3).
   */
  setCredentials(credentials: EdgeHubOptions['credentials']): void {
    this.credentials = credentials;
    if (this.ws !== undefined && !this.stopped) {
      this.reconnectNow = true;
      this.ws.close(1000, 'certificate rotated');
    }
  }

  // -------------------------------------------------------------------------------------------

  private connect(): void {
    this.reconnectTimer = undefined;
    if (this.stopped) return;
    const gen = ++this.generation;
    let secureContext: SecureContext;
    try {
      secureContext = this.secureContext();
    } catch (err) {
      const delay = this.backoff.next();
      this.log.error(
        'the node certificate, key or CA cannot be used for TLS; fix or remove them and join again',
        {
          error: errorMessage(err),
          retryInMs: delay,
        },
      );
      this.reconnectTimer = this.opts.clock.setTimeout(() => this.connect(), delay);
      return;
    }
    // ws hands its options on to tls.connect, secureContext included (its types leave it out).
    const options: WebSocket.ClientOptions & Pick<ConnectionOptions, 'secureContext'> = {
      headers: {
        node_id: this.opts.nodeName,
        project_id: this.opts.projectId ?? DEFAULT_PROJECT_ID,
        ConnectionUse: 'msg',
      },
      secureContext,
      ...(isIP(this.host) === 0 ? { servername: this.host } : {}),
      handshakeTimeout: this.opts.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
      perMessageDeflate: false, // gorilla/viaduct does not negotiate compression
      maxPayload: DEFAULT_MAX_MESSAGE_BYTES,
      followRedirects: false,
    };
    const ws = new WebSocket(this.url, options);
    this.ws = ws;
    let lastError: string | undefined;
    ws.on('unexpected-response', (req: ClientRequest, res: IncomingMessage) => this.onRefused(ws, req, res));
    ws.on('open', () => this.onOpen(gen));
    ws.on('message', (data: RawData) => this.onFrame(data));
    ws.on('pong', (data: Buffer) => this.onPong(gen, data));
    ws.on('error', (err: Error) => {
      lastError = err.message;
    });
    ws.on('close', (code: number, reason: Buffer) => this.onClose(gen, code, reason.toString() || lastError));
  }

  /**
   * The TLS context of the current credentials (CA, certificate, key, TLS ≥ 1.2 as §2.1), built
   * once per credentials rather than per dial: parsing the PEMs is most of a client handshake's
   * CPU, and a node retrying through an outage dials many times.
   */
  private secureContext(): SecureContext {
    const credentials = this.credentials;
    if (this.tlsContext?.credentials !== credentials) {
      this.tlsContext = {
        credentials,
        context: createSecureContext({
          ca: credentials.caPem,
          cert: credentials.certPem,
          key: credentials.keyPem,
          minVersion: 'TLSv1.2',
        }),
      };
    }
    return this.tlsContext.context;
  }

  private onRefused(ws: WebSocket, req: ClientRequest, res: IncomingMessage): void {
    // cloudhub answers a refused upgrade (authorization, node limit) with a status and a reason in
    // the body; show both, then give up this attempt and back off.
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      const reason =
        Buffer.concat(chunks).toString('utf8').trim() || res.statusMessage || '(no reason given)';
      this.log.warn('cloudhub refused the connection', { url: this.url, status: res.statusCode, reason });
      ws.terminate();
    };
    res.on('data', (c: Buffer) => {
      if (size < REFUSAL_BODY_BYTES) chunks.push(c.subarray(0, REFUSAL_BODY_BYTES - size));
      size += c.length;
      if (size >= REFUSAL_BODY_BYTES) finish();
    });
    res.on('end', finish);
    res.on('error', finish);
    req.on('error', () => undefined);
  }

  private onOpen(gen: number): void {
    if (gen !== this.generation) return;
    this.isConnected = true;
    this.backoff.reset();
    this.log.info('connected to cloudhub', { url: this.url, queued: this.queue.length });
    this.keepaliveTimer = this.opts.clock.setInterval(() => this.tick(gen), this.keepaliveMs);
    this.notify(true);
    this.pump();
  }

  private tick(gen: number): void {
    const ws = this.ws;
    if (gen !== this.generation || !this.isConnected || ws === undefined) return;
    const now = this.opts.clock.now();
    if (this.ping !== undefined && now - this.ping.sentAt >= this.writeTimeoutMs) {
      if (this.pongSeen) {
        this.log.warn('cloudhub did not answer a ping within the write deadline; reconnecting', {
          deadlineMs: this.writeTimeoutMs,
          unconfirmed: this.handed,
        });
        ws.terminate();
        return;
      }
      // This peer never answered a ping: fall back to write confirmations for this connection.
      this.log.warn(
        'cloudhub does not answer WebSocket pings; upstream messages are now released once written, so one written just before a link break can be lost',
      );
      this.ping = undefined;
      this.pongless = true;
      this.release(this.written);
    }
    if (this.handed > this.written && now - this.lastWriteAt >= this.writeTimeoutMs) {
      this.log.warn('a write was not confirmed within the write deadline; reconnecting', {
        deadlineMs: this.writeTimeoutMs,
        unconfirmed: this.handed - this.written,
      });
      ws.terminate();
      return;
    }
    // Keepalives bypass the queue: they are worthless once stale, so never held for a later link.
    ws.send(encodeMessage(this.builder.newKeepalive()), (err) => {
      if (err) this.log.debug('keepalive not written', { error: err.message });
    });
  }

  /** Hands queued frames to the socket, in order, up to the high-water mark, then asks for a pong. */
  private pump(): void {
    const ws = this.ws;
    if (!this.isConnected || ws === undefined) return;
    const gen = this.generation;
    const before = this.handed;
    while (this.handed < this.queue.length && ws.bufferedAmount < HIGH_WATER_BYTES) {
      const item = this.queue[this.handed];
      if (item === undefined) break;
      if (this.handed === this.written) this.lastWriteAt = this.opts.clock.now();
      this.handed++;
      ws.send(item.frame, (err) => this.onWritten(gen, err));
    }
    if (this.handed > before) this.schedulePing();
  }

  /** Arms the delivery ping, unless one is armed or out (frames handed meanwhile wait for the next). */
  private schedulePing(): void {
    if (this.pingTimer !== undefined || this.ping !== undefined || this.pongless) return;
    const gen = this.generation;
    this.pingTimer = this.opts.clock.setTimeout(() => {
      this.pingTimer = undefined;
      if (gen === this.generation) this.requestPong();
    }, this.pingDelayMs);
  }

  /**
   * A downstream message answering upstream frame `parentId` (its parent_msg_id): the cloud has read
   * that frame and, frames being read in order, every one before it. Only frames confirmed written
   * are released, so the write count stays right.
   */
  private releaseAnswered(parentId: string): void {
    for (let i = 0; i < this.written; i++) {
      if (this.queue[i]?.id === parentId) {
        this.release(i + 1);
        this.pump();
        return;
      }
    }
  }

  /**
   * Sends a ping after the frames handed so far. WebSocket frames are read in order and RFC 6455
   * §5.5.2 requires a pong, so the pong proves the cloud has read every frame before the ping
   * (gorilla/websocket, under viaduct, answers pings by default; so does `ws`). One ping at a time;
   * frames handed meanwhile are covered by the next one.
   */
  private requestPong(): void {
    const ws = this.ws;
    if (ws === undefined || this.ping !== undefined || this.pongless || this.handed === 0) return;
    const id = ++this.pingCounter;
    const payload = Buffer.alloc(8);
    payload.writeBigUInt64BE(BigInt(id));
    this.ping = { id, covers: this.handed, sentAt: this.opts.clock.now() };
    ws.ping(payload);
  }

  private onPong(gen: number, data: Buffer): void {
    const ping = this.ping;
    // Unsolicited pongs (allowed by RFC 6455 §5.5.3) and pongs from an old socket are ignored.
    if (gen !== this.generation || ping === undefined || data.length !== 8) return;
    if (data.readBigUInt64BE(0) !== BigInt(ping.id)) return;
    this.pongSeen = true;
    this.ping = undefined;
    this.release(ping.covers);
    if (this.handed > 0) this.schedulePing();
    this.pump();
  }

  private onWritten(gen: number, err: Error | null | undefined): void {
    // A callback from a connection that is gone: its unconfirmed entries are resent on the next one.
    if (gen !== this.generation || !this.isConnected) return;
    if (err) return; // the socket is failing; 'close' follows and everything unconfirmed is resent
    // ws calls send callbacks in write order, so confirmations count from the head of the queue.
    this.written++;
    this.lastWriteAt = this.opts.clock.now();
    if (this.pongless) this.release(this.written);
    this.pump();
  }

  /** Drops the first `n` queue entries: they are known delivered. */
  private release(n: number): void {
    if (n <= 0) return;
    this.queue.splice(0, n);
    this.handed -= n;
    this.written = Math.max(0, this.written - n);
    if (this.ping !== undefined) this.ping.covers -= n;
  }

  private onFrame(data: RawData): void {
    const bytes = Buffer.isBuffer(data)
      ? data
      : Array.isArray(data)
        ? Buffer.concat(data)
        : Buffer.from(data);
    let message: Message;
    try {
      message = decodeMessage(bytes);
    } catch (err) {
      // A bad frame from the cloud is its bug, not a reason to drop the link (ARCHITECTURE.md §4).
      this.log.warn('dropped a malformed frame from cloudhub', {
        error: errorMessage(err),
        bytes: bytes.length,
      });
      return;
    }
    const parentId = message.header.parent_msg_id;
    if (this.isConnected && parentId !== undefined) this.releaseAnswered(parentId);
    try {
      this.opts.onMessage(message);
    } catch (err) {
      this.log.error('the downstream message handler failed', {
        msgId: message.header.msg_id,
        resource: message.route.resource,
        error: errorMessage(err),
      });
    }
  }

  private onClose(gen: number, code: number, reason: string | undefined): void {
    if (gen !== this.generation) return;
    this.ws = undefined;
    this.keepaliveTimer?.cancel();
    this.keepaliveTimer = undefined;
    this.closeTimer?.cancel();
    this.closeTimer = undefined;
    this.pingTimer?.cancel();
    this.pingTimer = undefined;
    this.handed = 0;
    this.written = 0;
    this.ping = undefined;
    this.pongSeen = false;
    this.pongless = false;
    const wasConnected = this.isConnected;
    this.isConnected = false;
    if (wasConnected) {
      this.log.info('disconnected from cloudhub', { code, reason, queued: this.queue.length });
      this.notify(false);
    }
    if (this.stopped) {
      const closed = this.closed;
      this.closed = undefined;
      closed?.();
      return;
    }
    const delay = this.reconnectNow ? 0 : this.backoff.next();
    this.reconnectNow = false;
    if (!wasConnected) {
      this.dialFailures++;
      this.log.info('cannot connect to cloudhub', { url: this.url, reason, retryInMs: delay });
    }
    this.reconnectTimer = this.opts.clock.setTimeout(() => this.connect(), delay);
  }

  private notify(connected: boolean): void {
    try {
      this.opts.onConnectionChange?.(connected);
    } catch (err) {
      this.log.error('onConnectionChange failed', { connected, error: errorMessage(err) });
    }
  }
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new InvalidInputError(`edgehub ${name} must be a positive number, got ${value}`);
  }
  return value;
}
