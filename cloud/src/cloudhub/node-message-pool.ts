/**
 * One connected node's reliable-delivery queue (kubeedge-protocol.md §3.1–3.2): messages that need
 * an ACK are kept by object UID until the edge answers, resent while it does not, and a newer
 * version of an object replaces an older one still waiting. NoAck messages are sent once.
 *
 * Behaviour checked in kubeedge/kubeedge:
 * - `cloud/pkg/cloudhub/common/helper.go` AckMessageKeyFunc: the key is `content.metadata.uid` (we
 *   reuse `ackKey` and `isNoAckMessage` from `@edgeproof/core`, which carry the §3.1 rules).
 * - `cloud/pkg/cloudhub/dispatcher/message_dispatcher.go` enqueueAckMessage, the enqueue rules of
 *   §3.1: no resourceVersion and not a delete → dropped; a delete, an object being deleted or a
 *   response always goes in; otherwise a queued message for the UID is replaced only by a greater
 *   resourceVersion, and never when it is a delete. (Rule 4, the ObjectSync check, is the caller's:
 *   the pool knows nothing of the API server.)
 * - `cloud/pkg/cloudhub/session/node_session.go` sendMessageWithRetry: send, wait for the ACK 5 s,
 *   resend the same message (same msg_id) up to 5 sends in all, then requeue with the rate
 *   limiter's per-item exponential backoff (client-go 5 ms → 1000 s); any `response` whose
 *   parent_msg_id is the sent id is the ACK (§3.2).
 *
 * Deliberate differences:
 * - KubeEdge sends one ACK message at a time per node. Here up to `maxInFlight` distinct objects
 *   wait for their ACK at once, so the resync of a node holding hundreds of objects is not
 *   hundreds of round trips in a row, while a slow edge still cannot be flooded: each object has
 *   at most one message on the way, and the window bounds how many resend together.
 * - A newer version replaces a message already on the way at once (it is sent now and the resend
 *   count starts again); the ACK of the older one is still recognised, as `superseded`.
 * - The 10 qps / 100 burst token bucket of KubeEdge's queue is not modelled.
 *
 * Messages come in the cloud form (resource `node/<id>/…`, which the §3.1 rules read) and are
 * written in the edge form: the pool trims the prefix just before the write, as KubeEdge's
 * `TrimMessage` runs in the session's write path (§1.3; `NodeSession.send` writes what it is given).
 *
 * The pool belongs to one session: a transport error stops it for good (§3.2: "a transport error
 * ends the session"), and a new connection gets a new pool (§3.3), refilled by the resync. Every
 * timer is on the injected clock.
 */
import {
  InvalidInputError,
  ackKey,
  errorMessage,
  isNoAckMessage,
  trimNodePrefix,
  type Clock,
  type Logger,
  type Message,
  type TimerHandle,
} from '@edgeproof/core';
import { isNewerResourceVersion } from '../synccontroller/resource-version.ts';

/** kubeedge-protocol.md §3.2: resend every 5 s… */
export const ACK_RESEND_INTERVAL_MS = 5_000;
/** …up to 5 sends in all, then requeue with backoff. */
export const ACK_MAX_SENDS = 5;
/** Distinct objects waiting for their ACK at once (see the module comment). */
export const DEFAULT_MAX_IN_FLIGHT = 16;
/** client-go's default per-item rate limiter, which KubeEdge's queues use (§3.1): 5 ms → 1000 s. */
export const REQUEUE_BASE_DELAY_MS = 5;
export const REQUEUE_MAX_DELAY_MS = 1_000_000;

/** Where the pool writes (edge-form messages): a cloudhub `NodeSession`, which resolves once the frame is on the socket. */
export interface PoolTransport {
  send(message: Message): Promise<void>;
}

export interface NodeMessagePoolOptions {
  nodeId: string;
  transport: PoolTransport;
  clock: Clock;
  logger: Logger;
  resendIntervalMs?: number;
  maxSends?: number;
  maxInFlight?: number;
  requeueBaseDelayMs?: number;
  requeueMaxDelayMs?: number;
  /** The transport failed and the pool has stopped; the node's next connection gets a new pool. */
  onTransportError?: (err: unknown) => void;
}

/** What `enqueue` did with a message. */
export type EnqueueOutcome =
  /** New key: queued for sending. */
  | 'queued'
  /** Took the place of an older message for the same object. */
  | 'replaced'
  /** The same operation and resourceVersion is already waiting: nothing to do. */
  | 'unchanged'
  /** Dropped by the §3.1 rules: no resourceVersion, not newer, or a delete is already waiting. */
  | 'stale'
  /** A NoAck message: written once, not kept. */
  | 'sent-once'
  /** The pool has stopped. */
  | 'closed';

/** A message the edge has ACKed. */
export interface Acknowledged {
  message: Message;
  /** True when a newer version of the object had already replaced this one in the pool. */
  superseded: boolean;
}

type EntryState = 'queued' | 'in-flight' | 'backoff';

interface Entry {
  key: string;
  message: Message;
  state: EntryState;
  /** Sends of the current message in the current round. */
  sends: number;
  /** Rounds of `maxSends` that ended without an ACK, for the backoff. */
  rounds: number;
  /** The resend (in flight) or requeue (backoff) timer. */
  timer: TimerHandle | undefined;
  /** msg_ids of every message this entry has carried, the current one last. */
  ids: string[];
}

/** See the module comment. The constructor does no I/O; sending starts with the first `enqueue`. */
export class NodeMessagePool {
  readonly nodeId: string;
  private readonly options: NodeMessagePoolOptions;
  private readonly log: Logger;
  private readonly resendIntervalMs: number;
  private readonly maxSends: number;
  private readonly maxInFlight: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly entries = new Map<string, Entry>();
  /** Keys waiting for a slot, oldest first (a Set iterates in insertion order). */
  private readonly ready = new Set<string>();
  private readonly byId = new Map<string, { entry: Entry; message: Message }>();
  private inFlight = 0;
  private closed = false;

  constructor(options: NodeMessagePoolOptions) {
    this.options = options;
    this.nodeId = options.nodeId;
    this.log = options.logger;
    this.resendIntervalMs = positive('resendIntervalMs', options.resendIntervalMs ?? ACK_RESEND_INTERVAL_MS);
    this.maxSends = positive('maxSends', options.maxSends ?? ACK_MAX_SENDS);
    this.maxInFlight = positive('maxInFlight', options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT);
    this.baseDelayMs = positive('requeueBaseDelayMs', options.requeueBaseDelayMs ?? REQUEUE_BASE_DELAY_MS);
    this.maxDelayMs = positive('requeueMaxDelayMs', options.requeueMaxDelayMs ?? REQUEUE_MAX_DELAY_MS);
  }

  /**
   * Hands `message` (cloud form, resource `node/<id>/…`) to the pool under the §3.1 rules and
   * starts sending when a slot is free. Throws `InvalidInputError` when a message that needs an ACK
   * has no `content.metadata.uid` (`ackKey`).
   */
  enqueue(message: Message): EnqueueOutcome {
    if (this.closed) return 'closed';
    if (isNoAckMessage(message)) {
      this.sendOnce(message);
      return 'sent-once';
    }
    const key = ackKey(message);
    const operation = message.route.operation;
    const rv = message.header.resourceversion;
    // §3.1 rule 1: without a resourceVersion only a delete can be ordered against what the edge has.
    if (!rv && operation !== 'delete') return 'stale';
    const existing = this.entries.get(key);
    if (existing === undefined) {
      this.add(key, message);
      return 'queued';
    }
    const current = existing.message;
    if (current.route.operation === operation && (current.header.resourceversion ?? '') === (rv ?? '')) {
      return 'unchanged';
    }
    // §3.1 rule 2: a delete, an object being deleted or a response always goes in.
    const always = operation === 'delete' || operation === 'response' || isBeingDeleted(message.content);
    if (!always) {
      // §3.1 rule 3: only a greater resourceVersion, and never over a waiting delete.
      if (current.route.operation === 'delete') return 'stale';
      if (!isNewerResourceVersion(rv, current.header.resourceversion)) return 'stale';
    }
    this.replace(existing, message);
    return 'replaced';
  }

  /**
   * The edge answered `parentId` (§3.2: a `response` whose parent_msg_id is the sent id). Returns
   * the message it acknowledges and stops resending it, or undefined when this pool never sent that
   * id. Works after `close()` too, so an ACK that arrives late still counts.
   */
  acknowledge(parentId: string): Acknowledged | undefined {
    const hit = this.byId.get(parentId);
    if (hit === undefined) return undefined;
    const { entry, message } = hit;
    if (entry.message === message) {
      this.complete(entry);
      return { message, superseded: false };
    }
    this.byId.delete(parentId);
    entry.ids = entry.ids.filter((id) => id !== parentId);
    return { message, superseded: true };
  }

  /** True when this pool sent a message with this id and still waits on it or on its successor. */
  sent(msgId: string): boolean {
    return this.byId.has(msgId);
  }

  /** The message waiting for object `uid`, if any. */
  pending(uid: string): Message | undefined {
    return this.entries.get(uid)?.message;
  }

  /** Objects waiting for an ACK (queued, on the way, or backing off). */
  size(): number {
    return this.entries.size;
  }

  /** Objects whose message is on the way and waiting for its ACK. */
  inFlightCount(): number {
    return this.inFlight;
  }

  isClosed(): boolean {
    return this.closed;
  }

  /** Stops sending for good and cancels every timer. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const entry of this.entries.values()) {
      entry.timer?.cancel();
      entry.timer = undefined;
    }
    this.ready.clear();
  }

  private add(key: string, message: Message): void {
    const entry: Entry = {
      key,
      message,
      state: 'queued',
      sends: 0,
      rounds: 0,
      timer: undefined,
      ids: [message.header.msg_id],
    };
    this.entries.set(key, entry);
    this.byId.set(message.header.msg_id, { entry, message });
    this.ready.add(key);
    this.pump();
  }

  private replace(entry: Entry, message: Message): void {
    entry.message = message;
    entry.ids.push(message.header.msg_id);
    this.byId.set(message.header.msg_id, { entry, message });
    entry.rounds = 0;
    switch (entry.state) {
      case 'queued':
        return; // keeps its place in line
      case 'in-flight':
        entry.timer?.cancel();
        entry.sends = 0;
        this.transmit(entry); // keeps its slot
        return;
      case 'backoff':
        // A new version is worth sending now rather than after the old one's backoff.
        entry.timer?.cancel();
        entry.timer = undefined;
        entry.state = 'queued';
        this.ready.add(entry.key);
        this.pump();
        return;
    }
  }

  /** Starts sending queued entries while slots are free. */
  private pump(): void {
    while (!this.closed && this.inFlight < this.maxInFlight) {
      const key = this.ready.values().next().value;
      if (key === undefined) return;
      this.ready.delete(key);
      const entry = this.entries.get(key);
      if (entry === undefined) continue;
      entry.state = 'in-flight';
      entry.sends = 0;
      this.inFlight++;
      this.transmit(entry);
    }
  }

  private transmit(entry: Entry): void {
    if (this.closed) return;
    const message = entry.message;
    entry.sends++;
    entry.timer = this.options.clock.setTimeout(() => this.ackTimedOut(entry), this.resendIntervalMs);
    this.write(message).catch((err: unknown) => this.sendFailed(entry, message, err));
  }

  /** Writes the edge form of `message` (cloudhub TrimMessage, §1.3). */
  private write(message: Message): Promise<void> {
    let resource: string;
    try {
      resource = trimNodePrefix(message.route.resource ?? '');
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new InvalidInputError(errorMessage(err)));
    }
    return this.options.transport.send({ ...message, route: { ...message.route, resource } });
  }

  private ackTimedOut(entry: Entry): void {
    entry.timer = undefined;
    if (this.closed || this.entries.get(entry.key) !== entry) return;
    if (entry.sends < this.maxSends) {
      this.log.debug('no ACK yet; resending', {
        node: this.nodeId,
        key: entry.key,
        msgId: entry.message.header.msg_id,
        send: entry.sends + 1,
      });
      this.transmit(entry);
      return;
    }
    // §3.2: after the last send, requeue with the rate limiter's backoff.
    const delay = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** entry.rounds);
    entry.rounds++;
    entry.state = 'backoff';
    this.inFlight--;
    this.log.warn('edge did not ACK; requeued', {
      node: this.nodeId,
      key: entry.key,
      resource: entry.message.route.resource,
      sends: entry.sends,
      retryInMs: delay,
    });
    entry.timer = this.options.clock.setTimeout(() => {
      entry.timer = undefined;
      if (this.closed || this.entries.get(entry.key) !== entry) return;
      entry.state = 'queued';
      this.ready.add(entry.key);
      this.pump();
    }, delay);
    this.pump();
  }

  private complete(entry: Entry): void {
    entry.timer?.cancel();
    entry.timer = undefined;
    if (entry.state === 'in-flight') this.inFlight--;
    this.ready.delete(entry.key);
    this.entries.delete(entry.key);
    for (const id of entry.ids) this.byId.delete(id);
    this.pump();
  }

  private sendOnce(message: Message): void {
    this.write(message).catch((err: unknown) => this.sendFailed(undefined, message, err));
  }

  private sendFailed(entry: Entry | undefined, message: Message, err: unknown): void {
    if (this.closed) return;
    if (err instanceof InvalidInputError) {
      // The message itself cannot be written (not JSON-encodable): resending cannot help.
      this.log.error('downstream message cannot be sent; dropped', {
        node: this.nodeId,
        resource: message.route.resource,
        error: errorMessage(err),
      });
      if (entry !== undefined && entry.message === message) this.complete(entry);
      return;
    }
    this.log.info('transport failed; node message pool stopped until the node connects again', {
      node: this.nodeId,
      error: errorMessage(err),
    });
    this.close();
    try {
      this.options.onTransportError?.(err);
    } catch (e) {
      this.log.error('onTransportError handler failed', { node: this.nodeId, error: errorMessage(e) });
    }
  }
}

/** §3.1 rule 2: an object with `metadata.deletionTimestamp` set. */
function isBeingDeleted(content: unknown): boolean {
  if (typeof content !== 'object' || content === null) return false;
  const metadata = (content as { metadata?: unknown }).metadata;
  if (typeof metadata !== 'object' || metadata === null) return false;
  return Boolean((metadata as { deletionTimestamp?: unknown }).deletionTimestamp);
}

function positive(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new InvalidInputError(`${name} must be a positive integer, got ${value}`);
  }
  return value;
}
