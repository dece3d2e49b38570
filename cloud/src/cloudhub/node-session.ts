/**
 * One connected edge node on cloudhub's WebSocket (kubeedge-protocol.md §2.2–2.3): decodes its
 * upstream frames, runs the keepalive timer, and writes downstream messages.
 *
 * Behaviour checked in kubeedge/kubeedge:
 * - `cloud/pkg/cloudhub/session/node_session.go` `KeepAliveCheck`: one timer per session, of
 *   `keepaliveInterval` (default 30 s), reset by every keepalive; when it fires the session ends and
 *   the connection is closed (`Terminating`). There is no server heartbeat and no ws ping/pong.
 * - `cloud/pkg/cloudhub/dispatcher/message_dispatcher.go` `DispatchUpstream`: a message is a
 *   keepalive when its operation is `keepalive` (nothing else is looked at) and it goes no further;
 *   other messages get the resource `node/<node_id header>/<resource>` (`PubToController`) before
 *   they reach the controllers (§1.3).
 *
 * What KubeEdge does not do and we do: a frame that does not decode is logged with the node and the
 * reason and dropped (viaduct logs and drops too), but a peer that sends nothing else — 10 bad frames
 * in a row by default — is cut off with close code 1008 (policy violation), or 1009 (message too
 * big) when the last bad frame was over the size limit (RFC 6455 §7.4.1).
 *
 * The session knows nothing of sockets: the hub feeds it frames (`receive`) and transport closure
 * (`transportClosed`) and gives it a `SessionTransport` to write to, so unit tests drive it with a
 * fake transport and a FakeClock. Reliable delivery (ACKs, resend, §3.2) is a layer above: it sends
 * with `send` and sees the edge's `response` messages through the upstream handler.
 */
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  EdgeproofError,
  InvalidInputError,
  addNodePrefix,
  decodeMessage,
  encodeMessage,
  errorMessage,
  type Clock,
  type Logger,
  type Message,
  type TimerHandle,
} from '@edgeproof/core';

/** Cloudcore's `cloudHub.keepaliveInterval` default, in ms (§2.3). */
export const DEFAULT_KEEPALIVE_TIMEOUT_MS = 30_000;
/** Consecutive undecodable frames after which the peer is cut off. */
export const DEFAULT_MAX_BAD_FRAMES = 10;

/** RFC 6455 §7.4.1 close codes the session uses. */
export const CLOSE_CODES = {
  normal: 1000,
  goingAway: 1001,
  policyViolation: 1008,
  messageTooBig: 1009,
} as const;

/** RFC 6455 §5.5: a control frame payload is at most 125 bytes, 2 of them the close code. */
const MAX_CLOSE_REASON_BYTES = 123;

/** Why a session ended; `kind` is stable for code, `message` is for people. */
export type SessionCloseKind =
  | 'keepalive-timeout'
  | 'replaced'
  | 'peer-closed'
  | 'protocol-violation'
  | 'message-too-big'
  | 'server-stopped'
  | 'closed';

export interface SessionCloseReason {
  kind: SessionCloseKind;
  message: string;
}

/** What a session writes to: a WebSocket in production, a fake in unit tests. */
export interface SessionTransport {
  /** Writes one text frame; `done` is called once the data is handed to the socket, or with the error. */
  send(text: string, done: (err?: Error) => void): void;
  /** Starts the closing handshake with this code and reason (≤ 123 bytes). */
  close(code: number, reason: string): void;
}

export interface NodeSessionOptions {
  nodeId: string;
  /** The `project_id` header; KubeEdge carries it in HubInfo but routes by node only. */
  projectId: string;
  transport: SessionTransport;
  clock: Clock;
  logger: Logger;
  /** Close the session when no keepalive arrives for this long; default 30 s (§2.3). */
  keepaliveTimeoutMs?: number;
  /** Largest frame decoded; default 32 MiB, viaduct's bound (§2.2). */
  maxMessageBytes?: number;
  /** Consecutive bad frames before the peer is cut off; default 10. */
  maxBadFrames?: number;
  /** Every upstream message but keepalives, resource already prefixed with `node/<id>/`. */
  onMessage: (session: NodeSession, message: Message) => void;
  /** Called once, when the session ends for any reason. */
  onClose: (session: NodeSession, reason: SessionCloseReason) => void;
}

/** `send` on a session that has ended. Retriable: the node may reconnect. */
export class NodeSessionClosedError extends EdgeproofError {
  constructor(nodeId: string, reason: SessionCloseReason | undefined) {
    super(
      'ESESSIONCLOSED',
      `the session of node ${nodeId} is closed${reason ? ` (${reason.kind}: ${reason.message})` : ''}; the message was not sent`,
      { retriable: true },
    );
  }
}

/**
 * A connected node. Created by the hub, which calls `start()` once it is registered. `send` writes
 * one JSON text frame; upstream messages go to `onMessage`; `close` ends the session (idempotent),
 * and `onClose` fires exactly once whichever way it ends.
 */
export class NodeSession {
  readonly nodeId: string;
  readonly projectId: string;
  /** `clock.now()` when the session was created. */
  readonly connectedAt: number;
  private readonly options: NodeSessionOptions;
  private readonly log: Logger;
  private readonly keepaliveTimeoutMs: number;
  private readonly maxMessageBytes: number;
  private readonly maxBadFrames: number;
  private keepaliveTimer: TimerHandle | undefined;
  private badFrames = 0;
  private closeReason: SessionCloseReason | undefined;

  constructor(options: NodeSessionOptions) {
    this.options = options;
    this.nodeId = options.nodeId;
    this.projectId = options.projectId;
    this.connectedAt = options.clock.now();
    this.log = options.logger;
    this.keepaliveTimeoutMs = positiveInteger(
      'keepaliveTimeoutMs',
      options.keepaliveTimeoutMs ?? DEFAULT_KEEPALIVE_TIMEOUT_MS,
    );
    this.maxMessageBytes = positiveInteger(
      'maxMessageBytes',
      options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    );
    this.maxBadFrames = positiveInteger('maxBadFrames', options.maxBadFrames ?? DEFAULT_MAX_BAD_FRAMES);
  }

  /** Starts the keepalive timer; the edge has `keepaliveTimeoutMs` to send its first keepalive. */
  start(): void {
    if (this.closeReason !== undefined || this.keepaliveTimer !== undefined) return;
    this.armKeepalive();
  }

  /** True until the session has ended. */
  isOpen(): boolean {
    return this.closeReason === undefined;
  }

  /** Why the session ended, once it has. */
  closedBecause(): SessionCloseReason | undefined {
    return this.closeReason;
  }

  /**
   * Writes `message` as one JSON text frame (§2.2), unchanged: stripping the `node/<id>/` prefix is
   * the caller's job, as KubeEdge's `TrimMessage` runs before the write. Resolves once the frame is
   * handed to the socket (not when the edge has it: that is what ACKs are for, §3.2); rejects with
   * `NodeSessionClosedError` when the session is or becomes closed, `InvalidInputError` when the
   * message cannot be encoded.
   */
  send(message: Message): Promise<void> {
    if (this.closeReason !== undefined) {
      return Promise.reject(new NodeSessionClosedError(this.nodeId, this.closeReason));
    }
    let text: string;
    try {
      text = encodeMessage(message);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new InvalidInputError(errorMessage(err)));
    }
    return new Promise<void>((resolve, reject) => {
      this.options.transport.send(text, (err) => {
        if (err === undefined || err === null) resolve();
        else
          reject(
            new NodeSessionClosedError(
              this.nodeId,
              this.closeReason ?? { kind: 'peer-closed', message: err.message },
            ),
          );
      });
    });
  }

  /** Ends the session: the socket gets a normal closure with `reason`. Idempotent. */
  close(reason = 'closed by cloudhub'): void {
    this.end({ kind: 'closed', message: reason }, CLOSE_CODES.normal);
  }

  /** @internal The hub: another connection for this node took over (KubeEdge `AddSession`). */
  replace(): void {
    this.end(
      { kind: 'replaced', message: 'replaced by a newer connection from the same node' },
      CLOSE_CODES.normal,
    );
  }

  /** @internal The hub is stopping. */
  shutdown(): void {
    this.end({ kind: 'server-stopped', message: 'cloudhub is stopping' }, CLOSE_CODES.goingAway);
  }

  /** @internal The hub: the socket closed underneath (peer close, network error). */
  transportClosed(code: number, reason: string): void {
    this.end(
      { kind: 'peer-closed', message: `connection closed (code ${code}${reason ? `, ${reason}` : ''})` },
      undefined,
    );
  }

  /** @internal The hub: one WebSocket frame from the edge, text or binary (§2.2: read both). */
  receive(data: string | Uint8Array): void {
    if (this.closeReason !== undefined) return;
    let message: Message;
    try {
      message = decodeMessage(data, { maxBytes: this.maxMessageBytes });
    } catch (err) {
      const size = typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
      this.badFrame(errorMessage(err), size > this.maxMessageBytes);
      return;
    }

    // KubeEdge recognises keepalives by operation alone (DispatchUpstream).
    if (message.route.operation === 'keepalive') {
      this.badFrames = 0;
      this.armKeepalive();
      return;
    }

    try {
      message.route.resource = addNodePrefix(this.nodeId, message.route.resource ?? '');
    } catch (err) {
      this.badFrame(errorMessage(err), false);
      return;
    }
    this.badFrames = 0;
    try {
      this.options.onMessage(this, message);
    } catch (err) {
      // A failing consumer must not take the node's connection down with it.
      this.log.error('upstream message handler failed', {
        node: this.nodeId,
        msgId: message.header.msg_id,
        error: errorMessage(err),
      });
    }
  }

  private badFrame(reason: string, tooBig: boolean): void {
    this.badFrames++;
    this.log.warn('dropped an undecodable frame', {
      node: this.nodeId,
      reason,
      badFramesInARow: this.badFrames,
    });
    if (this.badFrames < this.maxBadFrames) return;
    this.end(
      {
        kind: tooBig ? 'message-too-big' : 'protocol-violation',
        message: `${this.badFrames} undecodable frames in a row, last: ${reason}`,
      },
      tooBig ? CLOSE_CODES.messageTooBig : CLOSE_CODES.policyViolation,
    );
  }

  private armKeepalive(): void {
    this.keepaliveTimer?.cancel();
    this.keepaliveTimer = this.options.clock.setTimeout(() => {
      this.keepaliveTimer = undefined;
      this.end(
        { kind: 'keepalive-timeout', message: `no keepalive for ${this.keepaliveTimeoutMs} ms` },
        CLOSE_CODES.normal,
      );
    }, this.keepaliveTimeoutMs);
  }

  /** Ends once: stops the timer, closes the transport unless it is already gone, tells the hub. */
  private end(reason: SessionCloseReason, code: number | undefined): void {
    if (this.closeReason !== undefined) return;
    this.closeReason = reason;
    this.keepaliveTimer?.cancel();
    this.keepaliveTimer = undefined;
    if (code !== undefined) {
      try {
        this.options.transport.close(
          code,
          truncateUtf8(`${reason.kind}: ${reason.message}`, MAX_CLOSE_REASON_BYTES),
        );
      } catch (err) {
        this.log.debug('closing the transport failed', { node: this.nodeId, error: errorMessage(err) });
      }
    }
    const level =
      reason.kind === 'keepalive-timeout' ||
      reason.kind === 'protocol-violation' ||
      reason.kind === 'message-too-big'
        ? 'warn'
        : 'info';
    this.log[level]('session closed', { node: this.nodeId, kind: reason.kind, reason: reason.message });
    this.options.onClose(this, reason);
  }
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new InvalidInputError(`${name} must be a positive integer, got ${value}`);
  }
  return value;
}

/** Cuts `text` to at most `max` UTF-8 bytes without splitting a character. */
export function truncateUtf8(text: string, max: number): string {
  if (Buffer.byteLength(text) <= max) return text;
  let out = '';
  let size = 0;
  for (const ch of text) {
    const n = Buffer.byteLength(ch);
    if (size + n > max) break;
    out += ch;
    size += n;
  }
  return out;
}
