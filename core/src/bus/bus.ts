/**
 * An instance-scoped, typed module bus in the spirit of KubeEdge's beehive (ARCHITECTURE.md §4,
 * CONVENTIONS.md "Modules in the spirit of beehive, typed"; `beehive/pkg/core/context/
 * context_channel.go`): named modules with bounded mailboxes, groups, send / sendToGroup /
 * broadcast, and request/reply matched by parent id. beehive keeps one package-global context per
 * process; here each cloudcore or edgecore owns its own bus, so a thousand hollow edge nodes can
 * share one process.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.ts';
import type { Logger } from '../logger.ts';
import { InvalidInputError } from '../errors.ts';
import {
  BusNotStartedError,
  BusStoppedError,
  DuplicateModuleError,
  MailboxFullError,
  ModuleFailedError,
  TopicNotAcceptedError,
  UnknownModuleError,
} from './errors.ts';
import { ModuleRunner } from './module-runner.ts';
import { PendingRequests } from './pending-requests.ts';
import { DEFAULT_RESTART_POLICY } from './restart-backoff.ts';
import type {
  BusEnvelope,
  BusHandler,
  BusTopic,
  BusTopicMap,
  Fanout,
  ModuleContext,
  ModuleOptions,
  ModuleStats,
  RequestOptions,
  RequestStats,
  RestartPolicy,
  SendOptions,
} from './types.ts';

/** beehive's default SendSync timeout (`context_channel.go` MessageTimeoutDefault = 30 s). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

export type ModuleBusOptions = {
  clock: Clock;
  logger: Logger;
  /** Names this bus in logs and errors, and is the source of sends made outside any module. */
  name?: string;
  /** Message id generator, which must not repeat; default `crypto.randomUUID` (beehive's msg_id is a UUID). */
  newId?: () => string;
  /** Default restart backoff for modules; each field can be overridden per module. */
  restart?: Partial<RestartPolicy>;
  requestTimeoutMs?: number;
};

type BusState = 'new' | 'running' | 'stopped';

/**
 * Carries typed messages between the modules of one cloudcore or edgecore; messages reach a
 * module's handler one at a time, in the order they were queued.
 *
 * @example
 * type EdgeTopics = { 'meta.insert': PodMessage; 'node.connection': { connected: boolean } };
 * const bus = new ModuleBus<EdgeTopics>({ clock, logger, name: 'edge-1' });
 * bus.register('metamanager', { group: 'meta', mailbox: { capacity: 1024, overflow: 'reject' },
 *   handler: (msg) => { switch (msg.topic) { … } } });
 * bus.start();
 * bus.sendToGroup('meta', 'node.connection', { connected: true });
 */
export class ModuleBus<T extends BusTopicMap> {
  readonly name: string;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly newId: () => string;
  private readonly restart: RestartPolicy;
  private readonly requestTimeoutMs: number;
  private readonly modules = new Map<string, ModuleRunner<T>>();
  private readonly pending: PendingRequests<T>;
  private readonly abort = new AbortController();
  private state: BusState = 'new';

  /** Builds an idle bus; does no I/O and arms no timers. */
  constructor(options: ModuleBusOptions) {
    this.name = options.name ?? 'bus';
    this.clock = options.clock;
    this.logger = options.logger.child('bus');
    this.newId = options.newId ?? randomUUID;
    this.restart = { ...DEFAULT_RESTART_POLICY, ...options.restart };
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.pending = new PendingRequests(this.clock);
  }

  /**
   * Adds a module and returns its context (the bus seen from that module). Throws
   * DuplicateModuleError if the name is taken. A module registered after `start()` runs at once.
   */
  register<K extends BusTopic<T> = BusTopic<T>>(
    name: string,
    options: ModuleOptions<T, K>,
  ): ModuleContext<T> {
    if (this.state === 'stopped') throw new BusStoppedError(this.name, `cannot register module ${name}`);
    if (name === '') throw new InvalidInputError('module name must not be empty');
    if (this.modules.has(name)) throw new DuplicateModuleError(name, this.name);
    const context = this.contextFor(name);
    const runner = new ModuleRunner<T>({
      name,
      group: options.group,
      topics: options.topics === undefined ? undefined : new Set<string>(options.topics),
      mailbox: options.mailbox,
      restart: { ...this.restart, ...options.restart },
      // Safe widening: the runner only hands this handler topics in `options.topics`, because
      // `deliverTo` and `fanout` check `accepts` before queueing.
      handler: options.handler as BusHandler<T>,
      context,
      clock: this.clock,
      logger: this.logger,
      onDropped: (msg) => this.onDropped(name, msg),
      onFailed: (msg, err) => this.onFailed(name, msg, err),
    });
    this.modules.set(name, runner);
    if (this.state === 'running') runner.start();
    return context;
  }

  /** Starts dispatch in every module, in registration order (messages queued before are kept). */
  start(): void {
    if (this.state === 'running') return;
    if (this.state === 'stopped') throw new BusStoppedError(this.name, 'a stopped bus cannot restart');
    this.state = 'running';
    for (const runner of this.modules.values()) runner.start();
  }

  /**
   * Stops the bus for good: rejects pending requests with BusStoppedError, stops dispatch, cancels
   * every timer, aborts `ctx.signal`, and resolves once handlers in flight have settled.
   */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    this.abort.abort(new BusStoppedError(this.name, 'stopping'));
    this.pending.rejectAll(
      (req) =>
        new BusStoppedError(
          this.name,
          `stopped before module ${req.to} replied to ${req.topic} request ${req.id}`,
        ),
    );
    // Stop in reverse registration order (controller-runtime's manager stops in reverse too).
    const runners = [...this.modules.values()].reverse();
    await Promise.all(runners.map((runner) => runner.stop()));
  }

  /**
   * Queues a message for module `to` and returns it. Throws UnknownModuleError, TopicNotAcceptedError,
   * MailboxFullError (the module's 'reject' policy; retriable) or BusStoppedError. Before `start()`
   * the message waits in the mailbox.
   */
  send<K extends BusTopic<T>>(
    to: string,
    topic: K,
    body: T[K],
    options: SendOptions = {},
  ): BusEnvelope<T, K> {
    const envelope = this.envelope(topic, body, options.source, undefined);
    this.deliverTo(this.module(to, 'send'), envelope);
    return envelope;
  }

  /**
   * Queues one message (one id) for every module in `group` except the sender, all or nothing:
   * if any recipient's 'reject' mailbox is full, throws MailboxFullError and queues nothing.
   * Modules that declared topics without this one are skipped. An empty group delivers to no one,
   * as beehive's SendToGroup does.
   */
  sendToGroup<K extends BusTopic<T>>(
    group: string,
    topic: K,
    body: T[K],
    options: SendOptions = {},
  ): Fanout<T, K> {
    return this.fanout(topic, body, options, (runner) => runner.group === group, `group ${group}`);
  }

  /** Like `sendToGroup`, to every module on the bus except the sender. */
  broadcast<K extends BusTopic<T>>(topic: K, body: T[K], options: SendOptions = {}): Fanout<T, K> {
    return this.fanout(topic, body, options, () => true, 'broadcast');
  }

  /**
   * Sends a request to module `to` and resolves with the reply whose parentId is the request's id
   * (beehive SendSync). Rejects with BusTimeoutError after `timeoutMs`, MailboxFullError if the
   * request is refused or dropped, ModuleFailedError if the module's handler fails on it,
   * BusStoppedError on stop, BusNotStartedError before `start()`.
   */
  request<K extends BusTopic<T>>(
    to: string,
    topic: K,
    body: T[K],
    options: RequestOptions = {},
  ): Promise<BusEnvelope<T>> {
    // A throw inside the executor rejects the promise, so callers see one failure channel.
    return new Promise((resolve, reject) => {
      const what = `cannot request ${topic} from ${to}`;
      if (this.state === 'new') throw new BusNotStartedError(this.name, what);
      this.assertOpen(what);
      const timeoutMs = options.timeoutMs ?? this.requestTimeoutMs;
      if (!(timeoutMs > 0))
        throw new InvalidInputError(`request timeoutMs must be positive, got ${timeoutMs}`);
      const runner = this.module(to, 'request');
      const envelope = this.envelope(topic, body, options.source, undefined);
      // Wait before queueing, so a drop or failure during delivery finds the waiter to reject.
      this.pending.wait(envelope, to, timeoutMs).then(resolve, reject);
      try {
        this.deliverTo(runner, envelope);
      } catch (err) {
        this.pending.reject(envelope.id, err as Error);
      }
    });
  }

  /**
   * Answers `request` (beehive SendResp): the reply gets a new id and parentId = request.id and
   * goes straight to the waiting requester, not through a mailbox. Returns false, and counts a
   * late reply, when nobody waits (timed out, already answered, or the request was a plain send).
   */
  reply<K extends BusTopic<T>>(
    request: BusEnvelope<T>,
    topic: K,
    body: T[K],
    options: SendOptions = {},
  ): boolean {
    // After stop nobody waits, so a reply is simply counted as late.
    return this.pending.resolve(this.envelope(topic, body, options.source, request.id));
  }

  /** Counters of module `name`; throws UnknownModuleError. */
  stats(name: string): ModuleStats {
    return this.module(name, 'stats').stats();
  }

  /** Counters of the request/reply table. */
  requestStats(): RequestStats {
    return this.pending.stats();
  }

  /** Registered module names, in registration order. */
  moduleNames(): string[] {
    return [...this.modules.keys()];
  }

  private contextFor(name: string): ModuleContext<T> {
    const source = { source: name };
    return {
      name,
      signal: this.abort.signal,
      send: (to, topic, body) => this.send(to, topic, body, source),
      sendToGroup: (group, topic, body) => this.sendToGroup(group, topic, body, source),
      broadcast: (topic, body) => this.broadcast(topic, body, source),
      request: (to, topic, body, options) => this.request(to, topic, body, { ...options, ...source }),
      reply: (request, topic, body) => this.reply(request, topic, body, source),
    };
  }

  private envelope<K extends BusTopic<T>>(
    topic: K,
    body: T[K],
    source: string | undefined,
    parentId: string | undefined,
  ): BusEnvelope<T, K> {
    const envelope = {
      id: this.newId(),
      ...(parentId === undefined ? {} : { parentId }),
      topic,
      body,
      source: source ?? this.name,
      timestamp: this.clock.now(),
    };
    return envelope;
  }

  private module(name: string, what: string): ModuleRunner<T> {
    const runner = this.modules.get(name);
    if (runner === undefined) {
      this.logger.warn('no such module', { module: name, op: what });
      throw new UnknownModuleError(name, this.name);
    }
    return runner;
  }

  private deliverTo(runner: ModuleRunner<T>, envelope: BusEnvelope<T>): void {
    this.assertOpen(`cannot send ${envelope.topic} to ${runner.name}`);
    if (!runner.accepts(envelope.topic)) throw new TopicNotAcceptedError(runner.name, envelope.topic);
    if (runner.offer(envelope).kind === 'rejected') {
      throw new MailboxFullError(runner.name, runner.capacity, runner.overflow, `${envelope.topic} refused`);
    }
  }

  private fanout<K extends BusTopic<T>>(
    topic: K,
    body: T[K],
    options: SendOptions,
    member: (runner: ModuleRunner<T>) => boolean,
    what: string,
  ): Fanout<T, K> {
    this.assertOpen(`cannot send ${topic} (${what})`);
    const recipients = [...this.modules.values()].filter(
      (runner) => member(runner) && runner.name !== options.source && runner.accepts(topic),
    );
    // Check every mailbox before queueing anywhere, so a retry after MailboxFullError does not
    // hand the same message twice to the modules that had room.
    const full = recipients.find((runner) => runner.wouldReject());
    if (full)
      throw new MailboxFullError(full.name, full.capacity, full.overflow, `${topic} (${what}) refused`);
    const envelope = this.envelope(topic, body, options.source, undefined);
    for (const runner of recipients) runner.offer(envelope);
    if (recipients.length === 0) this.logger.debug('fan-out reached no module', { topic, to: what });
    return { envelope, recipients: recipients.map((runner) => runner.name) };
  }

  private assertOpen(what: string): void {
    if (this.state === 'stopped') throw new BusStoppedError(this.name, what);
  }

  private onDropped(module: string, msg: BusEnvelope<T>): void {
    const runner = this.modules.get(module);
    if (runner === undefined) return;
    // A dropped request will never be answered: fail its requester now rather than at its timeout.
    this.pending.reject(
      msg.id,
      new MailboxFullError(
        module,
        runner.capacity,
        runner.overflow,
        `${msg.topic} request ${msg.id} dropped`,
      ),
    );
  }

  private onFailed(module: string, msg: BusEnvelope<T>, err: unknown): void {
    // The handler holding a request failed, so it will not reply: fail the requester now.
    this.pending.reject(msg.id, new ModuleFailedError(module, msg.topic, msg.id, err));
  }
}
