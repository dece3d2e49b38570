/**
 * The bus's types (ARCHITECTURE.md §4 "A typed module bus"): one closed map of topics to body
 * types per bus, so a `switch (msg.topic)` narrows `msg.body` and the compiler flags a missing
 * case. Untyped JSON never enters the bus; it is validated once at the wire boundary.
 */

/**
 * A closed map from topic name to body type, declared as a type alias, e.g.
 * `type EdgeTopics = { 'meta.insert': PodMessage; 'node.connection': { connected: boolean } }`.
 */
export type BusTopicMap = object;

/** The topic names of a topic map. */
export type BusTopic<T extends BusTopicMap> = keyof T & string;

/**
 * One message on the bus: a discriminated union over `topic`, so narrowing the topic narrows the
 * body. The fields mirror beehive's header (kubeedge-protocol.md §1.1): `id` is msg_id,
 * `parentId` is parent_msg_id (set on replies), `timestamp` is in ms from the injected clock.
 */
export type BusEnvelope<T extends BusTopicMap, K extends BusTopic<T> = BusTopic<T>> = {
  [P in K]: {
    readonly id: string;
    readonly parentId?: string;
    readonly topic: P;
    readonly body: T[P];
    /** The sending module's name, or the bus's name for sends from outside any module. */
    readonly source: string;
    readonly timestamp: number;
  };
}[K];

/**
 * What a module does when its mailbox is full: drop the oldest queued message, drop the new one,
 * or refuse it so that `send` throws a retriable MailboxFullError.
 */
export type OverflowPolicy = 'drop-oldest' | 'drop-newest' | 'reject';

/** A module's bounded mailbox. `capacity` is a positive integer. */
export type MailboxOptions = { capacity: number; overflow: OverflowPolicy };

/**
 * Exponential restart backoff for a module whose handler failed: the n-th consecutive failure
 * waits `min(maxDelayMs, baseDelayMs · 2^(n-1))`; after `resetAfterMs` without a failure since
 * the last restart, the next failure starts again at `baseDelayMs`.
 */
export type RestartPolicy = { baseDelayMs: number; maxDelayMs: number; resetAfterMs: number };

/** Handles one message; the module restarts with backoff when it throws or rejects. */
export type BusHandler<T extends BusTopicMap, K extends BusTopic<T> = BusTopic<T>> = (
  msg: BusEnvelope<T, K>,
  ctx: ModuleContext<T>,
) => void | Promise<void>;

/** How to register a module: its mailbox, its handler, and optionally its group and topics. */
export type ModuleOptions<T extends BusTopicMap, K extends BusTopic<T> = BusTopic<T>> = {
  /** beehive's module group (e.g. `meta`, `twin`, `bus`, `hub`), the target of `sendToGroup`. */
  group?: string;
  mailbox: MailboxOptions;
  /**
   * The topics this module handles. When given, the handler's switch need only cover these,
   * sending it another topic throws TopicNotAcceptedError, and fan-outs skip it for that topic.
   */
  topics?: readonly K[];
  /** Overrides the bus's restart policy for this module. */
  restart?: Partial<RestartPolicy>;
  handler: BusHandler<T, K>;
};

/** Options for a send; `source` defaults to the sending module (or the bus's name). */
export type SendOptions = { source?: string };

/** Options for a request; `timeoutMs` defaults to the bus's request timeout. */
export type RequestOptions = SendOptions & { timeoutMs?: number };

/** The result of a group send or broadcast: one envelope (one id) shared by every recipient. */
export type Fanout<T extends BusTopicMap, K extends BusTopic<T> = BusTopic<T>> = {
  envelope: BusEnvelope<T, K>;
  /** Names of the modules the envelope was queued for, in registration order. */
  recipients: readonly string[];
};

/** A module's lifecycle state as seen by `stats`. */
export type ModuleState = 'idle' | 'running' | 'restarting' | 'stopped';

/** Counters of one module, for tests, metrics and debugging. */
export type ModuleStats = {
  state: ModuleState;
  /** Messages waiting in the mailbox now. */
  queued: number;
  /** Messages the handler finished without error. */
  delivered: number;
  /** Messages whose handler threw or rejected (each caused a restart). */
  failed: number;
  /** Messages discarded by a drop policy, or left in the mailbox at stop. */
  dropped: number;
  /** Messages refused by the 'reject' policy (the sender got MailboxFullError). */
  rejected: number;
  /** Restarts after a handler failure. */
  restarts: number;
};

/** Counters of the bus's request/reply table. */
export type RequestStats = {
  /** Requests waiting for a reply now. */
  pending: number;
  replied: number;
  timedOut: number;
  /** Replies that matched no waiting request (late, duplicate, or to a plain send); dropped. */
  lateReplies: number;
};

/**
 * A module's view of the bus: the same operations as the bus, with `source` set to the module's
 * name. `register` returns it and the handler receives it.
 */
export interface ModuleContext<T extends BusTopicMap> {
  readonly name: string;
  /** Aborted when the bus stops, so long-running handlers can give up early. */
  readonly signal: AbortSignal;
  send<K extends BusTopic<T>>(to: string, topic: K, body: T[K]): BusEnvelope<T, K>;
  sendToGroup<K extends BusTopic<T>>(group: string, topic: K, body: T[K]): Fanout<T, K>;
  broadcast<K extends BusTopic<T>>(topic: K, body: T[K]): Fanout<T, K>;
  request<K extends BusTopic<T>>(
    to: string,
    topic: K,
    body: T[K],
    options?: { timeoutMs?: number },
  ): Promise<BusEnvelope<T>>;
  reply<K extends BusTopic<T>>(request: BusEnvelope<T>, topic: K, body: T[K]): boolean;
}
